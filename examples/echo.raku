#!/usr/bin/env raku
# echo.raku — the echo contract (tests/conformance/ECHO_CONTRACT.md) in Raku,
# served by FastCGI::NativeCall::Async with one worker thread per --threads.
#   build/devenv raku examples/echo.raku --socket /tmp/echo.sock [--threads N]
# Without --socket it serves the listener inherited on fd 0 (spawn-fcgi,
# mod_fcgid) or runs once as plain CGI. SIGTERM/SIGINT: requests in flight
# complete, then it exits 0.
use v6.d;
use lib $?FILE.IO.parent.add('lib');
use EchoContract;
use FastCGI::NativeCall::Async;

sub echo($fcgi) {
    my @params = $fcgi.params;
    my %first = first-values(@params);
    my $query = (%first<QUERY_STRING> // Blob.new).decode('latin-1');
    with query-value($query, 'stderr') { $fcgi.stderr("$_\n".encode('latin-1')) if .chars }
    my ($count, $sha256) = digest-body($fcgi);
    $fcgi.status(query-status($query));
    $fcgi.header('Content-Type', 'text/plain');
    $fcgi.Print: echo-body(@params, %first, $query, $count, $sha256);
}

my ($socket, $threads) = example-args(@*ARGS);
my $async = FastCGI::NativeCall::Async.new(workers => $threads, |(address => $_ with $socket));
signal(SIGTERM, SIGINT).tap: { $async.done };
$async.Supply.tap: &echo;
await $async.promise;
CATCH { when X::FastCGI { note "$*PROGRAM-NAME: {.message}"; exit 1 } }
