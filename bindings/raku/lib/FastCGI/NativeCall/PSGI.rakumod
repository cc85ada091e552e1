use v6.d;
#| PSGI and P6W (RakuWAPI) apps over FastCGI: the companion module of
#| FastCGI::NativeCall, source-compatible with the old distribution of the
#| same name, so that Crust's FastCGI handler and apps written for it run
#| unchanged. See bindings/raku/README.md, "PSGI".
#|     FastCGI::NativeCall::PSGI.new(path => '/run/app.sock', mode => 0o660).run(&app);
unit class FastCGI::NativeCall::PSGI;

use FastCGI::NativeCall;
use FastCGI::NativeCall::Async;
use FastCGI::NativeCall::X;
use FastCGI::NativeCall::PSGI::Input;
use FastCGI::NativeCall::PSGI::Errors;
use FastCGI::NativeCall::PSGI::Response;

#| The listener and its first request handle.
has FastCGI::NativeCall $.fcgi is required;
#| How many requests are served at once (threads, each with its handle).
has Int $.workers where * >= 1 = 1;
has Mu $!app;  # a Callable taking the env Hash, or an object with .handle(%env)

# The old forms warn once per process, as the old module's DEPRECATED did.
my %warned;
my Lock $warned-lock .= new;
sub deprecated(Str $old, Str $new) {
    note "FastCGI::NativeCall::PSGI: $old is deprecated; use $new"
        if $warned-lock.protect({ !%warned{$old}++ });
}

proto method new(|) { * }
#| An existing FastCGI::NativeCall (its listener, its configuration).
multi method new(FastCGI::NativeCall:D :$fcgi!, *%options) { self.bless(:$fcgi, |%options) }
#| The old positional form of new(:fcgi): warns once.
multi method new(FastCGI::NativeCall:D $fcgi, *%options) {
    deprecated('new($fcgi)', 'new(fcgi => $fcgi)');
    self.bless(:$fcgi, |%options)
}
#| A new listener: a unix socket path (`mode` sets its permissions, e.g.
#| 0o660 so that nginx's workers can connect) or host:port.
multi method new(Str:D :$path!, Int:D :$backlog = 16, Int:D :$mode = -1, *%options) {
    self.bless(fcgi => FastCGI::NativeCall.new(:$path, :$backlog, :$mode), |%options)
}
#| A listening descriptor: from FastCGI::NativeCall::OpenSocket, or
#| inherited (0 under spawn-fcgi or mod_fcgid).
multi method new(Int:D :$socket!, *%options) {
    self.bless(fcgi => FastCGI::NativeCall.new(:$socket), |%options)
}
#| The old name of new(:socket): warns once.
multi method new(Int:D :$sock!, *%options) {
    deprecated('new(:sock)', 'new(:socket)');
    self.bless(fcgi => FastCGI::NativeCall.new(socket => $sock), |%options)
}
#| What the parent handed over (systemd's socket, a listener on fd 0), else
#| one request as plain CGI.
multi method new(*%options) { self.bless(fcgi => FastCGI::NativeCall.new, |%options) }

proto method app(|) { * }
#| Sets the app: a Callable taking the env Hash, or an object with
#| `.handle(%env)`. Returns it.
multi method app(Mu:D $app) { $!app = $app }
#| The app set (assignable, as in the old module).
multi method app() is rw { $!app }

proto method run(|) { * }
#| Sets the app and serves with it; see run().
multi method run(Mu:D $app --> Int) {
    self.app($app);
    self.run
}
#| Serves every request with the app, on `workers` threads, until SIGTERM
#| or SIGINT (requests in flight are completed) or until the listener
#| retires; returns the exit status for the process (0, or 75 after a
#| retirement, which ffcgi-supervisor answers with a fresh process):
#|     exit $psgi.run(&app);
multi method run(--> Int) {
    die "FastCGI::NativeCall::PSGI.run: no app (give one to run, or set it with app)" without $!app;
    FastCGI::NativeCall::Async.new(:$!fcgi, :$!workers).serve(-> $fcgi { self!serve($fcgi) })
}

#| The old module's handler: runs the app on the request that `fcgi` has
#| accepted and returns the whole response — head and body as CGI text,
#| bytes that are not UTF-8 kept as utf8-c8 does — without sending it, for
#| a loop of one's own: `while $psgi.fcgi.accept { $psgi.fcgi.Print($psgi.handler) }`.
method handler(--> Str) {
    my $text = buf8.new;
    send-response(self!call-app(self!env-of($!fcgi)),
        -> $status, @lines {
            $text.append: ("Status: $status\r\n" ~ @lines.map({ "{.key}: {.value}\r\n" }).join ~ "\r\n").encode('utf8-c8');
        },
        -> $chunk { $text.append: $chunk ~~ Blob ?? $chunk !! $chunk.Str.encode('utf8-c8') });
    $text.decode('utf8-c8')
}

# One request on `$fcgi`: the app's answer sent as it comes. A die in the
# app answers 500 (if nothing was sent yet) and is logged; the server goes on.
method !serve(FastCGI::NativeCall $fcgi) {
    send-response(self!call-app(self!env-of($fcgi)),
        -> $status, @lines { $fcgi.response-head($status, @lines) },
        -> $chunk { $chunk ~~ Blob ?? $fcgi.write($chunk) !! $fcgi.Print($chunk) });
    CATCH {
        when X::FastCGI::Connection | X::FastCGI::Limit { }  # the web server left; or libffcgi answered 413
        default { fail-request($fcgi, $_) }
    }
}

sub fail-request(FastCGI::NativeCall $fcgi, Exception $e) {
    my $line = "FastCGI::NativeCall::PSGI: the app died: {$e.message.lines.head // $e.^name}";
    try $fcgi.stderr("$line\n");
    try $fcgi.log($line, :level<error>);
    try {
        $fcgi.response-head(500, ['Content-Type' => 'text/plain; charset=utf-8']);
        $fcgi.Print("500 Internal Server Error\n");
    }
}

method !call-app(%env) {
    $!app ~~ Callable ?? $!app(%env)
        !! $!app.^can('handle') ?? $!app.handle(%env)
        !! die "the app is a {$!app.^name}: not a Callable and has no handle method"
}

# The request's params plus the keys of PSGI (as the old module set them)
# and of P6W 0.7 (as Crust reads them), and this server's ffcgi.params:
# every param exactly as received, in order, as NAME => VALUE Blobs (the
# Hash keeps the first of a repeated name, decoded).
method !env-of(FastCGI::NativeCall $fcgi --> Hash) {
    my %env := $fcgi.env;
    my $scheme = (%env<HTTPS> // '').lc eq 'on' | '1' ?? 'https' !! 'http';
    my $input = FastCGI::NativeCall::PSGI::Input.new(:$fcgi);
    my $errors = FastCGI::NativeCall::PSGI::Errors.new(:$fcgi);
    my $threads = $!workers > 1;
    my $once = $fcgi.is-cgi;
    %env<psgi.version psgi.url_scheme psgi.input psgi.errors psgi.multithread psgi.multiprocess
         psgi.run_once psgi.nonblocking psgi.streaming>
        = [1, 0], $scheme, $input, $errors, $threads, False, $once, False, False;
    %env<p6w.version p6w.url-scheme p6w.input p6w.errors p6w.multithread p6w.multiprocess
         p6w.run-once p6w.protocol p6w.body.encoding p6w.ready>
        = Version.new('0.7.Draft'), $scheme, $input.Supply, $errors, $threads, False, $once,
          'request-response', 'UTF-8', Promise.kept(True);
    %env<ffcgi.params> = $fcgi.params;
    %env
}
