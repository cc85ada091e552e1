#!/usr/bin/env raku
# production.raku — a Raku FastCGI app set up for production serving, to
# copy: FastCGI::NativeCall::Async's `serve` with the access log, the error
# log, the status page, a request timeout and recycling, all done by
# libffcgi. Run it under ffcgi-supervisor for several processes and reloads:
#
#   ffcgi-supervisor --socket /run/app/app.sock --mode 0660 --workers 4 --ready-ms 3000 \
#       -- raku examples/production.raku --threads=4 --access-log=/var/log/app/access.log \
#          --error-log=/var/log/app/error.log --status-path=/status --timeout=30 \
#          --max-requests=10000
#
# (Raku's MAIN takes options as --name=value.)
# SIGHUP to the supervisor replaces the workers one at a time (new code,
# no failed request); a worker that reaches --max-requests, passes
# --max-rss or has a request time out exits 75 and is replaced at once.
# On its own (`--socket ADDRESS`) SIGTERM or SIGINT finishes the requests
# in flight, then it exits 0. Without --socket it serves the listener on
# fd 0 (ffcgi-supervisor, spawn-fcgi, mod_fcgid) or one request as CGI.
use v6.d;
use FastCGI::NativeCall::Async;

sub MAIN(
    Str :$socket,                  #= where to listen: /path, host:port (default: the listener on fd 0)
    Int :$mode,                    #= octal file mode of a unix socket, e.g. 660
    Int :$threads where * >= 1 = 1,  #= requests served at once
    Str :$access-log,              #= one line per request to this file ("-": standard output)
    Str :$error-log = '-',         #= what goes wrong around the app, to this file ("-": standard error)
    Str :$log-level = 'warning',   #= error, warning, info, debug or off
    Str :$status-path,             #= serve the status page at this path, e.g. /status (?json for JSON)
    Real :$timeout,                #= answer 504 to a request running longer (seconds) and replace the process
    Int :$max-requests,            #= replace the process after about this many requests
    Int :$max-rss,                 #= replace the process once its resident memory passes this many MiB
) {
    my %limits;
    %limits<request-ms> = ($timeout * 1000).Int with $timeout;
    %limits<max-requests> = $_ with $max-requests;
    %limits<max-rss-bytes> = $_ * 1024 * 1024 with $max-rss;
    my $server = FastCGI::NativeCall::Async.new(
        |(address => $_ with $socket), |(mode => :8(~$_) with $mode), workers => $threads,
        :$access-log, :$error-log, :$log-level, :$status-path, :%limits);
    my atomicint $served = 0;
    exit $server.serve: -> $fcgi {
        $fcgi.header(Content-Type => 'text/plain; charset=utf-8');
        $fcgi.Print("Hello from ffcgi (Raku), process $*PID, request {++⚛$served}\n");
    }
    CATCH { when X::FastCGI { note "$*PROGRAM-NAME: {.message}"; exit 1 } }
}
