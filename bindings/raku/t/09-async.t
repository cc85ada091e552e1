use v6.d;
# Concurrency: FastCGI::NativeCall::Async with `workers` (handlers that
# overlap in time, proven by timestamps taken inside them), its use in a
# react block, `done` waking blocked accepts and letting a request in flight
# finish, handlers that die; and workers made by hand with `worker`.
use lib $?FILE.IO.parent.add('lib').absolute;
use Test;
use FFCGITest;
use FastCGI::NativeCall;
use FastCGI::NativeCall::Async;

needs-client;
plan 8;

my $dir = temp-dir;

#| A handler for `$n` requests: each records when it ran, and waits (at most
#| 30 s) until all `$n` have started, which they only can if they run at once.
class Overlap {
    has Int $.n;
    has @.spans;
    has $!started = 0;
    has Lock $!lock .= new;
    has Promise $!all-in .= new;
    method handle($fcgi) {
        my $start = now;
        $!lock.protect: { $!all-in.keep if ++$!started == $!n };
        await Promise.anyof($!all-in, Promise.in(30));
        $fcgi.header(Content-Type => 'text/plain');
        $fcgi.Print($fcgi.env<QUERY_STRING>);
        $!lock.protect: { @!spans.push: $start => now };
    }
    method all-overlap(--> Bool) {
        @!spans == $!n && @!spans».key.max < @!spans».value.min
    }
}

subtest 'workers => 4 serves 4 requests at once', {
    my $path = ~$dir.add('four.sock');
    my $async = FastCGI::NativeCall::Async.new(:$path, workers => 4);
    my $overlap = Overlap.new(n => 4);
    $async.Supply.tap: { $overlap.handle($_) };
    my @answers = await (^4).map: { fcgi-start('--socket', $path, '--query', "n=$_") };
    is-deeply @answers.map(*<text>).sort.List, (^4).map({ "Content-Type: text/plain\r\n\r\nn=$_" }).List,
        'every request answered';
    ok $overlap.all-overlap, 'the 4 handlers overlapped in time (each started before any ended)';
    diag 'handler spans (s): ' ~ $overlap.spans.map({ (.key - $overlap.spans».key.min).fmt('%.3f') ~ '..' ~ (.value - $overlap.spans».key.min).fmt('%.3f') }).join(' ');
    $async.done;
    await $async.promise;
}

subtest 'workers => 1 serves one at a time', {
    my $path = ~$dir.add('one.sock');
    my $async = FastCGI::NativeCall::Async.new(:$path);
    my @spans;
    $async.Supply.tap: -> $fcgi { my $start = now; sleep 0.2; $fcgi.Print("ok"); @spans.push: $start => now };
    await (^3).map: { fcgi-start('--socket', $path) };
    my @sorted = @spans.sort(*.key);
    is +@sorted, 3, 'three requests';
    ok (^2).map({ @sorted[$_].value <= @sorted[$_ + 1].key }).all, 'never two at once';
    $async.done;
    await $async.promise;
}

subtest 'in a react block, as the old module was used', {
    my $path = ~$dir.add('react.sock');
    my $async = FastCGI::NativeCall::Async.new(:$path, backlog => 32, workers => 2);
    my $count = 0;
    my @clients;
    react {
        whenever $async -> $fcgi {
            $fcgi.Print("Content-Type: text/html\r\n\r\n{ ++$count }");
        }
        whenever Promise.in(0) {
            @clients = (^5).map: { fcgi-start('--socket', $path) };
            whenever Promise.allof(@clients) { $async.done }
        }
        whenever $async.promise { done }
    }
    is-deeply @clients.map({ .result<text>.subst(/^ .* "\r\n\r\n" /, '') }).sort(+*).List,
        (1..5).map(~*).List, 'five requests counted, one whenever at a time';
    ok $async.promise, 'the promise was kept';
}

subtest 'done wakes accepts that are blocked', {
    my $path = $dir.add('idle.sock');
    my $async = FastCGI::NativeCall::Async.new(path => ~$path, workers => 3);
    my $tap-done = Promise.new;
    $async.Supply.tap: { ; }, done => { $tap-done.keep };
    sleep 0.3;  # the three workers are in accept now
    my $asked = now;
    $async.done;
    await Promise.anyof($async.promise, Promise.in(10));
    is $async.promise.status, Kept, 'the promise is kept';
    ok now - $asked < 5, 'promptly';
    ok $tap-done, 'the tap got done';
    nok $path.e, 'the socket is closed and removed';
    lives-ok { $async.done }, 'done again is harmless';
}

subtest 'a request in flight when done is called is completed', {
    my $path = ~$dir.add('flight.sock');
    my $async = FastCGI::NativeCall::Async.new(:$path, workers => 2);
    my $inside = Promise.new;
    my $release = Promise.new;
    $async.Supply.tap: -> $fcgi {
        $inside.keep;
        await $release;
        $fcgi.Print("Status: 200\r\n\r\ncompleted");
    };
    my $client = fcgi-start('--socket', $path);
    await Promise.anyof($inside, Promise.in(30));
    $async.done;
    sleep 0.2;
    is $async.promise.status, Planned, 'not ended while a handler runs';
    $release.keep;
    is (await $client)<text>, "Status: 200\r\n\r\ncompleted", 'the request got its whole answer';
    await Promise.anyof($async.promise, Promise.in(10));
    is $async.promise.status, Kept, 'then everything ended';
}

subtest 'a handler that dies answers 500, logs, and the next request is served', {
    my $path = ~$dir.add('dies.sock');
    my $async = FastCGI::NativeCall::Async.new(:$path);
    $async.Supply.tap: -> $fcgi { die 'boom' if $fcgi.env<QUERY_STRING> eq 'die'; $fcgi.Print("Status: 200\r\n\r\nfine") };
    my $r = fcgi('--socket', $path, '--query', 'die');
    is $r<text>, "Status: 500 Internal Server Error\r\n\r\n", '500';
    like $r<stderr>.decode, / 'boom' /, 'the error is in the web server\'s log';
    is fcgi('--socket', $path, '--query', 'ok')<text>, "Status: 200\r\n\r\nfine", 'the next request is served';
    $async.done;
    await $async.promise;
}

class Tagged is FastCGI::NativeCall {
    method Print(Str() $text) { callwith("[tagged] $text") }
}

subtest 'Async over new(:socket) or an object of a subclass', {
    my $path = ~$dir.add('sub.sock');
    my $async = FastCGI::NativeCall::Async.new(fcgi => Tagged.new(:$path), workers => 2);
    my @types;
    $async.Supply.tap: -> $fcgi { @types.push: $fcgi.WHAT; $fcgi.Print('x') };
    is fcgi('--socket', $path)<text>, '[tagged] x', 'its Print is used';
    is-deeply @types, [Tagged], 'requests come as the subclass';
    $async.done;
    await $async.promise;

    my $socket-path = ~$dir.add('fd.sock');
    my $socket = FastCGI::NativeCall::OpenSocket($socket-path, 8);
    my $by-fd = FastCGI::NativeCall::Async.new(:$socket);
    $by-fd.Supply.tap: *.Print("Status: 200\r\n\r\nfd");
    is fcgi('--socket', $socket-path)<text>, "Status: 200\r\n\r\nfd", 'new(:socket) serves';
    $by-fd.done;
    await $by-fd.promise;
}

subtest 'workers by hand: one FastCGI::NativeCall per thread', {
    my $path = ~$dir.add('threads.sock');
    my $fcgi = FastCGI::NativeCall.new(:$path);
    my $overlap = Overlap.new(n => 3);
    my @threads = ($fcgi, $fcgi.worker, $fcgi.worker).map: -> $worker {
        Thread.start({ while $worker.accept { $overlap.handle($worker) }; $worker.close });
    };
    my @answers = await (^3).map: { fcgi-start('--socket', $path, '--query', "t=$_") };
    is-deeply @answers.map(*<text>).sort.List, (^3).map({ "Content-Type: text/plain\r\n\r\nt=$_" }).List,
        'every request answered';
    ok $overlap.all-overlap, 'the 3 handlers overlapped in time';
    $fcgi.shutdown;
    .finish for @threads;
    nok $path.IO.e, 'closing the last worker closed the listener';
}
