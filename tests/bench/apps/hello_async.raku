#!/usr/bin/env raku
# hello_async.raku — the hello app served by FastCGI::NativeCall::Async:
# --threads N worker threads emit the requests to one tap (a plain tap runs
# N handlers at once), answering as examples/hello.raku does.
#   build/devenv raku tests/bench/apps/hello_async.raku --socket ADDRESS [--threads N]
use v6.d;
use FastCGI::NativeCall::Async;

my ($socket, $threads) = Str, 1;
my @args = @*ARGS;
while @args.shift -> $name {
    my $value = @args.shift;
    if $name eq '--socket' && $value.defined { $socket = $value }
    elsif $name eq '--threads' && $value.defined && $value ~~ / ^ \d+ $ / && $value > 0 { $threads = +$value }
    else { note "usage: $*PROGRAM-NAME --socket ADDRESS [--threads N]"; exit 2 }
}

my atomicint $served = 0;
my $async = FastCGI::NativeCall::Async.new(workers => $threads, |(address => $_ with $socket));
signal(SIGTERM, SIGINT).tap: { $async.done };
$async.Supply.tap: -> $fcgi {
    $fcgi.header(Content-Type => 'text/html; charset=utf-8');
    $fcgi.Print("<h1>Hello from ffcgi (Raku, Async)!</h1>\n<p>Request number {++⚛$served}</p>\n");
}
await $async.promise;
CATCH { when X::FastCGI { note "$*PROGRAM-NAME: {.message}"; exit 1 } }
