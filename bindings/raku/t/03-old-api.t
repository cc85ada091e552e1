use v6.d;
# The old module's API, method by method: both constructors, OpenSocket and
# CloseSocket, accept/Accept, env (per object and per request), Print, Read,
# Flush, Finish, close.
use lib $?FILE.IO.parent.add('lib').absolute;
use Test;
use FFCGITest;
use FastCGI::NativeCall;

needs-client;
plan 8;

my $dir = temp-dir;
my sub hi($fcgi) { $fcgi.Print("Content-Type: text/plain\r\n\r\nhi") }

subtest 'new(:path, :backlog) listens until close', {
    my $path = $dir.add('path.sock');
    my $fcgi = FastCGI::NativeCall.new(path => ~$path, backlog => 10);
    isa-ok $fcgi, FastCGI::NativeCall;
    ok $path.e, 'the socket file exists';
    is serve-one($fcgi, &hi, '--socket', ~$path)<text>, "Content-Type: text/plain\r\n\r\nhi", 'a request is answered';
    lives-ok { $fcgi.close }, 'close';
    nok $path.e, 'the socket file is gone';
}

subtest 'a relative :path is relative to the working directory', {
    my $cwd = $*CWD;
    &*chdir($dir);
    LEAVE &*chdir($cwd);
    my $fcgi = FastCGI::NativeCall.new(path => 'relative.sock', backlog => 5);
    ok $dir.add('relative.sock').e, 'created in the working directory';
    $fcgi.close;
}

subtest 'the original interface: OpenSocket, new(:socket), new($socket), CloseSocket', {
    my $path = $dir.add('open.sock');
    my $socket = FastCGI::NativeCall::OpenSocket(~$path, 5);
    isa-ok $socket, Int, 'OpenSocket gives a descriptor';
    ok $path.e, 'and creates the socket';
    my $fcgi = FastCGI::NativeCall.new(:$socket);
    is serve-one($fcgi, &hi, '--socket', ~$path)<text>, "Content-Type: text/plain\r\n\r\nhi", 'new(:socket) serves';
    lives-ok { $fcgi.close }, 'close';
    nok $path.e, 'close closed the socket (the listener is gone)';

    my $again = FastCGI::NativeCall::OpenSocket(~$path, 5);
    my $positional = FastCGI::NativeCall.new($again);
    is serve-one($positional, &hi, '--socket', ~$path)<text>, "Content-Type: text/plain\r\n\r\nhi", 'new($socket) serves';
    $positional.close;

    my $unused = FastCGI::NativeCall::OpenSocket(~$path, 5);
    FastCGI::NativeCall::CloseSocket($unused);
    nok $path.e, 'CloseSocket alone closes and removes it';
}

subtest 'accept gives a Bool, Accept an Int', {
    my $path = ~$dir.add('accept.sock');
    my $fcgi = FastCGI::NativeCall.new(:$path);
    my $client = fcgi-start('--socket', $path);
    my $accepted = $fcgi.accept;
    isa-ok $accepted, Bool;
    ok $accepted, 'True with a request';
    $fcgi.Print("Status: 204\r\n\r\n");
    $fcgi.Finish;
    await $client;
    $client = fcgi-start('--socket', $path);
    is-deeply $fcgi.Accept, 0, 'Accept: 0 with a request';
    $fcgi.Finish;
    await $client;
    $fcgi.shutdown;
    is $fcgi.Accept, -8, 'Accept after shutdown: negative (FFCGI_ESHUTDOWN)';
    is-deeply $fcgi.accept, False, 'accept after shutdown: False';
    $fcgi.close;
}

subtest 'env belongs to the object and to the current request', {
    my ($pa, $pb) = ~$dir.add('a.sock'), ~$dir.add('b.sock');
    my $a = FastCGI::NativeCall.new(path => $pa);
    my $b = FastCGI::NativeCall.new(path => $pb);
    serve-one($a, { ; }, '--socket', $pa, '--param', 'ONLY_A=1', '--method', 'GET');
    serve-one($b, { ; }, '--socket', $pb, '--param', 'ONLY_B=2');
    is $a.env<ONLY_A>, '1', 'the first object has its param';
    nok $a.env<ONLY_B>:exists, 'and not the other object\'s';
    is $b.env<ONLY_B>, '2', 'the second object has its own';
    nok $b.env<ONLY_A>:exists, 'and not the first\'s';
    is $a.env<REQUEST_METHOD>, 'GET', 'env still answers after Finish';
    ok $a.env.values.all ~~ Str, 'values are Str';

    $a.env<ONLY_A> = 'changed';
    is $a.env<ONLY_A>, 'changed', 'the Hash is the caller\'s to change';
    is-deeply $a.params.first(*.key eq 'ONLY_A'.encode).value, '1'.encode('latin-1'),
        'changing it does not touch what the library holds';

    serve-one($a, { ; }, '--socket', $pa, '--param', 'NEXT=3');
    nok $a.env<ONLY_A>:exists, 'the next request does not see the previous one\'s params';
    is $a.env<NEXT>, '3', 'only its own';
    is $a.env<FCGI_ROLE>, 'RESPONDER', 'and what libfcgi adds';
    $a.close;
    $b.close;
}

subtest 'Read gives text of the body, in pieces', {
    my $path = ~$dir.add('read.sock');
    my $fcgi = FastCGI::NativeCall.new(:$path);
    my $body = $dir.add('read-body');
    $body.spurt('The quick brown fox');
    my @pieces;
    serve-one($fcgi, { while .Read(5) -> $piece { @pieces.push: $piece } }, '--socket', $path, '--stdin-file', ~$body);
    is-deeply @pieces, ['The q', 'uick ', 'brown', ' fox'], 'Read(5) until ""';
    $fcgi.close;
}

subtest 'Print, Flush and Finish', {
    my $path = ~$dir.add('print.sock');
    my $fcgi = FastCGI::NativeCall.new(:$path);
    my ($printed, $late, $finished);
    my $r = serve-one($fcgi, {
        $printed = .Print("Content-Type: text/plain\r\n\r\nnaïve");
        .Flush;
        $late = (try .status(500)) // $!;
        $finished = .Finish;
    }, '--socket', $path);
    is $printed, 28 + 6, 'Print returns the number of bytes (UTF-8: ï is two)';
    is $r<text>, "Content-Type: text/plain\r\n\r\nnaïve", 'the text arrives as UTF-8';
    isa-ok $late, X::FastCGI::State, 'after Flush the head is out: status is refused';
    is-deeply $finished, True, 'Finish: True when the web server was told';
    throws-like { $fcgi.Print('more') }, X::FastCGI::State, 'after Finish there is no request to print to';
    $fcgi.close;
}

subtest 'header as the old module documented it', {
    my $path = ~$dir.add('header.sock');
    my $fcgi = FastCGI::NativeCall.new(:$path);
    my $count = 0;
    my $r = serve-one($fcgi, { .header(Content-Type => 'text/html'); .Print("{ ++$count }") }, '--socket', $path);
    is $r<text>, "Content-Type: text/html\r\n\r\n1", 'header(*%h) then Print';
    $r = serve-one($fcgi, { .header(%('Content-Type' => 'text/html', 'Status' => '404')); .Print('gone') },
                   '--socket', $path);
    is $r<text>, "Status: 404 Not Found\r\nContent-Type: text/html\r\n\r\ngone", 'header(%h) with a Status key';
    $fcgi.close;
}
