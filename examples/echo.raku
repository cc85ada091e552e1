#!/usr/bin/env raku
# echo.raku — the echo contract (tests/conformance/ECHO_CONTRACT.md) in Raku,
# served by FastCGI::NativeCall::Async with one worker thread per --threads.
#   build/devenv raku examples/echo.raku --socket /tmp/echo.sock [--threads N]
# Without --socket it serves the listener inherited on fd 0 (spawn-fcgi,
# mod_fcgid) or runs once as plain CGI. SIGTERM/SIGINT: requests in flight
# complete, then it exits 0.
use v6.d;
use NativeCall;
use FastCGI::NativeCall::Async;

# SHA-256 from OpenSSL's libcrypto (Debian libssl3): Raku has no digest in
# its core library, and one in pure Raku would crawl through a 10 MiB body.
sub EVP_MD_CTX_new(--> Pointer) is native('crypto', v3) { * }
sub EVP_MD_CTX_free(Pointer) is native('crypto', v3) { * }
sub EVP_sha256(--> Pointer) is native('crypto', v3) { * }
sub EVP_DigestInit_ex(Pointer, Pointer, Pointer --> int32) is native('crypto', v3) { * }
sub EVP_DigestUpdate(Pointer, Blob, size_t --> int32) is native('crypto', v3) { * }
sub EVP_DigestFinal_ex(Pointer, Blob, Pointer --> int32) is native('crypto', v3) { * }

# Per-byte tables: formatting each byte anew (fmt, sprintf) is slow in Raku.
# Filled here, before any worker runs: arrays, not lazy lists, which the
# worker threads would reify at the same time.
my @HEX = (^256).map(*.fmt('%02x'));
my @ESC = (^256).map({ 0x21 <= $_ <= 0x7E && $_ != 0x25 && $_ != 0x3D ?? .chr !! .fmt('%%%02X') });

#| Reads the body to its end: its byte count and SHA-256 (hex).
sub digest-body($fcgi --> List) {
    my $ctx = EVP_MD_CTX_new();
    LEAVE EVP_MD_CTX_free($ctx);
    EVP_DigestInit_ex($ctx, EVP_sha256(), Pointer);
    my $count = 0;
    while $fcgi.read(65536) -> $chunk {
        EVP_DigestUpdate($ctx, $chunk, $chunk.bytes);
        $count += $chunk.bytes;
    }
    my $sum = buf8.allocate(32);
    EVP_DigestFinal_ex($ctx, $sum, Pointer);
    $count, @HEX[$sum.list].join
}

#| Bytes 0x21..0x7E except % and = as they are, every other byte as %XX.
sub esc(Blob $raw --> Str) { @ESC[$raw.list].join }

#| The value of the first `key=` segment of the query.
sub query-value(Str $query, Str $key --> Str) {
    for $query.split('&') -> $segment {
        my ($name, $value) = $segment.split('=', 2);
        return $value if $name eq $key && $value.defined;
    }
    Str
}

sub echo($fcgi) {
    my @params = $fcgi.params;
    my %first;
    %first{.key.decode('latin-1')} //= .value for @params;
    my $query = (%first<QUERY_STRING> // Blob.new).decode('latin-1');
    with query-value($query, 'stderr') { $fcgi.stderr("$_\n".encode('latin-1')) if .chars }
    my ($count, $sha256) = digest-body($fcgi);
    my $status = query-value($query, 'status') // '';
    $fcgi.status($status ~~ / ^ <[0..9]> ** 3 $ / && 100 <= $status <= 599 ?? +$status !! 200);
    $fcgi.header('Content-Type', 'text/plain');
    my @lines = @params.map({ "{esc .key}={esc .value}\n" }).sort;
    $fcgi.Print: join '',
        "method={esc %first<REQUEST_METHOD> // Blob.new}\n",
        "query={esc $query.encode('latin-1')}\n",
        "stdin_bytes=$count\n",
        "stdin_sha256=$sha256\n",
        "param_count={+@lines}\n",
        |@lines,
        "end\n";
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

my $async = FastCGI::NativeCall::Async.new(workers => $threads, |(address => $_ with $socket));
signal(SIGTERM, SIGINT).tap: { $async.done };
$async.Supply.tap: &echo;
await $async.promise;
CATCH { when X::FastCGI { note "$*PROGRAM-NAME: {.message}"; exit 1 } }
