use v6.d;
# Params: 1000 of them, split anywhere across records, any byte values,
# duplicates, big values; env (Str, decoded once per request) and params
# (the exact bytes, in order).
use lib $?FILE.IO.parent.add('lib').absolute;
use Test;
use FFCGITest;
use FastCGI::NativeCall;

needs-client;
plan 6;

my $server = Listening.new('params', FastCGI::NativeCall);
my ($dir, $path, $fcgi) = $server.dir, $server.path, $server.fcgi;
sub answer(&handler, *@args --> Hash) { $server.answer(&handler, |@args) }

subtest '1000 params, in records of 7 bytes', {
    my @sent = (1..1000).map({ sprintf('P_%04d', $_) => "value-$_-" ~ 'x' x $_ % 50 });
    my $file = $dir.add('thousand');
    $file.spurt(@sent.map({ "{.key}={.value}\n" }).join);
    my (%env, @params);
    answer({ %env = .env; @params = .params }, '--param-file', ~$file, '--params-chunk', 7);
    is %env.elems, 1001, 'env: every param and FCGI_ROLE';
    is-deeply %env{@sent».key}, @sent».value.List, 'every value';
    my @mine = @params.grep(*.key.decode.starts-with('P_'));
    is-deeply @mine.map({ .key.decode => .value.decode }).List, @sent.List, 'params: in the order sent';
}

subtest 'any byte values (but NUL) survive in names and values', {
    my $value = Blob.new(|(1..9), |(0x0B..0xFF));
    my $name = Blob.new(0x58, 0x5F, 0xC3, 0xA9, 0xFF);
    my $file = $dir.add('binary');
    $file.spurt($name ~ '='.encode ~ $value ~ "\nUTF8=café\n".encode, :bin);
    my (@params, %env);
    answer({ @params = .params; %env = .env }, '--param-file', ~$file);
    my $pair = @params.first(*.key eq $name);
    ok $pair.defined, 'params: the name, bytes as sent';
    ok $pair.value eq $value, 'params: the value, bytes as sent (CR, LF, 0x80..0xFF)';
    my $key = %env.keys.first(*.encode('utf8-c8') eq $name);
    ok $key.defined, 'env: a name that is not UTF-8 is a key all the same';
    ok %env{$key}.encode('utf8-c8') eq $value, 'env: its value encodes back to the same bytes';
    is %env<UTF8>, 'café', 'env: UTF-8 is decoded';
}

subtest 'duplicates, empty and big values', {
    my $big = 'b' x 60_000;
    my (@params, %env);
    answer({ @params = .params; %env = .env },
           '--param', 'TWICE=first', '--param', 'TWICE=second', '--param', 'EMPTY=', '--param', "BIG=$big");
    is-deeply @params.grep(*.key eq 'TWICE'.encode).map(*.value.decode).List, <first second>, 'params keeps both';
    is %env<TWICE>, 'first', 'env: the first, as ffcgi_env_get';
    is %env<EMPTY>, '', 'an empty value';
    is %env<BIG>.chars, 60_000, 'a 60 KB value';
}

subtest 'env is decoded once per request and belongs to it', {
    my ($first, $again, $before-next);
    answer({ $first = .env; $again = .env }, '--param', 'A=1');
    ok $first === $again, 'the same Hash within a request';
    answer({ $before-next = .env }, '--param', 'B=2');
    ok $before-next !=== $first, 'a new one for the next request';
    is-deeply $first<A B>:exists, (True, False), 'the first request\'s stays as it was';
}

subtest 'no params but what libfcgi adds', {
    my @params;
    answer({ @params = .params });
    is-deeply @params.map({ .key.decode => .value.decode }).List, (FCGI_ROLE => 'RESPONDER',), 'FCGI_ROLE only';
}

subtest 'params before the first request and after close', {
    my $other = FastCGI::NativeCall.new(path => ~$dir.add('fresh.sock'));
    is-deeply $other.params, (), 'none before';
    $other.close;
    is-deeply $other.params, (), 'none after close';
}

$fcgi.close;
