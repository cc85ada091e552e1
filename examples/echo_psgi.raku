#!/usr/bin/env raku
# echo_psgi.raku — the echo contract (tests/conformance/ECHO_CONTRACT.md) as
# a PSGI app, served by FastCGI::NativeCall::PSGI with --threads workers.
#   build/devenv raku examples/echo_psgi.raku --socket /tmp/echo.sock [--threads N]
# Its answer is byte-identical to the other languages'. The contract wants
# the params exactly as received (duplicates included), which the env Hash
# cannot hold: it reads the server's extension ffcgi.params (NAME => VALUE
# Blobs, in order) and the body through psgi.input. SIGTERM/SIGINT: requests
# in flight complete, then it exits 0.
use v6.d;
use lib $?FILE.IO.parent.add('lib');
use EchoContract;
use FastCGI::NativeCall::PSGI;

sub echo(%env) {
    my @params = %env<ffcgi.params>.list;
    my %first = first-values(@params);
    my $query = (%first<QUERY_STRING> // Blob.new).decode('latin-1');
    with query-value($query, 'stderr') { %env<psgi.errors>.print("$_\n") if .chars }
    my ($count, $sha256) = digest-body(%env<psgi.input>);
    [query-status($query), ['Content-Type' => 'text/plain'], [echo-body(@params, %first, $query, $count, $sha256)]]
}

my ($socket, $threads) = example-args(@*ARGS);
my $psgi = $socket.defined ?? FastCGI::NativeCall::PSGI.new(path => $socket, workers => $threads)
                           !! FastCGI::NativeCall::PSGI.new(workers => $threads);
exit $psgi.run(&echo);
CATCH { when X::FastCGI { note "$*PROGRAM-NAME: {.message}"; exit 1 } }
