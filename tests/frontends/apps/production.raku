#!/usr/bin/env raku
# production.raku (test app) — examples/production.raku's serving with one
# more path for nginx_production: /raku/sleep sleeps 60 s, past --timeout;
# answers "Hello from ffcgi (Raku) VERSION, process PID" (the test rewrites
# VERSION before a reload to see the new code answer).
#   raku production.raku --timeout=1 --error-log=FILE [--max-requests=N] ...
use v6.d;
use FastCGI::NativeCall::Async;

my constant VERSION = 'one';

sub MAIN(Int :$threads = 2, Str :$access-log, Str :$error-log = '-', Str :$status-path,
         Real :$timeout, Int :$max-requests) {
    my %limits;
    %limits<request-ms> = ($timeout * 1000).Int with $timeout;
    %limits<max-requests> = $_ with $max-requests;
    my $server = FastCGI::NativeCall::Async.new(workers => $threads, :$access-log, :$error-log,
                                                :$status-path, :%limits);
    exit $server.serve: -> $fcgi {
        sleep 60 if ($fcgi.env<REQUEST_URI> // '') eq '/raku/sleep';
        $fcgi.header(Content-Type => 'text/plain; charset=utf-8');
        $fcgi.Print("Hello from ffcgi (Raku) {VERSION}, process $*PID\n");
    }
}
