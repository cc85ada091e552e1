use v6.d;
# The binding loads libffcgi through FFCGI_LIBRARY or the soname, checks its
# ABI version when it loads, and maps every error code to its own type.
use lib $?FILE.IO.parent.add('lib').absolute;
use Test;
use FFCGITest;

plan 6;

use-ok 'FastCGI::NativeCall';
use FastCGI::NativeCall;
use FastCGI::NativeCall::Raw;
use FastCGI::NativeCall::X;

like FastCGI::NativeCall.library-version, / ^ \d+ '.' \d+ '.' \d+ $ /, 'library-version reports the loaded libffcgi';
is FastCGI::NativeCall.library-version, ~FFCGI_BINDING_VERSION, 'and it is the version the binding was generated from';

# `use` in a fresh process, with FFCGI_LIBRARY set to `$library`.
sub load-with(Str $library --> Proc) {
    run $*EXECUTABLE, '-I', $?FILE.IO.parent.parent.add('lib').absolute,
        '-e', 'use FastCGI::NativeCall; say "loaded"',
        :env(%*ENV, FFCGI_LIBRARY => $library), :out, :err
}

subtest 'a missing library is a clear error, not a crash', {
    my $p = load-with('/nonexistent/libffcgi.so.1');
    isnt $p.exitcode, 0, 'loading fails';
    my $err = $p.err.slurp(:close);
    like $err, / 'cannot load libffcgi' .* '/nonexistent/libffcgi.so.1' /, 'naming the library';
    like $err, / 'FFCGI_LIBRARY' /, 'and how to point at one';
}

subtest 'a library of another ABI version is refused when the module loads', {
    my $dir = temp-dir;
    $dir.add('abi2.c').spurt: "int ffcgi_abi_version(void) \{ return 2; }\n";
    my $cc = run 'cc', '-shared', '-fPIC', '-o', $dir.add('libabi2.so'), $dir.add('abi2.c'), :err;
    is $cc.exitcode, 0, 'a fake libffcgi of ABI 2 was built';
    my $p = load-with(~$dir.add('libabi2.so'));
    isnt $p.exitcode, 0, 'loading fails';
    like $p.err.slurp(:close), / 'has ABI version 2, this binding needs ' {FFCGI_ABI_VERSION} /, 'saying why';
    my $ok = load-with(%*ENV<FFCGI_LIBRARY> // '');
    is $ok.out.slurp(:close), "loaded\n", 'the real library loads';
}

subtest 'every error code has its own exception type', {
    my @codes = ffcgi_error.^enum_value_list.grep(* != FFCGI_OK);
    for @codes -> $code {
        my $type = %CLASS-OF-CODE{$code.value};
        ok $type ~~ X::FastCGI && $type !=== X::FastCGI, "{$code.key} is a subclass of X::FastCGI ({$type.^name})";
    }
    is %CLASS-OF-CODE.values.unique.elems, +@codes, 'no two codes share a type';
    ok X::FastCGI::Disconnected ~~ X::FastCGI::Connection
        && X::FastCGI::IO ~~ X::FastCGI::Connection && X::FastCGI::Protocol ~~ X::FastCGI::Connection,
        'failures of the web server side do X::FastCGI::Connection';
    nok X::FastCGI::Header ~~ X::FastCGI::Connection, 'the app\'s own mistakes do not';
}
