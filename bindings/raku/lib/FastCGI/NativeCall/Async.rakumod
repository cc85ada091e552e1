use v6.d;
#| FastCGI requests as a Supply: `whenever $async -> $fcgi { ... }`. Each
#| of `workers` Raku threads accepts with its own FastCGI::NativeCall (its
#| own request handle on the one listener) and emits it to the taps; the
#| request is finished when the taps have returned. `done` shuts the
#| listener down, which wakes the blocked accepts; `promise` is kept when
#| every worker has ended.
unit class FastCGI::NativeCall::Async;

use FastCGI::NativeCall;
use FastCGI::NativeCall::X;

has Str $.path;
has Int $.socket;
has Str $.address;
has Int $.backlog = 16;
has Int $.mode = -1;
#| How many requests are served at once (threads, each with a handle).
has Int $.workers where * >= 1 = 1;
#| Production options, given to FastCGI::NativeCall's `configure`.
has Str $.access-log;
has Str $.error-log;
has Str $.log-level;
has Str $.status-path;
has %.limits;
has FastCGI::NativeCall $!fcgi;
has Promise $.promise .= new;
has Supply $!supply;
has @!taps;               # the emit/done/quit of each open tap
has Lock $!lock .= new;
has Bool $!started = False;
has Bool $!ended = False;
has Int $!running = 0;    # workers not yet ended
has Str $!retired;        # why the listener retired, noted before it is freed

submethod TWEAK(FastCGI::NativeCall :$fcgi) { $!fcgi = $_ with $fcgi }

#| The FastCGI::NativeCall the workers are made from (created on first use
#| from path / address / socket, else inherited from the parent process).
#| Pass your own, e.g. of a subclass, as new(fcgi => ...).
method fcgi(--> FastCGI::NativeCall) {
    $!lock.protect: {
        $!fcgi //= do {
            my $fcgi = $!path.defined ?? FastCGI::NativeCall.new(:$!path, :$!backlog, :$!mode)
                    !! $!address.defined ?? FastCGI::NativeCall.new(:$!address, :$!backlog, :$!mode)
                    !! $!socket.defined ?? FastCGI::NativeCall.new(:$!socket)
                    !! FastCGI::NativeCall.new;
            $fcgi.configure(:$!access-log, :$!error-log, :$!log-level, :$!status-path,
                            limits => %!limits || Any);
            $fcgi
        }
    }
}

# The Supply's source. Live, and not serial: with several workers, emits
# come from several threads at once. A react block runs one whenever body
# at a time all the same; a plain tap runs `workers` handlers at once.
my class Requests does Tappable {
    has &.add-tap;
    method tap(&emit, &done, &quit, &tap --> Tap) { &!add-tap(&emit, &done, &quit, &tap) }
    method live(--> True) { }
    method serial(--> False) { }
    method sane(--> False) { }
}

#| The requests: each worker emits its own FastCGI::NativeCall, holding
#| the request it accepted, on its own thread, and reuses it for its next
#| request once the taps have returned (so do not keep it beyond that).
#| The workers start at the first tap.
method Supply(--> Supply) {
    $!lock.protect: {
        $!promise //= Promise.new;
        $!supply //= Supply.new(Requests.new(add-tap => -> |tap { self!add-tap(|tap) }));
    }
}

method !add-tap(&emit, &done, &quit, &on-tap --> Tap) {
    my $entry = %(:&emit, :&done, :&quit);
    my $tap = Tap.new({ $!lock.protect: { @!taps .= grep(* !=:= $entry) } });
    on-tap($tap);
    my $ended = $!lock.protect: {
        @!taps.push: $entry unless $!ended;
        $!ended
    };
    if $ended { done() } else { self!start-workers }
    $tap
}

method !start-workers() {
    my @fcgis = $!lock.protect: {
        return if $!started || $!ended;
        my $first = self.fcgi;  # Lock is reentrant; if this throws, nothing has started
        $!started = True;
        ($first, |(1 ..^ $!workers).map({ $first.worker }))
    };
    $!running = +@fcgis;
    for @fcgis.kv -> $i, $fcgi {
        Thread.start(:app_lifetime, :name("FastCGI worker $i"), { self!work($fcgi) });
    }
}

method !work(FastCGI::NativeCall $fcgi) {
    my $failure;
    {
        while $fcgi.accept {
            for $!lock.protect({ @!taps.List }) -> $tap {
                $tap<emit>($fcgi);
                CATCH { default { report($fcgi, $_) } }
            }
        }
        CATCH { default { $failure = $_; $fcgi.shutdown } }
    }
    my $retired = $fcgi.retired;
    $!lock.protect({ $!retired //= $retired });
    my $only-stuck-left = ($retired // '') eq 'timeout' && $fcgi.in-flight == 0;
    $fcgi.close;
    self!worker-ended($failure, $only-stuck-left);
}

# A handler died: tell the web server's log, and answer 500 if nothing
# was sent yet. A vanished web server is no news.
sub report(FastCGI::NativeCall $fcgi, Exception $e) {
    return if $e ~~ X::FastCGI::Connection;
    try $fcgi.status(500);
    try $fcgi.stderr("FastCGI::NativeCall::Async: the handler died: {$e.message}\n");
}

# The last worker to end ends the Supply. After a timeout retirement,
# workers stuck in timed-out requests may never end: once no other
# request is in flight, they are not waited for (the process is to be
# replaced; `serve` returns and the app exits).
method !worker-ended($failure, Bool $only-stuck-left) {
    my @taps = $!lock.protect: {
        --$!running;
        return if $!ended || ($!running && !$only-stuck-left);
        $!ended = True;
        @!taps.splice
    };
    if $failure {
        .<quit>($failure) for @taps;
        $!promise.break($failure);
    }
    else {
        .<done>() for @taps;
        $!promise.keep(True);
    }
}

#| Why the listener retired ('max-requests', 'max-rss', 'timeout'), or
#| Str: see FastCGI::NativeCall's `retired`.
method retired(--> Str) { $!lock.protect({ $!retired // ($!fcgi ?? $!fcgi.retired !! Str) }) }

#| Serves with `&handler` (called with each request's FastCGI::NativeCall,
#| as a tap of the Supply) until the server stops, and returns the exit
#| status for the process: 0 after SIGTERM or SIGINT (requests in flight
#| are completed first) or `done`; RETIRED-EXIT-STATUS (75) after the
#| listener retired (max-requests, max-rss-bytes, request-ms), which
#| ffcgi-supervisor answers by starting a fresh process at once. A request
#| stuck past request-ms is not waited for. Throws if a worker failed.
#|     exit FastCGI::NativeCall::Async.new(:workers(4)).serve(-> $fcgi { ... });
method serve(&handler --> Int) {
    my $signals = signal(SIGTERM, SIGINT).tap({ self.done });
    LEAVE stop-handling($signals);
    self.Supply.tap(&handler);
    await self.promise;
    self.retired ?? FastCGI::NativeCall::RETIRED-EXIT-STATUS !! 0
}

# Closes the tap of the signal handlers and waits until MoarVM's event
# loop thread has stopped them. The close only queues the stop for that
# thread; a process that exits at once (`exit $async.serve(...)`) runs
# libuv's exit handler, which closes the pipe that uv_signal_stop locks,
# while the stop is still under way, and libuv aborts (SIGABRT: 6 exits in
# 80 with libffcgi under AddressSanitizer). A timer fires on that thread
# only after the work queued before it was taken up.
sub stop-handling(Tap $signals) {
    $signals.close;
    await Promise.in(0.01);
}

#| Stops accepting: blocked accepts end at once, requests in progress are
#| completed, then the workers end, the taps get done and `promise` is
#| kept. Safe from any thread (e.g. a signal(SIGTERM) tap).
method done() {
    my ($started, @taps) = $!lock.protect: {
        return if $!ended;
        $!ended = True unless $!started;
        ($!started, |(@!taps.splice unless $!started))
    };
    if $started {
        $!fcgi.shutdown;
    }
    else {
        .close with $!fcgi;
        .<done>() for @taps;
        .keep(True) with $!promise;
    }
}
