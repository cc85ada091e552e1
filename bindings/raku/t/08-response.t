use v6.d;
# The extras around a request: status, stderr, exit-status, role,
# request-id, keep-conn, socket, is-cgi and the listener's limits.
use lib $?FILE.IO.parent.add('lib').absolute;
use Test;
use FFCGITest;
use FastCGI::NativeCall;

needs-client;
plan 9;

my $server = Listening.new('response', FastCGI::NativeCall);
my ($dir, $path, $fcgi) = $server.dir, $server.path, $server.fcgi;
sub answer(&handler, *@args --> Hash) { $server.answer(&handler, |@args) }

subtest 'status', {
    is answer({ .status(404) })<text>, "Status: 404 Not Found\r\n\r\n", 'the standard reason';
    is answer({ .status(299, 'Fine Anyway'); .Print('x') })<text>, "Status: 299 Fine Anyway\r\n\r\nx", 'a reason of the app';
    my $caught;
    answer({ $caught = (try .status(42)) // $! });
    isa-ok $caught, X::FastCGI::Invalid, 'not an HTTP status';
}

subtest 'stderr goes to FCGI_STDERR', {
    my ($text, $bytes);
    my $r = answer({ $text = .stderr("warning: ö\n"); $bytes = .stderr(Blob.new(0, 0xFF)); .Print('out') });
    ok $r<stderr> eq "warning: ö\n".encode ~ Blob.new(0, 0xFF), 'text and bytes';
    is $r<text>, 'out', 'apart from the body';
    is ($text, $bytes), (12, 2), 'each returns its byte count';
}

subtest 'exit-status is the appStatus of the end', {
    is answer({ .exit-status(3) })<app-status>, 3, 'set';
    is answer({ ; })<app-status>, 0, 'back to 0 for the next request';
}

subtest 'role, request-id, keep-conn', {
    my %seen;
    answer({ %seen = role => .role, id => .request-id, keep => .keep-conn }, '--request-id', 7);
    is %seen<role>, FastCGI::NativeCall::Responder, 'Responder';
    is %seen<id>, 7, 'the request id';
    is %seen<keep>, False, 'not kept open';
    answer({ %seen = role => .role, keep => .keep-conn }, '--role', 'authorizer', '--keep-conn');
    is %seen<role>, FastCGI::NativeCall::Authorizer, 'Authorizer';
    is %seen<keep>, True, 'kept open';
}

subtest 'the listener: socket and is-cgi', {
    isa-ok $fcgi.socket, Int, 'the descriptor';
    ok $fcgi.socket >= 0, 'a real one';
    is $fcgi.is-cgi, False, 'not CGI';
}

subtest 'a body over the limit', {
    my $limited-path = ~$dir.add('limited.sock');
    my $limited = FastCGI::NativeCall.new(path => $limited-path);
    $limited.set-limits(body-bytes => 1000);
    is $limited.limit('body-bytes'), 1000, 'set';
    my $caught;
    my $r = serve-one($limited, {
        $caught = (try { .read(10_000) while True }) // $!;
        .status(413);
    }, '--socket', $limited-path, '--stdin-random', 5000, '--param', 'CONTENT_LENGTH=');
    isa-ok $caught, X::FastCGI::Limit, 'reading past it throws';
    is $r<text>, "Status: 413 Content Too Large\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        ~ "413 Content Too Large\n", 'and the library answers 413 in place of the app';
    throws-like { $limited.limit('no-such') }, X::FastCGI::Invalid, 'an unknown limit';
    is $limited.limit('connections'), 1024, 'the connection limit, by default';
    $limited.set-limits(connections => 16);
    is $limited.limit('connections'), 16, 'the connection limit, set';
    throws-like { $limited.set-limits(connections => 0) }, X::FastCGI::Invalid,
        'at least one connection';
    $limited.close;
}

subtest 'a client that leaves mid-response is X::FastCGI::Connection, and the next request is served', {
    my $client = Proc::Async.new(client(), '--socket', $path);
    my $client-exited = $client.start;
    ok $fcgi.accept, 'accepted';
    $client.kill(SIGKILL);  # gone while the app answers
    await Promise.anyof($client-exited);  # it ends broken (killed), as meant
    my $caught = (try { $fcgi.write(Blob.new(0 xx 65536)) for ^200; $fcgi.Flush }) // $!;
    ok $caught ~~ X::FastCGI::Connection, 'writing to it fails with a connection error';
    is answer({ .Print('next') })<text>, 'next', 'the next one is fine';
}

# The head and up to 64 KiB of body are held in Raku and handed to
# libffcgi in one call (FastCGI::NativeCall::Pending); what is held must be
# exactly what was given, whatever the app does afterwards.
subtest 'the response held back reaches the web server as given', {
    my $buf = buf8.new('before'.encode);
    is answer({ .write($buf); $buf[0] = 'B'.ord; $buf.append('!'.encode) })<text>, 'before',
        'a Buf changed after write: the bytes written are sent';
    my @pieces = (^100).map({ Blob.new(($_ % 256) xx 1000) });
    my $r = answer(-> $f { $f.header(Content-Type => 'application/octet-stream'); $f.write($_) for @pieces });
    my $expected = Buf.new;
    $expected.append($_) for @pieces;
    ok $r<stdout> eq "Content-Type: application/octet-stream\r\n\r\n".encode ~ $expected,
        '100 writes of 1000 bytes (past 64 KiB): whole and in order';
    my $large = Buf.new(flat (^256) xx 1024);
    is answer({ .write($large); .write('tail'.encode) })<stdout>.bytes, 262_148,
        'one write of 256 KiB, then more';
    is answer({ .Flush; .header(X-After-Flush => 1); .Print('x') })<text>, "X-After-Flush: 1\r\n\r\nx",
        'a Flush before any head leaves the head open, as in libffcgi';
    my $caught;
    answer({ .header(X-A => 1); .Flush; $caught = (try .header(X-B => 2)) // $! });
    isa-ok $caught, X::FastCGI::State, 'a Flush after a head closes it';
    my %after;
    answer({ .Finish; %after = env => .env<REQUEST_METHOD>, params => +.params }, '--param', 'REQUEST_METHOD=GET');
    is %after<env>, 'GET', 'env stays readable after Finish';
    ok %after<params> > 0, 'and params';
}

subtest 'the library version', {
    like FastCGI::NativeCall.library-version, / ^ 1 '.' /, 'ABI 1';
}

$fcgi.close;
