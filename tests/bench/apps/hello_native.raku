#!/usr/bin/env raku
# hello_native.raku — the hello app on the native API of FastCGI::NativeCall:
# header(NAME, VALUE) queues the line in libffcgi, which checks it (the
# old API's header(:name<value>) checks it in Raku first), and write takes
# bytes.
#   build/devenv raku tests/bench/apps/hello_native.raku --socket ADDRESS
use v6.d;
use FastCGI::NativeCall;

my $socket = @*ARGS[0] eq '--socket' && @*ARGS[1] ?? @*ARGS[1] !! do { note "usage: $*PROGRAM-NAME --socket ADDRESS"; exit 2 };
my $fcgi = FastCGI::NativeCall.new(address => $socket);
signal(SIGTERM, SIGINT).tap: { $fcgi.shutdown };
my $served = 0;
while $fcgi.accept {
    $fcgi.header('Content-Type', 'text/html; charset=utf-8');
    $fcgi.write("<h1>Hello from ffcgi (Raku, native)!</h1>\n<p>Request number {++$served}</p>\n".encode);
}
$fcgi.close;
