use v6.d;
# The response head: header in all its forms, several Set-Cookie lines, the
# Status key, header injection refused with X::FastCGI::Header (and nothing
# half-sent), and subclasses that override Print, which header writes
# through as the old module did.
use lib $?FILE.IO.parent.add('lib').absolute;
use Test;
use FFCGITest;
use FastCGI::NativeCall;

needs-client;
plan 11;

my $server = Listening.new('headers', FastCGI::NativeCall);
my ($dir, $path, $fcgi) = $server.dir, $server.path, $server.fcgi;
sub answer(&handler, *@args --> Str) { $server.answer(&handler, |@args)<text> }

subtest 'several Set-Cookie lines', {
    is answer({ .header(Content-Type => 'text/plain', Set-Cookie => <a=1 b=2 c=3>); .Print('x') }),
        "Content-Type: text/plain\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nSet-Cookie: c=3\r\n\r\nx",
        'header(*%h) with a list value';
    is answer({ .header(%('Set-Cookie' => ['s=1; Path=/', 's2=2'], 'X-One' => 1)) }),
        "Set-Cookie: s=1; Path=/\r\nSet-Cookie: s2=2\r\nX-One: 1\r\n\r\n",
        'header(%h) with an Array value; the head alone is sent at Finish';
    is answer({ .header('Set-Cookie', 'a=1'); .header('Set-Cookie', 'b=2'); .Print('y') }),
        "Set-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\ny", 'header(name, value) twice';
}

subtest 'the Status key sets the status', {
    is answer({ .header(Status => 404, Content-Type => 'text/plain') }),
        "Status: 404 Not Found\r\nContent-Type: text/plain\r\n\r\n", 'a number; the standard reason is added';
    is answer({ .header(Status => "418 I'm a teapot") }), "Status: 418 I'm a teapot\r\n\r\n", 'with a reason';
    is answer({ .header(status => '201') }), "Status: 201 Created\r\n\r\n", 'the key in any case';
    throws-like { answer({ .header(Status => 'teapot') }) }, X::FastCGI::Header, 'not a code';
}

subtest 'injection through a value is refused', {
    for "\r\nInjected: 1", "\nInjected: 1", "x\ry", "nul\0byte", "bell\x07" -> $value {
        my $caught;
        my $text = answer({
            $caught = (try .header(%('X-Safe' => 'ok', 'X-Evil' => $value))) // $!;
            .Print('body');
        });
        isa-ok $caught, X::FastCGI::Header, "refused: {$value.raku}";
        is $text, 'body', 'and none of that head was queued';
    }
    like answer({ .header(X-Tab => "a\tb") }), / "X-Tab: a\tb\r\n" /, 'a tab is allowed';
    like answer({ .header(X-Name => 'café') }), / 'X-Name: café' /, 'and UTF-8';
}

subtest 'header(name, value) and status(code, reason) refuse injection', {
    my @caught;
    my $text = answer({
        for "a\r\nb", "a\0b" -> $value { @caught.push: (try .header('X-Raw', $value)) // $! }
        @caught.push: (try .status(200, "OK\r\nX: y")) // $!;
        .Print('body');
    });
    ok @caught.all ~~ X::FastCGI::Header, 'CR LF and NUL (the library sees it: lengths are passed), a bad reason';
    like @caught[0].detail, / 'response splitting' /, 'the detail says why';
    is $text, 'body', 'nothing was queued';
}

subtest 'header names must be HTTP tokens', {
    for 'Bad Name', 'X:Y', '', "X\r\nY", 'Ünicode' -> $name {
        throws-like { answer({ .header(%($name => 'v')) }) }, X::FastCGI::Header, "refused: {$name.raku}";
    }
}

subtest 'after the body began the head is closed', {
    my $caught;
    answer({ .Print('body'); $caught = (try .header(X-Late => 1)) // $! });
    isa-ok $caught, X::FastCGI::State;
}

# The old module's header printed through self.Print; code relied on it.
class Mocked is FastCGI::NativeCall {
    method Print(Str $in) { $in }
}

subtest 'a subclass whose Print returns its text (no request needed)', {
    my $mock = Mocked.new(path => ~$dir.add('mock.sock'), backlog => 10);
    my %header = Content-Type => 'text/html; charset=UTF-8', Content-length => 1982,
                 Set-Cookie => ['cookie1=1', 'cookie2=2', 'cookieN=N'];
    my $printed = $mock.header(%header);
    like $printed, / "Content-Type: text/html; charset=UTF-8\r\n" /, 'a header line';
    like $printed, / "Content-length: 1982\r\n" /, 'a number value';
    for <cookie1=1 cookie2=2 cookieN=N> -> $cookie {
        like $printed, / "Set-Cookie: $cookie\r\n" /, "Set-Cookie $cookie";
    }
    ok $printed.ends-with("\r\n\r\n"), 'the head ends with an empty line';
    like $mock.header(Status => 302, Location => '/x'), / ^ "Status: 302\r\n" /, 'Status comes first';
    throws-like { $mock.header(X-Evil => "a\r\nb") }, X::FastCGI::Header, 'injection is refused here too';
    $mock.close;
}

class Logged is FastCGI::NativeCall {
    has @.printed;
    method Print(Str() $text) { @!printed.push: $text; callsame }
}

subtest 'a subclass whose Print logs and passes on', {
    my $logged-path = ~$dir.add('logged.sock');
    my $logged = Logged.new(path => $logged-path);
    my $r = serve-one($logged, { .header(Content-Type => 'text/html'); .Print('<p>hi</p>') }, '--socket', $logged-path);
    is-deeply $logged.printed, ["Content-Type: text/html\r\n\r\n", '<p>hi</p>'], 'header went through Print';
    is $r<text>, "Content-Type: text/html\r\n\r\n<p>hi</p>", 'and reached the web server once';
    is-deeply $logged.worker.WHAT, Logged, 'its workers are of the subclass too';
    $logged.close;
}

subtest 'header and status keep their order and first status', {
    is answer({ .status(503); .header(Retry-After => 120); .Print('later') }),
        "Status: 503 Service Unavailable\r\nRetry-After: 120\r\n\r\nlater", 'status then header';
}

subtest 'header lines checked once are still checked (the per-object cache)', {
    my $line = 'text/plain; charset=utf-8';
    is answer({ .header(Content-Type => $line) }), "Content-Type: $line\r\n\r\n", 'a line';
    is answer({ .header(Content-Type => $line) }), "Content-Type: $line\r\n\r\n", 'the same line again';
    throws-like { answer({ .header(Content-Type => "$line\r\nX: 1") }) }, X::FastCGI::Header,
        'a value that differs by an injection is refused';
    throws-like { answer({ .header(%('Content-Type' => $line, 'Bad Name' => $line)) }) }, X::FastCGI::Header,
        'a cached value under a bad name is refused';
    my $many = answer({ .header(%((^600).map({ "X-N$_" => "v$_" }))) });
    is +$many.lines.grep(/^ 'X-N' \d+ ': v' \d+ $/), 600, 'more distinct lines than the cache holds';
    is answer(-> $f { $f.header(X-N599 => "v599\x07"); CATCH { when X::FastCGI::Header { $f.Print('refused') } } }), 'refused',
        'a control character is refused after the cache was refilled';
    my $with-print = $fcgi but role { method Print(Str() $text) { callwith($text.uc) } };
    my $printed = serve-one($with-print, { .header(Content-Type => $line) }, '--socket', $path)<text>;
    is $printed, "CONTENT-TYPE: {$line.uc}\r\n\r\n", 'a Print mixed in later is used by header';
}

subtest 'response-head: the status and the lines at once, in order', {
    is answer({ .response-head(201, ['Set-Cookie' => 'b=2', 'Set-Cookie' => 'a=1', 'X-Z' => 'z']); .Print('ok') }),
        "Status: 201 Created\r\nSet-Cookie: b=2\r\nSet-Cookie: a=1\r\nX-Z: z\r\n\r\nok", 'kept in the order given';
    my $caught;
    my $text = answer({ $caught = (try .response-head(200, ['X-Ok' => 'fine', 'X-Bad' => "a\r\nb"])) // $!; .Print('body') });
    isa-ok $caught, X::FastCGI::Header, 'a bad line is refused';
    is $text, 'body', 'and none of that head was kept';
    answer({ $caught = (try .response-head(42, [])) // $! });
    isa-ok $caught, X::FastCGI::Invalid, 'a status outside 100..999';
}

$fcgi.close;
