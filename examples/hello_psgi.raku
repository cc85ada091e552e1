#!/usr/bin/env raku
# hello_psgi.raku — a PSGI app in the style of Crust's, served by
# FastCGI::NativeCall::PSGI: the app returns a Promise of [status, headers,
# body], headers as a list of Pairs (two Set-Cookie lines, in order).
#   build/devenv raku examples/hello_psgi.raku --socket /tmp/hello.sock [--threads N]
# Without --socket it serves the listener inherited on fd 0 (spawn-fcgi,
# mod_fcgid) or runs once as plain CGI. SIGTERM/SIGINT: requests in flight
# complete, then it exits 0.
use v6.d;
use FastCGI::NativeCall::PSGI;

my atomicint $served = 0;

my &app = -> %env {
    start {
        200,
        [Content-Type => 'text/plain; charset=utf-8', Set-Cookie => 'a=1', Set-Cookie => 'b=2'],
        ["Hello from ffcgi (Raku PSGI)!\n", "Request number {++⚛$served}, {%env<REQUEST_METHOD> // 'GET'} {%env<REQUEST_URI> // '/'}\n"]
    }
};

# The command line of every example: [--socket ADDRESS] [--threads N].
my ($socket, $threads) = Str, 1;
my @args = @*ARGS;
while @args.shift -> $arg {
    my ($name, $value) = $arg.split('=', 2);
    $value //= @args.shift;
    if $name eq '--socket' && $value.defined { $socket = $value }
    elsif $name eq '--threads' && $value.defined && $value ~~ / ^ \d+ $ / && $value > 0 { $threads = +$value }
    else { note "usage: $*PROGRAM-NAME [--socket ADDRESS] [--threads N]"; exit 2 }
}

my $psgi = $socket.defined ?? FastCGI::NativeCall::PSGI.new(path => $socket, workers => $threads)
                           !! FastCGI::NativeCall::PSGI.new(workers => $threads);
exit $psgi.run(&app);
CATCH { when X::FastCGI { note "$*PROGRAM-NAME: {.message}"; exit 1 } }
