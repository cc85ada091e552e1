use v6.d;
# Programs written for the old modules run unchanged: the synopsis of
# FastCGI::NativeCall (a request counter printing env) and that of
# FastCGI::NativeCall::Async (the same in a react block), as processes.
use lib $?FILE.IO.parent.add('lib').absolute;
use Test;
use FFCGITest;

needs-client;
plan 2;

my $dir = temp-dir;

for <synopsis.raku async-synopsis.raku> -> $name {
    subtest $name, {
        my $path = ~$dir.add("$name.sock");
        my $program = $dir.add($name);
        my $text = $?FILE.IO.parent.add("data/$name").slurp;
        ok $text.contains('"/tmp/fastcgi.sock"'), 'the program names the old default path';
        $program.spurt: $text.subst('"/tmp/fastcgi.sock"', $path.raku);
        my $app = App.start($program, :unbuffered);
        wait-listening($path);
        for 1..3 -> $n {
            my $r = fcgi('--socket', $path, '--method', 'GET', '--query', "n=$n", '--param', 'HTTP_X_TEST=yes');
            is $r<text>, "Content-Type: text/html\r\n\r\n$n", "request $n is counted";
        }
        is $app.stop, Nil, 'it serves until killed, as it always did';
        my @printed = $app.out.lines;
        is +@printed, 3, 'it printed env once per request';
        like @printed[2], / '{' .* 'QUERY_STRING => n=3' .* '}' /, 'the current request\'s env';
        like @printed[2], / 'HTTP_X_TEST => yes' .* 'REQUEST_METHOD => GET' /, 'with every param';
        is $app.err, '', 'and nothing on stderr';
    }
}
