#!/usr/bin/env raku
# body.raku — the benchmark's body app on FastCGI::NativeCall (apps/body.c
# says what it answers): the body read 64 KiB at a time into one Buf, the
# download written in 64 KiB Bufs.
#   build/devenv raku tests/bench/apps/body.raku --socket ADDRESS
use v6.d;
use FastCGI::NativeCall;

my $socket = @*ARGS[0] eq '--socket' && @*ARGS[1] ?? @*ARGS[1] !! do { note "usage: $*PROGRAM-NAME --socket ADDRESS"; exit 2 };
my $chunk = buf8.new((^65536).map(* % 251));
my $fcgi = FastCGI::NativeCall.new(address => $socket);
signal(SIGTERM, SIGINT).tap: { $fcgi.shutdown };
while $fcgi.accept {
    my $got = 0;
    my $piece = buf8.new;  # one Buf for the whole body: memory stays flat
    $got += $piece.bytes while $fcgi.read(65536, into => $piece);
    my $want = ($fcgi.env<QUERY_STRING> // '') ~~ / 'bytes=' (\d+) / ?? +$0 !! -1;
    $fcgi.header(Content-Type => 'application/octet-stream', X-Body-Bytes => ~$got);
    $fcgi.write("read\n".encode) if $want < 0;
    while $want > 0 {
        $fcgi.write($want >= 65536 ?? $chunk !! $chunk.subbuf(0, $want));
        $want -= 65536;
    }
}
$fcgi.close;
