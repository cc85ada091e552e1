use v6.d;
# Helpers of the t/ tests: the FastCGI test client of the build tree
# (tests/client/fcgi-client, passed by CTest as FFCGI_TEST_CLIENT), temporary
# directories, and apps started as processes and stopped by PID.
unit module FFCGITest;

use Test;
use NativeCall;

#| Tests that talk FastCGI need the test client. CTest always passes it;
#| outside CTest (e.g. while zef installs) such a test file has nothing to
#| talk to and says so.
sub needs-client() is export {
    without %*ENV<FFCGI_TEST_CLIENT> {
        plan :skip-all('needs tests/client/fcgi-client of a build tree; CTest passes it as FFCGI_TEST_CLIENT');
        exit 0;
    }
    die "FFCGI_TEST_CLIENT='{%*ENV<FFCGI_TEST_CLIENT>}' is not an executable" unless client().IO.x;
}

sub client(--> Str) is export { %*ENV<FFCGI_TEST_CLIENT> }

#| The source tree (examples/), from CTest or relative to this file.
sub source-dir(--> IO::Path) is export {
    (%*ENV<FFCGI_SOURCE_DIR> // $?FILE.IO.parent(5)).IO
}

my @temp-dirs;
END { run 'rm', '-rf', '--', |@temp-dirs if @temp-dirs }

#| A new private directory under $*TMPDIR, removed when the test ends.
sub temp-dir(--> IO::Path) is export {
    my $dir = $*TMPDIR.add("ffcgi-raku-$*PID-{(^2**32).pick}");
    $dir.mkdir(0o700);
    @temp-dirs.push: ~$dir;
    $dir
}

#| Parses the `--output all` summary of fcgi-client.
sub parse-summary(Blob $all, Int $exit, Str $err --> Hash) {
    my %r = :$exit, :$err, stdout => Blob.new, stderr => Blob.new;
    my $head = $all.subbuf(0, 200).decode('latin-1');
    return %r unless $head ~~ / ^ 'app_status=' (\-?\d+) \n 'protocol_status=' (\d+) \n
                                'stdout_bytes=' (\d+) \n 'stderr_bytes=' (\d+) \n '--stdout--' \n /;
    my ($app, $protocol, $out, $errs) = $/.list».Int;
    my $at = $/.to;  # the summary lines are ASCII with \n only: characters are bytes
    %r<app-status protocol-status> = $app, $protocol;
    %r<stdout> = $all.subbuf($at, $out);
    %r<stderr> = $all.subbuf($at + $out + "\n--stderr--\n".chars, $errs);
    %r<text> = %r<stdout>.decode('utf8-c8');
    %r
}

# Rakudo 2022.12 (Debian 12) sometimes never reads the pipes of processes
# started at once soon after start-up: the children have exited, their
# output sits unread and `start`'s promise is never kept (reproduced without
# ffcgi: four Proc::Async of printf with stdout and stderr tapped hang about
# one process start in 50 on a busy machine). With both streams bound to
# files, none hung in 500. So the tests' processes write to files, read
# once the process has exited, and Proc::Async only waits for the exit.
my class OutputFile {
    # A bare descriptor: an IO::Handle of ours could be closed by the
    # garbage collector before the child is spawned.
    my class Descriptor is IO::Handle {
        has int32 $.fd;
        method native-descriptor(--> Int) { $!fd }
    }
    sub open(Str, int32, int32 --> int32) is native {*}
    sub close(int32 --> int32) is native {*}
    my constant O_WRONLY-CREAT-TRUNC-CLOEXEC = 0o1 +| 0o100 +| 0o1000 +| 0o2000000;
    my $dir;
    my $count = 0;
    my $lock = Lock.new;

    has IO::Path $.path;
    has int32 $!fd = -1;

    #| Binds a new file in a private directory to `$proc`'s stdout (1) or
    #| stderr (2). Call `blob` or `text` once the process has exited.
    method bind(Proc::Async $proc, Int $stream --> OutputFile) {
        my $path = $lock.protect: { ($dir //= temp-dir).add('output-' ~ $count++) };
        my $fd = open(~$path, O_WRONLY-CREAT-TRUNC-CLOEXEC, 0o600);
        die "cannot create $path" if $fd < 0;
        my $descriptor = Descriptor.new(:$fd);
        $stream == 1 ?? $proc.bind-stdout($descriptor) !! $proc.bind-stderr($descriptor);
        self.bless(:$path)!keep($fd)
    }
    method !keep(int32 $fd) { $!fd = $fd; self }
    #| What the process wrote; closes our descriptor at the first call.
    method blob(--> Blob) {
        $lock.protect: { close($!fd) if $!fd >= 0; $!fd = -1 };
        $!path.slurp(:bin)
    }
    method text(--> Str) { self.blob.decode('utf8-c8') }
}

#| Starts one fcgi-client run (`--output all` is added) and returns a
#| Promise of its result: exit, err, app-status, protocol-status, stdout
#| and stderr (Blobs) and text (stdout decoded).
sub fcgi-start(*@args --> Promise) is export {
    my $proc = Proc::Async.new(client(), |@args, '--output', 'all');
    my $out = OutputFile.bind($proc, 1);
    my $err = OutputFile.bind($proc, 2);
    $proc.start.then({ parse-summary($out.blob, .result.exitcode, $err.text) })
}

#| One fcgi-client run, waited for: for apps in other processes or threads.
sub fcgi(*@args --> Hash) is export { await fcgi-start(|@args) }

#| Waits (at most 60 s) until something answers FastCGI at `$address`: a
#| request of an unknown role, which libfcgi rejects without the app seeing it.
sub wait-listening(Str $address) is export {
    for ^600 {
        my $r = fcgi('--socket', $address, '--role', '99', '--timeout', '2000');
        return True if $r<exit> == 0 && $r<protocol-status> == 3;
        sleep 0.1;
    }
    die "nothing answers FastCGI at $address";
}

#| The lines of a log file once it has `$count` (the library writes its
#| access-log lines in batches within a quarter second), or after 10 s.
sub wait-for-lines(IO::Path $file, Int $count --> List) is export {
    for ^500 {
        my @lines = $file.e ?? $file.lines !! ();
        return @lines.List if @lines >= $count;
        sleep 0.02;
    }
    $file.e ?? $file.lines.List !! ()
}

#| An app run as a process: `raku -I lib FILE ARGS`, with its output kept.
class App is export {
    has Proc::Async $.proc;
    has Promise $.exited;
    has $!out;  # OutputFiles
    has $!err;

    #| Runs `$file`; with :unbuffered its standard output is written at
    #| once, as on a terminal, so that what it printed survives a kill.
    method start(IO() $file, *@args, :$cwd = $*CWD, :$unbuffered --> App) {
        my $lib = $?FILE.IO.parent(3).add('lib').absolute;  # bindings/raku/lib
        my @run = $unbuffered ?? ('-e', '$*OUT.out-buffer = False; EVALFILE @*ARGS.shift') !! ();
        my $proc = Proc::Async.new($*EXECUTABLE.absolute, '-I', $lib, |@run, $file.absolute, |@args);
        my $app = self.bless(:$proc);
        $app!collect($cwd);
        $app
    }

    method !collect($cwd) {
        $!out = OutputFile.bind($!proc, 1);
        $!err = OutputFile.bind($!proc, 2);
        $!exited = $!proc.start(:$cwd);
    }

    #| What the app wrote to stdout and stderr (all of it once it has exited).
    method out(--> Str) { $!out.text }
    method err(--> Str) { $!err.text }

    #| Sends `$signal` by PID and waits at most 30 s for the exit; then
    #| SIGKILL. The exit code (Nil when killed by a signal; then the signal
    #| and what the app wrote to stderr are reported as a diag).
    method stop(Signal $signal = SIGTERM --> Int) {
        $!proc.kill($signal);
        await Promise.anyof($!exited, Promise.in(30));
        unless $!exited {
            $!proc.kill(SIGKILL);
            await $!exited;
        }
        my $proc = $!exited.result;
        return $proc.exitcode unless $proc.signal;
        diag "the app ended by signal {$proc.signal} ({Signal($proc.signal) // '?'}); its stderr:\n{self.err}";
        Nil
    }
}

#| A request handled by `&handler` on `$fcgi` in this thread, while a client
#| process sends it; the client's result.
sub serve-one($fcgi, &handler, *@client-args --> Hash) is export {
    my $client = fcgi-start(|@client-args);
    my $accepted = False;
    # A client that gives up before the app has its request would leave the
    # accept waiting for ever: end it, and the test fails instead of hanging.
    $client.then({ $fcgi.shutdown unless $accepted });
    die "no request came: {$client.result.raku}" unless $fcgi.accept;
    $accepted = True;
    {
        LEAVE $fcgi.Finish;  # also when the handler dies, so the client never waits in vain
        handler($fcgi);
    }
    await $client
}

#| A FastCGI::NativeCall on a unix socket in a new temporary directory,
#| for tests that serve one request at a time in their own thread.
class Listening is export {
    has IO::Path $.dir;
    has Str $.path;
    has $.fcgi;

    # The test passes the class (FastCGI::NativeCall): a `use` of it here
    # could load a second copy from another repository, as under zef's test
    # run, where the two then clash.
    method new(Str $name, $class --> Listening) {
        my $dir = temp-dir;
        my $path = ~$dir.add("$name.sock");
        self.bless(:$dir, :$path, fcgi => $class.new(:$path))
    }

    #| The client's result for one request, sent with `@client-args` and
    #| handled by `&handler`.
    method answer(&handler, *@client-args --> Hash) {
        serve-one($!fcgi, &handler, '--socket', $!path, |@client-args)
    }
}
