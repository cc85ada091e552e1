#!/usr/bin/env raku
# hello.raku — the smallest FastCGI::NativeCall app: a request counter in
# the style of the module's synopsis (`while $fcgi.accept { ... }`), run on
# --threads N worker threads, each with its own request handle.
#   build/devenv raku examples/hello.raku --socket /tmp/hello.sock [--threads N]
# Without --socket it serves the listener inherited on fd 0 (spawn-fcgi,
# mod_fcgid) or runs once as plain CGI. SIGTERM/SIGINT: requests in flight
# complete, then it exits 0.
use v6.d;
use FastCGI::NativeCall;

my atomicint $served = 0;

sub serve(FastCGI::NativeCall $fcgi) {
    while $fcgi.accept {
        $fcgi.header(Content-Type => 'text/html; charset=utf-8');
        $fcgi.Print("<h1>Hello from ffcgi (Raku)!</h1>\n<p>Request number {++⚛$served}</p>\n");
        CATCH { when X::FastCGI::Connection { } }  # the web server hung up: serve the next one
    }
    $fcgi.close;
}

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

# Catch the signals before the listener exists, so that none is lost.
my $fcgi;
my $stopping = False;
signal(SIGTERM, SIGINT).tap: { $stopping = True; .shutdown with $fcgi };
$fcgi = $socket.defined ?? FastCGI::NativeCall.new(address => $socket) !! FastCGI::NativeCall.new;
$fcgi.shutdown if $stopping;
my @workers = $fcgi, |($fcgi.worker xx $threads - 1);
.finish for @workers.map(-> $worker { Thread.start({ serve($worker) }) });
CATCH { when X::FastCGI { note "$*PROGRAM-NAME: {.message}"; exit 1 } }
