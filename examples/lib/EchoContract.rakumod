use v6.d;
#| The rules of the echo contract (tests/conformance/ECHO_CONTRACT.md) that
#| the Raku echo apps share: examples/echo.raku (FastCGI::NativeCall::Async)
#| and examples/echo_psgi.raku (FastCGI::NativeCall::PSGI).
unit module EchoContract;

use NativeCall;

# SHA-256 from OpenSSL's libcrypto (Debian libssl3): Raku has no digest in
# its core library, and one in pure Raku would crawl through a 10 MiB body.
sub EVP_MD_CTX_new(--> Pointer) is native('crypto', v3) { * }
sub EVP_MD_CTX_free(Pointer) is native('crypto', v3) { * }
sub EVP_sha256(--> Pointer) is native('crypto', v3) { * }
sub EVP_DigestInit_ex(Pointer, Pointer, Pointer --> int32) is native('crypto', v3) { * }
sub EVP_DigestUpdate(Pointer, Blob, size_t --> int32) is native('crypto', v3) { * }
sub EVP_DigestFinal_ex(Pointer, Blob, Pointer --> int32) is native('crypto', v3) { * }

# Per-byte tables: formatting each byte anew (fmt, sprintf) is slow in Raku.
# Filled when the module loads, before any worker runs: arrays, not lazy
# lists, which worker threads would reify at the same time.
my @HEX = (^256).map(*.fmt('%02x'));
my @ESC = (^256).map({ 0x21 <= $_ <= 0x7E && $_ != 0x25 && $_ != 0x3D ?? .chr !! .fmt('%%%02X') });

#| Reads a body to its end through `$body.read(65536)` (a FastCGI::NativeCall,
#| or the psgi.input of FastCGI::NativeCall::PSGI): its byte count and SHA-256 (hex).
sub digest-body($body --> List) is export {
    my $ctx = EVP_MD_CTX_new();
    LEAVE EVP_MD_CTX_free($ctx);
    EVP_DigestInit_ex($ctx, EVP_sha256(), Pointer);
    my $count = 0;
    while $body.read(65536) -> $chunk {
        EVP_DigestUpdate($ctx, $chunk, $chunk.bytes);
        $count += $chunk.bytes;
    }
    my $sum = buf8.allocate(32);
    EVP_DigestFinal_ex($ctx, $sum, Pointer);
    $count, @HEX[$sum.list].join
}

#| Bytes 0x21..0x7E except % and = as they are, every other byte as %XX.
sub esc(Blob $raw --> Str) is export { @ESC[$raw.list].join }

#| The value of the first `key=` segment of the query.
sub query-value(Str $query, Str $key --> Str) is export {
    for $query.split('&') -> $segment {
        my ($name, $value) = $segment.split('=', 2);
        return $value if $name eq $key && $value.defined;
    }
    Str
}

#| The status the query asks for (status=NNN, 100..599), else 200.
sub query-status(Str $query --> Int) is export {
    my $status = query-value($query, 'status') // '';
    $status ~~ / ^ <[0..9]> ** 3 $ / && 100 <= $status <= 599 ?? +$status !! 200
}

#| The params' first values by name (latin-1, so a Str per byte).
sub first-values(@params --> Hash) is export {
    my %first;
    %first{.key.decode('latin-1')} //= .value for @params;
    %first
}

#| The body of the answer, from the params as received (NAME => VALUE
#| Blobs, in order), the query and the body's count and digest.
sub echo-body(@params, %first, Str $query, Int $count, Str $sha256 --> Str) is export {
    my @lines = @params.map({ "{esc .key}={esc .value}\n" }).sort;
    join '',
        "method={esc %first<REQUEST_METHOD> // Blob.new}\n",
        "query={esc $query.encode('latin-1')}\n",
        "stdin_bytes=$count\n",
        "stdin_sha256=$sha256\n",
        "param_count={+@lines}\n",
        |@lines,
        "end\n"
}

#| The command line of every example: [--socket ADDRESS] [--threads N];
#| (socket or Str, threads). Exits 2 with the usage on anything else.
sub example-args(@arguments --> List) is export {
    my ($socket, $threads) = Str, 1;
    my @args = @arguments;
    while @args.shift -> $arg {
        my ($name, $value) = $arg.split('=', 2);
        $value //= @args.shift;
        if $name eq '--socket' && $value.defined { $socket = $value }
        elsif $name eq '--threads' && $value.defined && $value ~~ / ^ \d+ $ / && $value > 0 { $threads = +$value }
        else { note "usage: $*PROGRAM-NAME [--socket ADDRESS] [--threads N]"; exit 2 }
    }
    $socket, $threads
}
