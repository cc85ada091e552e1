#!/usr/bin/env raku
# stream_psgi.raku — the download app of the front-end tests as a PSGI app
# on FastCGI::NativeCall::PSGI (see stream.c and tests/frontends/README.md,
# "The stream app"): the body is a Supply, which the server stops tapping
# when the web server goes away — its CLOSE phaser logs that.
#   build/devenv raku tests/frontends/apps/stream_psgi.raku [--socket ADDRESS] [--threads N]
use v6.d;
use FastCGI::NativeCall::PSGI;

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

sub stream(%env) {
    my $query = %env<QUERY_STRING> // '';
    my $size = query-number($query, 'bytes', 0);
    my $status = query-number($query, 'status', 200);
    my @headers = 'Content-Type' => 'application/octet-stream', 'Content-Length' => $size,
                  'X-Stream-Pid' => $*PID,
                  |(1 .. min(query-number($query, 'cookies', 0), 100)).map({ 'Set-Cookie' => "c$_=v$_; Path=/" });
    my $sent = 0;
    my $body = supply {
        while $sent < $size {
            my $n = min($size - $sent, CHUNK.bytes);
            emit $n == CHUNK.bytes ?? CHUNK !! CHUNK.subbuf(0, $n);
            $sent += $n;
        }
        CLOSE { note "stream: client went away after $sent of $size bytes" if $sent < $size }
    };
    [100 <= $status <= 599 ?? $status !! 200, @headers, $body]
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

my $psgi = $socket.defined ?? FastCGI::NativeCall::PSGI.new(path => $socket, workers => $threads)
                           !! FastCGI::NativeCall::PSGI.new(workers => $threads);
exit $psgi.run(&stream);
