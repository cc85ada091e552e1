use v6.d;
# Failures of libffcgi come back as typed exceptions with the library's
# detail; none of them ends the process.
use lib $?FILE.IO.parent.add('lib').absolute;
use Test;
use FFCGITest;
use FastCGI::NativeCall;

plan 7;

my $dir = temp-dir;

subtest 'a path that is not a socket is never replaced', {
    my $file = $dir.add('not-a-socket');
    $file.spurt('precious');
    throws-like { FastCGI::NativeCall.new(path => ~$file) }, X::FastCGI::Exists,
        code => -5, what => / $file /, detail => / $file /,
        message => / 'exists' /;
    is $file.slurp, 'precious', 'the file is untouched';
}

subtest 'a live listener is not stolen', {
    my $path = ~$dir.add('busy.sock');
    my $first = FastCGI::NativeCall.new(:$path);
    throws-like { FastCGI::NativeCall.new(:$path) }, X::FastCGI::AddressInUse;
    $first.close;
    lives-ok { FastCGI::NativeCall.new(:$path).close }, 'free again once closed';
}

throws-like { FastCGI::NativeCall.new(address => 'no-port-here:') }, X::FastCGI::Address,
    'an address that cannot be parsed';

subtest 'a descriptor that is not a listening socket', {
    my $fh = $dir.add('plain').open(:w);
    throws-like { FastCGI::NativeCall.new(socket => $fh.native-descriptor) }, X::FastCGI::NotListening,
        detail => / \S /;
    $fh.close;
}

subtest 'calls that need a current request', {
    my $fcgi = FastCGI::NativeCall.new(path => ~$dir.add('idle.sock'));
    throws-like { $fcgi.status(200) }, X::FastCGI::State, what => 'status';
    throws-like { $fcgi.header('X-A', 'b') }, X::FastCGI::State;
    throws-like { $fcgi.write(Blob.new(1)) }, X::FastCGI::State;
    throws-like { $fcgi.Print('text') }, X::FastCGI::State;
    throws-like { $fcgi.read(10) }, X::FastCGI::State;
    throws-like { $fcgi.role }, X::FastCGI::State;
    ok $fcgi.Finish, 'Finish without a request is harmless';
    is-deeply $fcgi.env, {}, 'env before the first request is empty';
    $fcgi.close;
}

subtest 'a closed object', {
    my $path = $dir.add('closed.sock');
    my $fcgi = FastCGI::NativeCall.new(path => ~$path);
    $fcgi.close;
    nok $path.e, 'close removed the socket file';
    nok $fcgi.accept, 'accept returns False';
    is $fcgi.Accept, -8, 'Accept returns FFCGI_ESHUTDOWN';
    throws-like { $fcgi.Print('x') }, X::FastCGI::State, message => / closed /;
    throws-like { $fcgi.worker }, X::FastCGI::State;
    lives-ok { $fcgi.close }, 'closing twice is harmless';
}

subtest 'invalid arguments are checked by the library too', {
    my $fcgi = FastCGI::NativeCall.new(path => ~$dir.add('args.sock'));
    throws-like { $fcgi.exit-status(0) }, X::FastCGI::State, 'no request: the library says so';
    my $e = X::FastCGI::Invalid.new(code => -1, what => 'demo', description => 'invalid argument', detail => 'why');
    is $e.message, 'demo: invalid argument (why)', 'message: what, description, detail';
    $fcgi.close;
}
