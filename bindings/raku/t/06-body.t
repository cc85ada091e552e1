use v6.d;
# The body, both ways, binary-safe: read/write round trips from 0 bytes to
# 10 MiB in odd-sized records, Print of any text (NULs included), Read that
# neither stops at a NUL nor splits a character, and FCGI_DATA of a FILTER.
use lib $?FILE.IO.parent.add('lib').absolute;
use Test;
use FFCGITest;
use FastCGI::NativeCall;

needs-client;
plan 9;

my $server = Listening.new('body', FastCGI::NativeCall);
my ($dir, $path, $fcgi) = $server.dir, $server.path, $server.fcgi;
sub answer(&handler, *@args --> Hash) { $server.answer(&handler, |@args) }

subtest 'read/write round trips, 0 bytes to 10 MiB', {
    for (0, 1, 7), (1, 7, 1), (255, 1, 2), (4099, 7, 1000), (65535, 4093, 65536), (65536, 65535, 100),
        (65537, 1, 65536), (1024 * 1024, 7, 65537), (10 * 1024 * 1024, 4093, 1024 * 1024)
        -> ($size, $chunk, $read) {
        my $sent = $dir.add("sent-$size");
        my $r = answer({ while .read($read) -> $bytes { .write($bytes) } },
                       '--stdin-random', $size, '--seed', $size + 1, '--stdin-chunk', $chunk, '--save-stdin', ~$sent);
        ok $r<exit> == 0 && $r<stdout> eq $sent.slurp(:bin),
            "$size bytes in records of $chunk, read($read): the same bytes back";
    }
}

subtest 'read returns fewer bytes only at the end', {
    my @sizes;
    answer({ while .read(1000) -> $bytes { @sizes.push: $bytes.bytes } }, '--stdin-random', 2500, '--stdin-chunk', 3);
    is-deeply @sizes, [1000, 1000, 500], 'whole reads, records of 3 bytes or not';
}

subtest 'read(:into) reuses one Buf for the whole body', {
    for (0, 7, 100), (70000, 4093, 65536), (10 * 1024 * 1024, 65535, 65536) -> ($size, $chunk, $read) {
        my $sent = $dir.add("into-$size");
        my $buf = buf8.new;
        my $same = True;
        my $r = answer({
            while .read($read, into => $buf) -> $bytes { $same &&= $bytes === $buf; .write($bytes) }
        }, '--stdin-random', $size, '--seed', $size + 3, '--stdin-chunk', $chunk, '--save-stdin', ~$sent);
        ok $r<exit> == 0 && $r<stdout> eq $sent.slurp(:bin), "$size bytes read into one Buf: the same bytes back";
        ok $same, 'every read returned that Buf';
        is $buf.bytes, 0, 'which holds nothing after the end';
    }
    my ($text, $rest);
    answer({ $text = .Read(2); $rest = .read(10, into => buf8.new(1, 2, 3)) },
           '--stdin-file', ~$dir.add('into-ae').&{ .spurt("aé!xyz"); $_ });
    is $text, 'a', 'Read keeps the half of é it could not return';
    is $rest.decode, 'é!xyz', 'read(:into) starts with it and replaces what the Buf held';
}

subtest 'Print writes any text, NULs included, as UTF-8', {
    my $r = answer({ .Print("a\0b\0é😀") });
    is-deeply $r<stdout>.list, (0x61, 0, 0x62, 0, 0xC3, 0xA9, 0xF0, 0x9F, 0x98, 0x80), 'every byte';
}

subtest 'Read does not stop at a NUL', {
    my $body = $dir.add('nul-body');
    $body.spurt(Blob.new(0x61, 0x62, 0, 0x63, 0x64, 0, 0x65), :bin);
    my $text;
    answer({ $text = .Read(100) }, '--stdin-file', ~$body);
    is $text, "ab\0cd\0e", 'all of it, NULs as characters';
}

subtest 'Read never splits a character', {
    my $original = "héllo wörld 😀 ünïcödé ✓ end";
    my $body = $dir.add('utf8-body');
    $body.spurt($original);
    for 1, 2, 3, 5 -> $length {
        my @pieces;
        answer({ while .Read($length) -> $piece { @pieces.push: $piece } }, '--stdin-file', ~$body, '--stdin-chunk', 1);
        is @pieces.join, $original, "Read($length): the text";
        # a cut character would have come back as utf8-c8 stand-ins (U+10FFFD x H H)
        ok so(@pieces.map(*.ords).flat.none == 0x10FFFD), "Read($length): every piece is whole characters";
    }
    my ($text, $bytes);
    answer({ $text = .Read(2); $bytes = .read(10) }, '--stdin-file', ~$dir.add('ae').&{ .spurt("aé!"); $_ });
    is $text, 'a', 'Read(2) of "aé!" keeps the half of é';
    is-deeply $bytes.list, (0xC3, 0xA9, 0x21), 'and read gives it first';
}

subtest 'Read then Print gives back any bytes, UTF-8 or not', {
    my $sent = $dir.add('any-bytes');
    my $r = answer({ while .Read(999) -> $text { .Print($text) } },
                   '--stdin-random', 70000, '--seed', 7, '--stdin-chunk', 1001, '--save-stdin', ~$sent);
    ok $r<stdout> eq $sent.slurp(:bin), '70000 random bytes through Read and Print';
}

subtest 'FCGI_DATA of a FILTER request', {
    my $data = $dir.add('data');
    $data.spurt(Blob.new((^256).list, 0, 255), :bin);
    my ($role, $early, $body);
    my $r = answer({
        $role = .role;
        $early = (try .read-data(10)) // $!;
        $body = .read(100);
        .read(100);
        while .read-data(7) -> $bytes { .write($bytes) }
    }, '--role', 'filter', '--data-file', ~$data, '--stdin-file', ~$dir.add('ae'));
    is $role, FastCGI::NativeCall::Filter, 'the role is Filter';
    isa-ok $early, X::FastCGI::State, 'FCGI_DATA before the body ended is refused';
    is $body.decode, 'aé!', 'the body';
    ok $r<stdout> eq $data.slurp(:bin), 'then the data, every byte';
    my $caught;
    answer({ $caught = (try .read-data(10)) // $! });
    isa-ok $caught, X::FastCGI::Role, 'a responder has no FCGI_DATA';
}

subtest 'write of an empty Blob and read of 0 bytes', {
    my ($written, $read);
    my $r = answer({ $written = .write(Blob.new); $read = .read(0) }, '--stdin-random', 10);
    is $written, 0, 'write: 0 bytes';
    is $read.bytes, 0, 'read(0): nothing';
    is $r<stdout>.bytes, 0, 'nothing sent';
}

$fcgi.close;
