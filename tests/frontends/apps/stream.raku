#!/usr/bin/env raku
# stream.raku — the download app of the front-end tests in Raku (see stream.c
# and tests/frontends/README.md, "The stream app").
#   build/devenv raku tests/frontends/apps/stream.raku [--socket ADDRESS] [--threads N]
use v6.d;
use FastCGI::NativeCall;

constant PATTERN = 251;
constant CHUNK = buf8.new((^(PATTERN * 256)).map(* % PATTERN));

#| The number in the first `key=` segment of the query, or $fallback.
sub query-number(Str $query, Str $key, Int $fallback --> Int) {
    for $query.split('&') -> $segment {
        my ($name, $value) = $segment.split('=', 2);
        return $value ~~ / ^ \d+ $ / ?? +$value !! $fallback if $name eq $key && $value.defined;
    }
    $fallback
}

sub stream(FastCGI::NativeCall $fcgi) {
    my $query = $fcgi.env<QUERY_STRING> // '';
    my $size = query-number($query, 'bytes', 0);
    my $status = query-number($query, 'status', 200);
    $fcgi.status(100 <= $status <= 599 ?? $status !! 200);
    $fcgi.header('Content-Type', 'application/octet-stream');
    $fcgi.header('Content-Length', $size);
    $fcgi.header('X-Stream-Pid', $*PID);
    $fcgi.header('Set-Cookie', "c$_=v$_; Path=/") for 1 .. min(query-number($query, 'cookies', 0), 100);
    my $sent = 0;
    while $sent < $size {
        my $n = min($size - $sent, CHUNK.bytes);
        $fcgi.write($n == CHUNK.bytes ?? CHUNK !! CHUNK.subbuf(0, $n));
        $sent += $n;
    }
    CATCH {
        when X::FastCGI::Connection {
            note "stream: client went away after $sent of $size bytes ({.message})";
        }
    }
}

sub serve(FastCGI::NativeCall $fcgi) {
    stream($fcgi) while $fcgi.accept;
    $fcgi.close;
}

# The command line of the examples: [--socket ADDRESS] [--threads N].
my ($socket, $threads) = Str, 1;
my @args = @*ARGS;
while @args.shift -> $arg {
    my ($name, $value) = $arg.split('=', 2);
    $value //= @args.shift;
    if $name eq '--socket' && $value.defined { $socket = $value }
    elsif $name eq '--threads' && $value.defined && $value ~~ / ^ \d+ $ / && $value > 0 { $threads = +$value }
    else { note "usage: $*PROGRAM-NAME [--socket ADDRESS] [--threads N]"; exit 2 }
}

my $fcgi;
my $stopping = False;
signal(SIGTERM, SIGINT).tap: { $stopping = True; .shutdown with $fcgi };
$fcgi = $socket.defined ?? FastCGI::NativeCall.new(address => $socket) !! FastCGI::NativeCall.new;
$fcgi.shutdown if $stopping;
my @workers = $fcgi, |($fcgi.worker xx $threads - 1);
.finish for @workers.map(-> $worker { Thread.start({ serve($worker) }) });
CATCH { when X::FastCGI { note "$*PROGRAM-NAME: {.message}"; exit 1 } }
