use v6.d;
# Production serving from Raku: the socket mode of the old constructor, the
# access and error logs and the status page (set with new() or configure),
# log(), the recycling limits with `retired` (old API and Async), and
# Async's `serve`: exit status 75 after a retirement, SIGTERM finishing
# the request in flight, a request past request-ms answered 504 without
# waiting for its stuck thread, and a process stuck in its only thread
# ended by the library.
use lib $?FILE.IO.parent.add('lib').absolute;
use Test;
use FFCGITest;
use FastCGI::NativeCall;
use FastCGI::NativeCall::Async;

needs-client;
plan 8;

my $dir = temp-dir;

subtest 'new(:path, :backlog, :mode): the socket file gets the mode (old API and Async)', {
    my $path = ~$dir.add('mode.sock');
    my $fcgi = FastCGI::NativeCall.new(:$path, :backlog(8), :mode(0o660));
    is $path.IO.mode, '0660', 'FastCGI::NativeCall: 0660';
    $fcgi.close;
    my $async = FastCGI::NativeCall::Async.new(:$path, :mode(0o600));
    $async.fcgi;
    is $path.IO.mode, '0600', 'FastCGI::NativeCall::Async: 0600';
    $async.done;
    await $async.promise;
    nok $path.IO.e, 'the socket file is removed';
}

subtest 'access log, error log and log(), set with new()', {
    my $path = ~$dir.add('logs.sock');
    my $access = $dir.add('access.log');
    my $errors = $dir.add('errors.log');
    my $fcgi = FastCGI::NativeCall.new(:$path, access-log => ~$access, error-log => ~$errors,
                                       log-level => 'info', status-path => '/status');
    my $r = serve-one($fcgi, -> $f {
        $f.log('from the handler', :level<warning>);
        $f.header(Content-Type => 'text/plain');
        $f.Print('logged');
    }, '--socket', $path, '--param', 'REQUEST_URI=/logged', '--method', 'POST');
    like $r<text>, / 'logged' $ /, 'answered';
    $fcgi.log('between requests');
    wait-for-lines($access, 1);
    like $access.slurp, / ^ '- - - [' <-[\]]>+ '] "POST /logged" 200 6 "-" "-" ' \d+ \n $ /,
        'one Combined Log Format line';
    my $log = $errors.slurp;
    like $log, / '[' $*PID ']: warning: "POST /logged" from - via unix peer pid ' \d+ ': from the handler' \n /,
        'log() in a request names the request';
    like $log, / ']: info: between requests' \n /, 'log() between requests';
    like $fcgi.server-status(:json), / '"processes":1,' .* '"requests":1,' /, 'server-status(:json) counts it';
    like $fcgi.server-status, / 'requests:' \s+ 1 \n /, 'server-status as text';
    $fcgi.close;
}

subtest 'bad settings are refused with the library\'s reasons', {
    my $fcgi = FastCGI::NativeCall.new(path => ~$dir.add('bad.sock'));
    throws-like { $fcgi.error-log('-', :level<loud>) }, X::FastCGI::Invalid,
        message => / 'loud' /, 'an unknown log level';
    throws-like { $fcgi.log('x', :level<loud>) }, X::FastCGI::Invalid, 'an unknown level for log()';
    throws-like { $fcgi.status-path('status') }, X::FastCGI::Invalid, 'a status path without /';
    throws-like { $fcgi.access-log(~$dir.add('missing/dir/access.log')) }, X::FastCGI::File,
        message => / 'missing/dir' /, 'a log file that cannot be opened';
    throws-like { $fcgi.set-limits(max-requests => -1) }, X::FastCGI::Invalid, 'a negative limit';
    throws-like { $fcgi.configure(limits => { nonsense => 1 }) }, X::FastCGI::Invalid,
        message => / 'request-ms' /, 'an unknown limit lists the limits';
    $fcgi.close;
}

subtest 'old API: max-requests retires the listener; accept is False, retired says why', {
    my $path = ~$dir.add('retire.sock');
    my $fcgi = FastCGI::NativeCall.new(:$path, limits => { max-requests => 2 });
    is $fcgi.limit('max-requests'), 2, 'the limit is set';
    nok $fcgi.retired.defined, 'not retired while serving';
    for ^2 {
        serve-one($fcgi, -> $f { $f.Print("Content-Type: text/plain\r\n\r\nok") }, '--socket', $path);
    }
    nok $fcgi.accept, 'no request after the second';
    is $fcgi.retired, 'max-requests', "retired: 'max-requests'";
    is FastCGI::NativeCall::RETIRED-EXIT-STATUS, 75, 'RETIRED-EXIT-STATUS is 75';
    $fcgi.close;
}

subtest 'Async serve: the status page, then max-requests: serve returns 75', {
    my $path = ~$dir.add('serve.sock');
    my $async = FastCGI::NativeCall::Async.new(:$path, workers => 2, status-path => '/status',
                                               limits => { max-requests => 3 });
    my $served = start $async.serve(-> $f { $f.Print("Content-Type: text/plain\r\n\r\nhi") });
    wait-listening($path);
    my $status = fcgi('--socket', $path, '--param', 'REQUEST_URI=/status', '--query', 'json');
    like $status<text>, / 'Content-Type: application/json' .* '"processes":1,' .* '"workers":[' /,
        'the library answers the status page';
    is fcgi('--socket', $path)<text>.split("\r\n\r\n")[1], 'hi', 'the app answers' for ^2;
    await Promise.anyof($served, Promise.in(30));
    is $served.status, Kept, 'serve returned';
    is $served.result, 75, 'with 75';
    is $async.retired, 'max-requests', 'retired: max-requests';
}

# A script serving with `serve`: /slow takes 2 s, /hang 60 s.
my $script = $dir.add('serve.raku');
$script.spurt: q:to/END/;
    use FastCGI::NativeCall::Async;
    my ($path, $workers, $request-ms, $errors) = @*ARGS;
    my $async = FastCGI::NativeCall::Async.new(:$path, workers => +$workers, error-log => $errors,
                                               log-level => 'info', limits => { request-ms => +$request-ms });
    my $rc = $async.serve: -> $f {
        given $f.env<QUERY_STRING> {
            when 'slow' { say 'slow begun'; sleep 2 }
            when 'hang' { sleep 60 }
        }
        $f.Print("Content-Type: text/plain\r\n\r\ndone");
    }
    say "serve returned $rc ({$async.retired // 'not retired'})";
    exit $rc;
    END

sub serving(Str $name, Int $workers, Int $request-ms --> List) {
    my $path = ~$dir.add("$name.sock");
    my $errors = $dir.add("{$name}-errors.log");
    my $app = App.start($script, $path, $workers, $request-ms, ~$errors, :unbuffered);
    wait-listening($path);
    $app, $path, $errors
}

subtest 'serve: SIGTERM lets the request in flight finish, then exit 0', {
    my ($app, $path, $errors) = serving('term', 2, 10_000);
    my $slow = fcgi-start('--socket', $path, '--query', 'slow');
    for ^300 { last if $app.out.contains('slow begun'); sleep 0.1 }
    ok $app.out.contains('slow begun'), 'the slow request is in the handler';
    is $app.stop(SIGTERM), 0, 'exit 0';
    is (await $slow)<text>.split("\r\n\r\n")[1], 'done', 'the request in flight was answered';
    like $app.out, / 'serve returned 0 (not retired)' /, 'serve returned 0';
}

subtest 'serve: a request past request-ms is a 504; serve returns 75 without its stuck thread', {
    my ($app, $path, $errors) = serving('timeout', 2, 300);
    my $r = fcgi('--socket', $path, '--method', 'GET', '--param', 'REQUEST_URI=/hang', '--query', 'hang');
    like $r<text>, / ^ 'Status: 504 Gateway Timeout' /, '504';
    await Promise.anyof($app.exited, Promise.in(30));
    is $app.stop, 75, 'exit 75';
    like $app.out, / 'serve returned 75 (timeout)' /, 'serve returned 75, retired: timeout';
    like $errors.slurp, / 'error: "GET /hang" from - via unix peer pid ' \d+ ': running ' \d+ ' ms, past FFCGI_LIMIT_REQUEST_MS (300): answered 504' /,
        'the error log names the request';
    unlike $errors.slurp, / 'ending the process' /, 'the app ended itself';
}

subtest 'one thread, stuck: the library ends the process with 75', {
    my ($app, $path, $errors) = serving('stuck', 1, 300);
    my $r = fcgi('--socket', $path, '--query', 'hang');
    like $r<text>, / ^ 'Status: 504 Gateway Timeout' /, '504';
    await Promise.anyof($app.exited, Promise.in(30));
    is $app.stop, 75, 'exit 75';
    like $errors.slurp, / 'error: ending the process (exit status 75): 1 thread(s) stuck in timed-out requests' /,
        'the error log says why';
    nok $path.IO.e, 'the socket file is removed';
}
