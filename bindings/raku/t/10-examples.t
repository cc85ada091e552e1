use v6.d;
# examples/hello.raku and examples/echo.raku as processes: --socket (unix
# and TCP), --threads, SIGTERM, an inherited listener (spawn-fcgi), plain
# CGI; and the Raku echo answering exactly as the C echo under concurrent
# load.
use lib $?FILE.IO.parent.add('lib').absolute;
use Test;
use FFCGITest;

needs-client;
plan 8;

my $dir = temp-dir;
my $examples = source-dir.add('examples');
my $hello = $examples.add('hello.raku');
my $echo = $examples.add('echo.raku');
my $production = $examples.add('production.raku');

sub free-port(--> Int) {
    my $probe = IO::Socket::INET.new(:listen, :localhost<127.0.0.1>, :localport(0));
    LEAVE $probe.close;
    $probe.localport
}

subtest 'hello.raku --threads 3 over a unix socket', {
    my $path = $dir.add('hello.sock');
    my $app = App.start($hello, '--socket', ~$path, '--threads', 3);
    wait-listening(~$path);
    my @answers = await (^6).map: { fcgi-start('--socket', ~$path) };
    ok @answers.map(*<text>).all.starts-with("Content-Type: text/html; charset=utf-8\r\n\r\n<h1>Hello from ffcgi (Raku)!</h1>"),
        'six greetings';
    is-deeply @answers.map({ +(.<text> ~~ / 'Request number ' (\d+) /)[0] }).sort.List, (1..6).List,
        'counted 1 to 6 across the threads, none twice';
    is $app.stop(SIGTERM), 0, 'SIGTERM: exit 0';
    nok $path.e, 'the socket file is removed';
    is $app.err, '', 'nothing on stderr';
}

subtest 'hello.raku over TCP, stopped by SIGINT', {
    my $address = "127.0.0.1:{free-port}";
    my $app = App.start($hello, "--socket=$address");
    wait-listening($address);
    like fcgi('--socket', $address)<text>, / 'Request number 1' /, 'answers';
    is $app.stop(SIGINT), 0, 'SIGINT: exit 0';
}

subtest 'echo.raku answers as the C echo, 24 requests at once on 4 threads', {
    my $c-echo = %*ENV<FFCGI_TEST_C_ECHO> // die 'FFCGI_TEST_C_ECHO (build/examples/echo) is not set';
    my $raku-path = ~$dir.add('echo-raku.sock');
    my $c-path = ~$dir.add('echo-c.sock');
    my $raku = App.start($echo, '--socket', $raku-path, '--threads', 4);
    my $c = Proc::Async.new($c-echo, '--socket', $c-path, '--threads', 4);
    my $c-exit = $c.start;
    wait-listening($_) for $raku-path, $c-path;

    my $params = $dir.add('odd-params');
    $params.spurt(Blob.new(0x48, 0x5F, 0xC3, 0xA9, 0x3D, |(1..9), |(0x0B..0xFF), 0x0A), :bin);
    my @requests = (^24).map: -> $i {
        my @args = '--method', <GET POST PUT>[$i % 3], '--query', "i=$i&status={ 200 + $i * 7 }&stderr=note$i";
        @args.append: '--stdin-random', $i * 40_000 + $i, '--seed', $i, '--stdin-chunk', 4093 + $i if $i %% 2;
        @args.append: '--param-file', ~$params if $i %% 3;
        @args.append: '--param', "HTTP_X_SPACE=a b%c=d", '--params-chunk', 7 if $i %% 5;
        @args
    };
    my @raku = await @requests.map: { fcgi-start('--socket', $raku-path, |$_) };
    my @c = await @requests.map: { fcgi-start('--socket', $c-path, |$_) };
    my @different = (^24).grep: { @raku[$_]<stdout stderr app-status exit> !eqv @c[$_]<stdout stderr app-status exit> };
    is-deeply @different, [], 'every answer byte for byte the same (stdout, stderr, app status)';
    ok @c.map(*<exit>).all == 0, 'and they were real answers';
    diag "first difference:\nraku: {@raku[@different[0]]<text>}\nc:    {@c[@different[0]]<text>}" if @different;
    is $raku.stop, 0, 'SIGTERM: exit 0';
    $c.kill(SIGTERM);
    await $c-exit;
}

subtest 'echo.raku over TCP', {
    my $address = "127.0.0.1:{free-port}";
    my $app = App.start($echo, '--socket', $address);
    wait-listening($address);
    my $r = fcgi('--socket', $address, '--method', 'GET', '--query', 'a=1');
    is $r<text>, "Status: 200 OK\r\nContent-Type: text/plain\r\n\r\n"
        ~ "method=GET\nquery=a%3D1\nstdin_bytes=0\n"
        ~ "stdin_sha256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
        ~ "param_count=3\nFCGI_ROLE=RESPONDER\nQUERY_STRING=a%3D1\nREQUEST_METHOD=GET\nend\n",
        'the example of the echo contract';
    is $app.stop, 0, 'SIGTERM: exit 0';
}

subtest 'a listener inherited on fd 0 (spawn-fcgi -n)', {
    my $path = $dir.add('spawned.sock');
    my $lib = $?FILE.IO.parent.parent.add('lib').absolute;
    my $spawned = Proc::Async.new('spawn-fcgi', '-n', '-s', ~$path, '-M', '0600', '--',
                                  $*EXECUTABLE.absolute, '-I', $lib, ~$hello, '--threads', 2);
    my $exited = $spawned.start;  # -n: spawn-fcgi becomes the app (same PID)
    wait-listening(~$path);
    like fcgi('--socket', ~$path)<text>, / 'Request number 1' /, 'answers on fd 0';
    $spawned.kill(SIGTERM);
    await Promise.anyof($exited, Promise.in(30));
    is $exited.status, Kept, 'stopped';
    is $exited.result.exitcode, 0, 'SIGTERM: exit 0';
}

subtest 'plain CGI: one request from the environment', {
    my $proc = run $*EXECUTABLE, '-I', $?FILE.IO.parent.parent.add('lib').absolute, $hello,
        :env(%*ENV, GATEWAY_INTERFACE => 'CGI/1.1', REQUEST_METHOD => 'GET'), :in, :out, :err;
    $proc.in.close;
    my $out = $proc.out.slurp(:bin, :close).decode;  # bytes: a text read would turn CR LF into LF
    is $proc.exitcode, 0, 'exit 0 after the one request';
    like $out, / ^ "Content-Type: text/html; charset=utf-8\r\n\r\n<h1>Hello from ffcgi (Raku)!</h1>" /, 'the answer on stdout';
}

subtest 'production.raku: mode, access log, status page, --max-requests=3 exits 75', {
    my $path = $dir.add('production.sock');
    my $access = $dir.add('production-access.log');
    my $app = App.start($production, "--socket=$path", '--mode=660', '--threads=2',
                        "--access-log=$access", '--status-path=/status', '--max-requests=3');
    wait-listening(~$path);
    is $path.mode, '0660', 'the socket file is 0660';
    like fcgi('--socket', ~$path, '--param', 'REQUEST_URI=/status')<text>, / 'processes:' \s+ 1 /,
        'the status page';
    like fcgi('--socket', ~$path)<text>, / 'Hello from ffcgi (Raku), process ' \d+ ', request 1' /,
        'a greeting';
    fcgi('--socket', ~$path);
    await Promise.anyof($app.exited, Promise.in(30));
    is $app.stop, 75, 'exit 75 after 3 requests (under ffcgi-supervisor: replaced at once)';
    is $access.lines.elems, 3, 'three access-log lines';
}

subtest 'wrong command lines and addresses', {
    my $bad = run $*EXECUTABLE, '-I', $?FILE.IO.parent.parent.add('lib').absolute, $echo, '--threads', 'x', :out, :err;
    is $bad.exitcode, 2, 'a bad --threads: exit 2';
    like $bad.err.slurp(:close), / usage /, 'with the usage';
    my $file = $dir.add('a-file');
    $file.spurt('x');
    my $busy = run $*EXECUTABLE, '-I', $?FILE.IO.parent.parent.add('lib').absolute, $hello, '--socket', ~$file, :out, :err;
    is $busy.exitcode, 1, 'a path that is not a socket: exit 1';
    like $busy.err.slurp(:close), / 'not a socket' /, 'saying so';
}
