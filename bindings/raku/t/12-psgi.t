use v6.d;
# FastCGI::NativeCall::PSGI: the old companion module's constructors and
# `app` (its own test's shapes), the deprecated forms warning once, `run`
# serving PSGI and P6W apps (the env keys, the body in full and as a
# stream, every answer shape: Promise, Hash and Pair headers, Str, Blob,
# list, Supply and Channel bodies), an app that dies (500, a log line, the
# next request served), a bad answer, workers, the body limit, `handler`,
# and the socket's mode.
use lib $?FILE.IO.parent.add('lib').absolute;
use Test;
use FFCGITest;
use FastCGI::NativeCall;
use FastCGI::NativeCall::PSGI;

needs-client;
plan 13;

my $dir = temp-dir;
my $n = 0;
sub sock-path(--> Str) { ~$dir.add("psgi-{++$n}.sock") }

# What `note` writes while &code runs.
sub noted(&code --> Str) {
    my $text = '';
    my $*ERR = class { method print(*@a) { $text ~= @a.join }; method say(*@a) { $text ~= @a.join ~ "\n" } }.new;
    code();
    $text
}

# `$psgi.run(&app)` in the background while &client sends requests to it;
# then the listener is shut down and run's exit status checked.
sub serving($psgi, Mu $app, &client) {
    my $run = start $psgi.run($app);
    client();
    $psgi.fcgi.shutdown;
    is await($run), 0, 'run returns 0 after the listener was shut down';
}

subtest 'the old API: new(fcgi => ...)', {
    my $path = sock-path;
    my $psgi = FastCGI::NativeCall::PSGI.new(fcgi => FastCGI::NativeCall.new(:$path, backlog => 5));
    ok $psgi, 'created object';
    ok $path.IO.e, 'the socket was created okay';
    sub dispatch-psgi($env) { 'works' }
    $psgi.app(&dispatch-psgi);
    is $psgi.app.({}), 'works', 'app successfully set';
    $psgi.fcgi.close;
}

subtest 'the new API: new(:path, :backlog)', {
    my $path = sock-path;
    my $psgi = FastCGI::NativeCall::PSGI.new(:$path, backlog => 5);
    ok $path.IO.e, 'the socket was created okay';
    $psgi.app = -> $env { 'assigned' };
    is $psgi.app.({}), 'assigned', 'app is assignable';
    $psgi.fcgi.close;
}

subtest 'with a socket: new(:socket), and the old new(:sock) and new($fcgi)', {
    my $path = sock-path;
    my $socket = FastCGI::NativeCall::OpenSocket($path, 5);
    my $psgi = FastCGI::NativeCall::PSGI.new(:$socket);
    ok $path.IO.e, 'the socket was created okay';
    my $warnings = noted {
        FastCGI::NativeCall::PSGI.new(sock => $socket) for ^2;
        FastCGI::NativeCall::PSGI.new($psgi.fcgi) for ^2;
    };
    is +$warnings.lines.grep(/'new(:sock) is deprecated'/), 1, 'new(:sock) warns, once';
    is +$warnings.lines.grep(/'new($fcgi) is deprecated'/), 1, 'new($fcgi) warns, once';
    $psgi.fcgi.close;
}

subtest 'a Crust-style app: a Promise, Set-Cookie twice in order, the env', {
    my $path = sock-path;
    my $psgi = FastCGI::NativeCall::PSGI.new(:$path);
    my %seen;
    my &app = -> %env {
        %seen = %env<psgi.version psgi.url_scheme psgi.multithread psgi.run_once p6w.url-scheme
                     p6w.protocol REQUEST_METHOD>:p;
        %seen<p6w.version> = ~%env<p6w.version>;
        start { 200, [Content-Type => 'text/plain', Set-Cookie => 'a=1', Set-Cookie => 'b=2'], ['hello ', 'Crust'] }
    };
    serving $psgi, &app, {
        is await(fcgi-start('--socket', $path, '--param', 'HTTPS=on', '--method', 'GET'))<text>,
            "Status: 200 OK\r\nContent-Type: text/plain\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\nhello Crust", 'the answer';
    };
    is-deeply %seen<psgi.version>, [1, 0], 'psgi.version';
    is %seen<psgi.url_scheme>, 'https', 'psgi.url_scheme from HTTPS';
    is %seen<p6w.url-scheme>, 'https', 'p6w.url-scheme';
    is %seen<p6w.version>, '0.7.Draft', 'p6w.version';
    is %seen<p6w.protocol>, 'request-response', 'p6w.protocol';
    is %seen<psgi.multithread>, False, 'one worker: not multithreaded';
    is %seen<psgi.run_once>, False, 'not run once';
    is %seen<REQUEST_METHOD>, 'GET', 'the params';
}

subtest 'every body and header shape', {
    my $path = sock-path;
    my $psgi = FastCGI::NativeCall::PSGI.new(:$path);
    my %apps =
        str => -> %env { [200, {Content-Type => 'text/plain'}, 'plain'] },
        blob => -> %env { [200, [], Blob.new(0, 0xFF, 10)] },
        list => -> %env { [201, ['X-A', '1', 'X-B', '2'], ['a', Blob.new(0x62), 'c']] },
        supply => -> %env { [200, {Set-Cookie => <x=1 y=2>}, supply { emit 'chunk1 '; emit Blob.new(0x21) }] },
        channel => -> %env { my $c = Channel.new; $c.send($_) for 'c1', 'c2'; $c.close; [200, [], $c] },
        empty => -> %env { [204, [X-Empty => 'yes'], []] };
    serving $psgi, -> %env { %apps{%env<QUERY_STRING>}(%env) }, {
        my %r = %apps.keys.map({ $_ => await fcgi-start('--socket', $path, '--query', $_) });
        is %r<str><text>, "Status: 200 OK\r\nContent-Type: text/plain\r\n\r\nplain", 'a Str, Hash headers';
        ok %r<blob><stdout> eq "Status: 200 OK\r\n\r\n".encode ~ Blob.new(0, 0xFF, 10), 'a Blob, byte for byte';
        is %r<list><text>, "Status: 201 Created\r\nX-A: 1\r\nX-B: 2\r\n\r\nabc", 'a list of Str and Blob; a flat header list';
        is %r<supply><text>, "Status: 200 OK\r\nSet-Cookie: x=1\r\nSet-Cookie: y=2\r\n\r\nchunk1 !", 'a Supply; a Hash value of two lines';
        is %r<channel><text>, "Status: 200 OK\r\n\r\nc1c2", 'a Channel';
        is %r<empty><text>, "Status: 204 No Content\r\nX-Empty: yes\r\n\r\n", 'no body';
    };
}

subtest 'the body: in full, as a stream, and as the old Blob', {
    my $path = sock-path;
    my $psgi = FastCGI::NativeCall::PSGI.new(:$path);
    my &app = -> %env {
        given %env<QUERY_STRING> {
            when 'full' { [200, [], [%env<psgi.input>.slurp(:bin)]] }
            when 'stream' { [200, [], %env<p6w.input>.map({ "{.bytes};" })] }
            when 'decode' { [200, [], [%env<psgi.input>.decode.uc]] }
        }
    };
    serving $psgi, &app, {
        my $full = await fcgi-start('--socket', $path, '--query', 'full', '--stdin-random', 100_000, '--param', 'CONTENT_LENGTH=');
        is $full<stdout>.bytes, "Status: 200 OK\r\n\r\n".encode.bytes + 100_000, 'psgi.input.slurp(:bin): every byte';
        my $stream = await fcgi-start('--socket', $path, '--query', 'stream', '--stdin-random', 150_000, '--param', 'CONTENT_LENGTH=');
        is $stream<text>.substr("Status: 200 OK\r\n\r\n".chars).split(';', :skip-empty)».Int.sum, 150_000, 'p6w.input: chunks adding up to the body';
        my $file = $dir.add('body.txt');
        $file.spurt('héllo');
        my $decoded = await fcgi-start('--socket', $path, '--query', 'decode', '--stdin-file', ~$file);
        is $decoded<text>, "Status: 200 OK\r\n\r\nHÉLLO", 'psgi.input.decode, as apps of the old module did';
    };
}

subtest 'an app that dies: 500, a log line, and the server goes on', {
    my $path = sock-path;
    my $psgi = FastCGI::NativeCall::PSGI.new(:$path);
    my &app = sub (%env) {
        given %env<QUERY_STRING> // '' {
            when 'die' { die 'boom' }
            when 'bad' { 'not a response' }
            default { [200, [], ['fine']] }
        }
    };
    serving $psgi, &app, {
        my $died = await fcgi-start('--socket', $path, '--query', 'die');
        is $died<text>, "Status: 500 Internal Server Error\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            ~ "500 Internal Server Error\n", '500';
        like $died<stderr>.decode, / 'the app died: boom' /, 'the log line on FCGI_STDERR';
        my $bad = await fcgi-start('--socket', $path, '--query', 'bad');
        like $bad<text>, / ^ 'Status: 500' /, 'a bad answer: 500';
        like $bad<stderr>.decode, / 'not [status, headers, body]' /, 'named in the log';
        is (await fcgi-start('--socket', $path))<text>, "Status: 200 OK\r\n\r\nfine", 'the next request is served';
    };
}

subtest 'an object with .handle', {
    my $path = sock-path;
    my $psgi = FastCGI::NativeCall::PSGI.new(:$path);
    my $app = class { method handle(%env) { [200, [], ["handled {%env<QUERY_STRING>}"]] } }.new;
    serving $psgi, $app, {
        is (await fcgi-start('--socket', $path, '--query', 'q'))<text>, "Status: 200 OK\r\n\r\nhandled q", 'handle(%env) is called';
    };
}

subtest 'workers => 2', {
    my $path = sock-path;
    my $psgi = FastCGI::NativeCall::PSGI.new(:$path, workers => 2);
    my $multithread;
    serving $psgi, -> %env { $multithread = %env<psgi.multithread>; [200, [], ['ok']] }, {
        is (await (^4).map({ fcgi-start('--socket', $path) })).map(*<text>).join('|'), ("Status: 200 OK\r\n\r\nok" xx 4).join('|'), 'four answered';
    };
    is $multithread, True, 'psgi.multithread';
}

subtest 'the body limit of the library', {
    my $path = sock-path;
    my $psgi = FastCGI::NativeCall::PSGI.new(:$path);
    $psgi.fcgi.set-limits(body-bytes => 1000);
    serving $psgi, -> %env { [200, [], [%env<psgi.input>.slurp(:bin).bytes ~ ' bytes']] }, {
        like (await fcgi-start('--socket', $path, '--stdin-random', 5000, '--param', 'CONTENT_LENGTH='))<text>,
            / ^ 'Status: 413' /, 'a body over it: 413';
        my $file = $dir.add('small.txt');
        $file.spurt('small');
        is (await fcgi-start('--socket', $path, '--stdin-file', ~$file))<text>, "Status: 200 OK\r\n\r\n5 bytes", 'a body under it';
    };
}

subtest 'handler: the old way of serving one request', {
    my $path = sock-path;
    my $psgi = FastCGI::NativeCall::PSGI.new(:$path);
    $psgi.app(-> %env { [302, [Location => '/x'], ['moved']] });
    my $client = fcgi-start('--socket', $path);
    ok $psgi.fcgi.accept, 'accepted';
    my $text = $psgi.handler;
    is $text, "Status: 302\r\nLocation: /x\r\n\r\nmoved", 'the response as text';
    $psgi.fcgi.Print($text);
    $psgi.fcgi.Finish;
    like (await $client)<text>, / 'Location: /x' /, 'printed, it reaches the web server';
    $psgi.fcgi.close;
}

subtest 'run without an app', {
    my $psgi = FastCGI::NativeCall::PSGI.new(path => sock-path);
    throws-like { $psgi.run }, Exception, message => / 'no app' /, 'dies, saying so';
    $psgi.fcgi.close;
}

subtest ':mode sets the socket file\'s permissions', {
    my $path = sock-path;
    my $psgi = FastCGI::NativeCall::PSGI.new(:$path, mode => 0o660);
    is $path.IO.mode, '0660', 'rw for the owner and the group';
    $psgi.fcgi.close;
}
