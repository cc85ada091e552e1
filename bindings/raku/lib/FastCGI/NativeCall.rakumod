use v6.d;
# FastCGI::NativeCall — FastCGI applications in Raku on libffcgi. The API of
# the module of the same name (new, accept, Accept, env, header, Print, Read,
# Flush, Finish, close, OpenSocket, CloseSocket) plus binary-safe, concurrent
# and typed-error extras. See bindings/raku/README.md.

use NativeCall;
use FastCGI::NativeCall::Raw;
use FastCGI::NativeCall::X;
use FastCGI::NativeCall::Native;
use FastCGI::NativeCall::Server;
use FastCGI::NativeCall::Pending;

# Refuse a libffcgi of another ABI (or none) as soon as the module loads.
check-abi();

#| One request handle on a FastCGI listener: accept a request, read its
#| params and body, write its response. An object belongs to one thread at a
#| time; `worker` makes a sibling on the same listener for another thread.
class FastCGI::NativeCall {
    our enum Role (
        Responder => FFCGI_ROLE_RESPONDER.value,
        Authorizer => FFCGI_ROLE_AUTHORIZER.value,
        Filter => FFCGI_ROLE_FILTER.value,
    );

    has FastCGI::NativeCall::Server $!server;
    has ffcgi_request $!req;  # a type object once closed
    has Int $!socket;         # the descriptor of new(:socket): close() closes it, as it always did
    has Bool $!current = False;   # a request was accepted and not finished
    has CArray[Pointer] $!env-at; # where libffcgi lends the current request's packed params
    has Int $!env-len;            # and their length
    has Buf $!env-bytes;      # the current request's params, packed: NAME\0VALUE\0..., copied on first use
    has Hash $!env;           # decoded from $!env-bytes on first use
    has Buf $!pending;        # the start of a UTF-8 sequence that Read keeps for its next call
    has FastCGI::NativeCall::Pending $!held;  # the response given and not handed to libffcgi yet
    has Mu $!print-checked-for;  # the type whose Print was looked at, and
    has Bool $!print-overridden; # whether it overrides ours

    # The listeners of OpenSocket, by descriptor: new(:socket) shares them
    # and CloseSocket frees them.
    my %open-sockets;
    my Lock $open-sockets-lock .= new;

    sub close-fd(int32 --> int32) is native is symbol('close') { * }

    # Text to bytes: UTF-8, and text that came from Read or env (decoded
    # utf8-c8) back to its bytes. The encoder, looked up once, encodes
    # several times faster than Str.encode.
    my $utf8 = Encoding::Registry.find('utf8-c8').encoder;

    # The old module gave :path to FCGX_OpenSocket, for which "host:port" is
    # TCP and anything else a unix socket path, relative or not.
    sub listen-address(Str:D $path --> Str) {
        $path.contains(':') || $path.starts-with('/' | './' | '../') ?? $path !! "./$path"
    }

    proto method new(|) { * }
    #| The old, positional form of new(:socket).
    multi method new(Int:D $socket) { self.new(:$socket, |%_) }
    #| An already listening descriptor: one from OpenSocket, or from the
    #| parent (e.g. 0 under mod_fcgid or spawn-fcgi).
    multi method new(Int:D :$socket!) {
        my $server = $open-sockets-lock.protect({ %open-sockets{$socket}.?attach })
            // FastCGI::NativeCall::Server.from-fd($socket);
        self.bless(:$server, :$socket, |%_)
    }
    #| A new listener: a unix socket path (relative or absolute) or host:port.
    multi method new(Str:D :$path!, Int:D :$backlog = 16, Int:D :$mode = -1) {
        self.bless(server => FastCGI::NativeCall::Server.open(listen-address($path), $backlog, $mode), |%_)
    }
    #| A new listener at any address libffcgi takes: "/path", "unix:path",
    #| "127.0.0.1:9000", "[::1]:9000", ":9000".
    multi method new(Str:D :$address!, Int:D :$backlog = 16, Int:D :$mode = -1) {
        self.bless(server => FastCGI::NativeCall::Server.open($address, $backlog, $mode), |%_)
    }
    #| What the parent handed over: a systemd socket, a listener on fd 0, or
    #| else one request as plain CGI.
    multi method new() {
        self.bless(server => FastCGI::NativeCall::Server.inherit, |%_)
    }

    submethod BUILD(FastCGI::NativeCall::Server:D :$!server!, Int :$!socket) { }
    #| new(..., :access-log, :error-log, :log-level, :status-path, :%limits)
    #| configures the listener as `configure` does.
    submethod TWEAK(Str :$access-log, Str :$error-log, Str :$log-level, Str :$status-path, :$limits) {
        self!open-request;
        self.configure(:$access-log, :$error-log, :$log-level, :$status-path, :$limits)
            if ($access-log, $error-log, $status-path, $limits).first(*.defined);
    }

    method !open-request() {
        my $out = CArray[ffcgi_request].allocate(1);
        my $rc = ffcgi_request_new($out, $!server.handle);
        if $rc < 0 {
            my $error = error-for($rc, 'new request');
            $!server.release;
            $error.throw;
        }
        $!req = $out[0];
        $!env-at = CArray[Pointer].allocate(1);
        $!held = FastCGI::NativeCall::Pending.new;
    }

    submethod DESTROY() {
        if $!req {
            $!held.send($!req, FFCGI_RESPOND_FINISH.value) if $!current && $!held.holds;
            ffcgi_request_free($!req);
            $!req = ffcgi_request;
            $!server.release;
        }
    }

    method !req(Str $what --> ffcgi_request) {
        $!req // X::FastCGI::State.new(:$what, code => FFCGI_ESTATE.value,
                                       description => 'the object was closed').throw
    }

    #| A sibling on the same listener with its own request handle, for
    #| another thread (a copy of this object, subclass and attributes
    #| included). Many threads may accept on one listener at once.
    method worker(--> FastCGI::NativeCall) {
        self!req('worker');
        my $worker = self.clone;
        $worker!become-worker;
        $worker
    }

    method !become-worker() {
        $!req = ffcgi_request;  # the original's: never free it from here
        ($!socket, $!env-bytes, $!env, $!pending, $!current) = (Int, Buf, Hash, Buf, False);
        $!server.attach;
        self!open-request;
    }

    # ---- the old module's API ---------------------------------------------

    #| Finishes the current request and waits for the next: 0 when there is
    #| one, FFCGI_ESHUTDOWN (negative) when there will be no more (shutdown,
    #| close, the one request of CGI). Other failures throw.
    method Accept(--> Int) {
        return FFCGI_ESHUTDOWN.value unless $!req;
        self!end-request;
        $!env-bytes = Nil;
        $!env = Nil;
        $!pending = Nil;
        my size_t $len;
        my $rc = ffcgi_accept_env($!req, $!env-at, $len);
        return $rc if $rc == FFCGI_ESHUTDOWN;
        check($rc, 'accept');
        $!env-len = $len;
        $!current = True;
        0
    }

    #| Accept as a Bool: False when there will be no more requests.
    method accept(--> Bool) { self.Accept == 0 }

    #| The params of the current request (the CGI environment) as a Hash of
    #| Str, this object's own; empty before the first request.
    method env(--> Hash) {
        $!env //= do {
            my %env;
            with self!env-bytes {
                my @fields = .decode('utf8-c8').split("\0");
                @fields.pop;
                for @fields -> $name, $value { %env{$name} //= $value }
            }
            %env
        }
    }

    proto method header(|) { * }
    #| The response head from named arguments; see header(%header).
    multi method header(*%header) { self.header(%header) }
    #| The response head: each pair a header line (a list value gives one
    #| line per element, e.g. several Set-Cookie); a Status key ("404" or
    #| "404 Not Found") sets the status. Everything is checked (by
    #| libffcgi) before anything is kept: names must be HTTP tokens, values
    #| must not hold CR, LF, NUL or other controls (X::FastCGI::Header). The
    #| head is sent before the first body byte — unless a subclass overrides
    #| Print: then it is written as text through that Print, as the old
    #| module did, and header returns what Print returned.
    multi method header(%header) {
        my ($status, $code, $reason, $packed, $count) = head-of(%header);
        my $block = checked-head('header', $code, $reason, $packed, $count);
        if self!print-overridden {
            my @text = |("Status: $status" with $status),
                       |$packed.split("\0").head(2 * $count).map(-> $name, $value { "$name: $value" });
            return self.Print(@text.map({ "$_\r\n" }).join ~ "\r\n");
        }
        my $held = self!open-head('header');
        $held.set-status($code, $reason) if $code;
        $held.add-headers($block, $count) if $count;
        True
    }
    #| Adds one header line; call it again with the same name for several.
    multi method header(Str:D $name, Str() $value --> True) {
        my $held = self!open-head('header');
        $held.add-headers(checked-head('header', 0, Blob, $name ~ "\0" ~ $value ~ "\0", 1), 1);
    }

    #| The whole response head at once: the status (0: none) and the
    #| header lines as name => value pairs, sent in the order given
    #| (several of one name allowed). Checked by libffcgi in one call and
    #| taken whole or not at all (X::FastCGI::Header, X::FastCGI::Invalid
    #| for a status outside 100..999). For servers built on this module
    #| (FastCGI::NativeCall::PSGI).
    method response-head(Int:D $status, @lines --> True) {
        my $held = self!open-head('response-head');
        my $packed = '';
        $packed ~= .key ~ "\0" ~ .value ~ "\0" for @lines;
        my $block = checked-head('response-head', $status, Blob, $packed, +@lines);
        $held.set-status($status, Blob) if $status;
        $held.add-headers($block, +@lines) if @lines;
    }

    method !print-overridden(--> Bool) {
        unless self.WHAT =:= $!print-checked-for {
            $!print-overridden = !(self.^find_method('Print') =:= FastCGI::NativeCall.^find_method('Print'));
            $!print-checked-for := self.WHAT;
        }
        $!print-overridden
    }

    #| Writes text to the response body (UTF-8; any character, NUL included;
    #| text that came from Read or env is written back byte for byte).
    #| Returns the number of bytes.
    method Print(Str() $content --> Int) { self.write($utf8.encode-chars($content)) }

    #| Reads `$length` more bytes of the body (fewer at its end) and returns
    #| them as text; "" at the end of the body. A UTF-8 sequence cut at the
    #| end is kept for the next call (or completed, if nothing else was
    #| read), so Read never splits a character; bytes that are not UTF-8
    #| survive (utf8-c8), and NULs are characters like any other.
    method Read(Int:D $length --> Str) {
        return '' if $length <= 0;
        my $bytes = $!pending // buf8.new;
        $!pending = Buf;
        loop {
            my $more = self!read-stream(&ffcgi_read, $length, 'Read');
            $bytes ~= $more;
            my $ended = $more.bytes < $length;
            my $cut = $ended ?? $bytes.bytes !! complete-utf8($bytes);
            next unless $cut || $ended;
            $!pending = $bytes.subbuf($cut) if $cut < $bytes.bytes;
            return $bytes.subbuf(0, $cut).decode('utf8-c8');
        }
    }

    #| Sends what is buffered (and the head) to the web server now.
    method Flush(--> True) {
        check($!held.send(self!current('Flush'), FFCGI_RESPOND_FLUSH.value), 'Flush')
    }

    #| Completes the current request. False if the web server could not be
    #| told because the connection is gone (the request is finished all the
    #| same); True otherwise, also when there is no current request. env and
    #| params stay readable until the next Accept.
    method Finish(--> Bool) {
        return True unless $!req && $!current;
        self!env-bytes;
        self!end-request
    }

    # Hands over what is held and finishes the current request, as Finish.
    method !end-request(--> Bool) {
        return True unless $!current;
        $!current = False;
        my $rc = $!held.send($!req, FFCGI_RESPOND_FINISH.value);
        return True unless $rc < 0;
        ffcgi_finish($!req);  # ffcgi_respond stops at an error and leaves the request open
        return False if $rc == FFCGI_EDISCONNECTED.value || $rc == FFCGI_EIO.value;
        check($rc, 'Finish');
    }

    #| Finishes the current request and stops the listener: this object's
    #| accepts and its workers' return False from now on. The socket closes
    #| (and its file is removed) when the last object on it has closed; a
    #| descriptor given to new(:socket) is closed too.
    method close() {
        return without $!req;
        self.Finish;
        $!server.shutdown;
        ffcgi_request_free($!req);
        $!req = ffcgi_request;
        $!server.release;
        CloseSocket($!socket) with $!socket;
        $!socket = Int;
    }

    #| A listening unix socket (or host:port) for new(:socket); its
    #| descriptor.
    our sub OpenSocket(Str:D $path, Int:D $backlog --> Int) {
        my $server = FastCGI::NativeCall::Server.open(listen-address($path), $backlog);
        my $fd = $server.fd;
        $open-sockets-lock.protect: { %open-sockets{$fd} = $server };
        $fd
    }

    #| Closes a descriptor from OpenSocket (the listener goes when no object
    #| uses it any more) or any other descriptor.
    our sub CloseSocket(Int:D $fd) {
        my $server = $open-sockets-lock.protect: { %open-sockets{$fd}:delete };
        with $server { .release } else { close-fd($fd) }
    }

    # ---- binary-safe and other extras ----------------------------------------

    #| Up to `$length` bytes of the body (fewer only at its end; empty at
    #| the end), any byte values. With `:$into` the bytes are read into that
    #| Buf (resized to what was read), which is returned: one Buf reused
    #| for a whole large body keeps memory flat, where a new Buf per call
    #| lingers until the garbage collector gets to it.
    method read(Int:D $length = 65536, buf8 :$into --> Buf) {
        my $kept = $!pending;
        return self!read-stream(&ffcgi_read, $length, 'read', $into) without $kept;
        $!pending = $kept.bytes > $length ?? $kept.subbuf($length) !! Buf;
        my $bytes = $kept.subbuf(0, $length) ~ self!read-stream(&ffcgi_read, $length - $kept.bytes, 'read');
        return $bytes without $into;
        $into.reallocate(0);
        $into.append($bytes)
    }

    #| Up to `$length` bytes of the FCGI_DATA stream of a FILTER request;
    #| read the body to its end first.
    method read-data(Int:D $length = 65536 --> Buf) {
        self!read-stream(&ffcgi_read_data, $length, 'read-data')
    }

    method !read-stream(&call, Int $length, Str $what, buf8 $into? --> Buf) {
        my $buf = $into // buf8.new;
        return $buf.reallocate(0) if $length <= 0;
        $buf.reallocate($length) unless $buf.bytes == $length;
        my size_t $got;
        check(call(self!req($what), $buf, $length, $got), $what);
        $got == $length ?? $buf !! $buf.reallocate($got)
    }

    #| Writes bytes to the response body; returns their number. Up to 64 KiB
    #| are held (with the head) and handed to libffcgi in one call at Flush,
    #| at the end of the request or when 64 KiB are reached; a web server
    #| gone away is reported by the write, Flush or Finish that hands over.
    method write(Blob:D $bytes --> Int) {
        my $req = self!current('write');
        check($!held.send($req, 0), 'write') if $!held.hold($bytes);
        $bytes.bytes
    }

    #| The params in the order received, as NAME => VALUE pairs of Blobs
    #| (the bytes exactly as sent; duplicates kept).
    method params(--> List) {
        with self!env-bytes {
            my @fields = .decode('latin-1').split("\0");
            @fields.pop;
            @fields.map(-> $name, $value { $name.encode('latin-1') => $value.encode('latin-1') }).List
        }
        else { () }
    }

    #| The HTTP status ("Status: 404 Not Found"); `$reason` replaces the
    #| standard phrase. Before the first body byte only.
    method status(Int:D $code, Str $reason? --> True) {
        my $held = self!open-head('status');
        my $bytes = $reason.defined ?? $utf8.encode-chars($reason) !! Blob;
        checked-head('status', $code, $bytes, '', 0);
        $held.set-status($code, $bytes);
    }

    proto method stderr(|) { * }
    #| Writes to FCGI_STDERR (the web server's error log); returns the byte count.
    multi method stderr(Blob:D $bytes --> Int) {
        check(ffcgi_write_stderr(self!req('stderr'), $bytes, $bytes.bytes), 'stderr');
        $bytes.bytes
    }
    multi method stderr(Str() $text --> Int) { self.stderr($text.encode('utf8-c8')) }

    #| The appStatus sent when the request ends (default 0).
    method exit-status(Int:D $status --> True) {
        check(ffcgi_set_exit_status(self!req('exit-status'), $status), 'exit-status');
    }

    #| Responder, Authorizer or Filter.
    method role(--> Role) { Role(check(ffcgi_request_role(self!req('role')), 'role')) }
    #| The FastCGI request id (0 under CGI).
    method request-id(--> Int) { check(ffcgi_request_id(self!req('request-id')), 'request-id') }
    #| Whether the web server keeps the connection open after this request.
    method keep-conn(--> Bool) { check(ffcgi_request_keep_conn(self!req('keep-conn')), 'keep-conn') == 1 }

    #| The listening descriptor (Int when serving plain CGI).
    method socket(--> Int) { $!server.fd }
    #| True when this is a plain CGI invocation rather than FastCGI.
    method is-cgi(--> Bool) { $!server.is-cgi }
    #| Stops the listener from any thread: blocked and later accepts return
    #| False; requests in progress can still be completed. For signal
    #| handlers: signal(SIGTERM).tap({ $fcgi.shutdown }).
    method shutdown() { $!server.shutdown }

    my constant %LIMITS = 'param-bytes' => FFCGI_LIMIT_PARAM_BYTES, params => FFCGI_LIMIT_PARAMS,
                          'body-bytes' => FFCGI_LIMIT_BODY_BYTES, 'idle-ms' => FFCGI_LIMIT_IDLE_MS,
                          connections => FFCGI_LIMIT_CONNECTIONS, 'slow-ms' => FFCGI_LIMIT_SLOW_MS,
                          'max-requests' => FFCGI_LIMIT_MAX_REQUESTS,
                          'max-rss-bytes' => FFCGI_LIMIT_MAX_RSS_BYTES,
                          'request-ms' => FFCGI_LIMIT_REQUEST_MS;

    sub limit-id(Str $name, Str $what --> Int) {
        %LIMITS{$name}:exists
            ?? %LIMITS{$name}.value
            !! X::FastCGI::Invalid.new(:$what, code => FFCGI_EINVAL.value, description => 'invalid argument',
                   detail => "no limit '$name' (there are {%LIMITS.keys.sort.join(', ')})").throw
    }

    #| Sets limits of the listener, for every object on it. param-bytes and
    #| params (a request over them is answered 431 by the library and never
    #| accepted), body-bytes (reading past it throws X::FastCGI::Limit; 0:
    #| none), idle-ms (a stalled connection throws X::FastCGI::TimedOut; 0:
    #| none), connections (held at once), slow-ms (the status page counts
    #| slower requests), and the production limits: max-requests (with a
    #| little jitter) and max-rss-bytes retire the listener, request-ms
    #| answers a longer request 504 and retires it (see `retired`).
    method set-limits(*%limits --> True) {
        for %limits.sort -> (:key($name), :$value) {
            $!server.set-limit(limit-id($name, 'set-limits'), $value, "set-limits $name");
        }
    }

    #| The current value of a limit (see set-limits).
    method limit(Str:D $name --> Int) { $!server.limit(limit-id($name, 'limit'), "limit $name") }

    # ---- production serving ----------------------------------------------------

    #| The exit status of a process whose listener retired: ffcgi-supervisor
    #| replaces such a worker at once.
    our constant RETIRED-EXIT-STATUS = FFCGI_RETIRED_EXIT_STATUS.value;

    my constant %RETIRED = FFCGI_RETIRED_MAX_REQUESTS.value => 'max-requests',
                           FFCGI_RETIRED_MAX_RSS.value => 'max-rss', FFCGI_RETIRED_TIMEOUT.value => 'timeout';

    sub level-number(Str:D $level, Str $what --> Int) {
        check(ffcgi_log_level_from_name($level), $what)
    }

    #| Sets up the listener for production, for every object on it, before
    #| the first accept; each argument is optional:
    #| access-log (a path, "-" for stdout: one Combined Log Format line per
    #| request, written by libffcgi), error-log (a path, "-" for stderr:
    #| refused peers, protocol errors, limit refusals, timeouts, a web
    #| server gone mid-request) at log-level ("error", "warning" (default),
    #| "info", "debug", "off"), status-path (requests for it, e.g.
    #| "/status", get the status page: text, JSON for ?json), limits (a
    #| Hash for set-limits).
    method configure(Str :$access-log, Str :$error-log, Str :$log-level, Str :$status-path,
                     :$limits --> True) {
        $!server.access-log($_) with $access-log;
        $!server.error-log($_, level-number($log-level // 'warning', 'log-level')) with $error-log;
        $!server.status-path($_) with $status-path;
        self.set-limits(|$limits.Hash) with $limits;
    }

    #| Turns the access log on (a path; "-": standard output) or off (Str).
    method access-log(Str $path --> True) { $!server.access-log($path) }
    #| Turns the error log on (a path; "-": standard error) or off (Str).
    method error-log(Str $path, Str:D :$level = 'warning' --> True) {
        $!server.error-log($path, level-number($level, 'error-log'))
    }
    #| Serves the status page at `$path` (e.g. "/status"), or stops (Str).
    method status-path(Str $path --> True) { $!server.status-path($path) }

    #| Writes `$message` to the error log at `$level` ("error", "warning",
    #| "info", "debug") if that level is on; during a request the line
    #| names it (method, URI, peer). Any thread.
    method log(Str() $message, Str:D :$level = 'info' --> True) {
        my $number = level-number($level, 'log');
        if $!req && $!current {
            my $rc = ffcgi_request_log($!req, $number, $message);
            return True if $rc >= 0;
            check($rc, 'log') unless $rc == FFCGI_ESTATE;  # ESTATE: finished, no request to name
        }
        $!server.log($number, $message)
    }

    #| Opens the log files again after they were renamed (log rotation).
    method reopen-logs(--> True) { $!server.reopen-logs }

    #| The status page: every worker's state and current request, and the
    #| totals (of every worker process under ffcgi-supervisor); JSON with
    #| :json.
    method server-status(Bool :$json --> Str) {
        $!server.status($json ?? FFCGI_STATUS_JSON.value !! FFCGI_STATUS_TEXT.value)
    }

    #| Why libffcgi retired the listener — 'max-requests', 'max-rss' or
    #| 'timeout' — or Str while it serves. A retired listener hands out no
    #| new request: accept returns False and the process should exit with
    #| RETIRED-EXIT-STATUS so that ffcgi-supervisor replaces it.
    method retired(--> Str) { %RETIRED{$!server.retired} // Str }

    #| Requests accepted and not finished, not counting timed-out ones.
    method in-flight(--> Int) { $!server.in-flight }

    #| The version of the loaded libffcgi, e.g. "1.0.0".
    method library-version(--> Str) { c-string(ffcgi_version_string()) }

    # ---- helpers -------------------------------------------------------------

    # The bytes of $bytes up to the last complete UTF-8 sequence.
    sub complete-utf8(Blob $bytes --> Int) {
        my $n = $bytes.bytes;
        for 1 .. min(3, $n) -> $back {
            my $byte = $bytes[$n - $back];
            next if $byte +& 0xC0 == 0x80;
            my $need = $byte >= 0xF0 ?? 4 !! $byte >= 0xE0 ?? 3 !! $byte >= 0xC0 ?? 2 !! 1;
            return $need > $back ?? $n - $back !! $n;
        }
        $n
    }

    sub header-error(Str $detail) {
        X::FastCGI::Header.new(:what<header>, :$detail, code => FFCGI_EHEADER.value,
                               description => c-string(ffcgi_strerror(FFCGI_EHEADER.value))).throw
    }

    sub state-error(Str $what, Str $detail) {
        X::FastCGI::State.new(:$what, :$detail, code => FFCGI_ESTATE.value,
                              description => c-string(ffcgi_strerror(FFCGI_ESTATE.value))).throw
    }

    # The bytes of a head's `$count` lines (packed NAME\0VALUE\0...), checked
    # with its status (0: none) and reason (Blob: the standard phrase) by
    # libffcgi's rule; throws what `$what` failed with.
    sub checked-head(Str $what, Int $status, Blob $reason, Str $packed, Int $count --> Blob) {
        my $block = $utf8.encode-chars($packed);
        check(ffcgi_head_check($status, $reason, $reason.defined ?? $reason.bytes !! 0,
                               $block, $block.bytes, $count), $what);
        $block
    }

    # The request handle, when a request is current (as libffcgi says).
    method !current(Str $what --> ffcgi_request) {
        my $req = self!req($what);
        state-error($what, "$what: no current request (call accept first)") unless $!current;
        $req
    }

    # The response held, when its head may still change (as libffcgi says).
    method !open-head(Str $what --> FastCGI::NativeCall::Pending) {
        self!current($what);
        state-error($what, "$what: the response head was already sent") if $!held.head-closed;
        $!held
    }

    # The current request's packed params, copied from libffcgi on first
    # use (Buf type object when there is none).
    method !env-bytes(--> Buf) {
        $!env-bytes //= $!current ?? copy-bytes($!env-at[0], $!env-len) !! Buf
    }

    # A header Hash as the Status value given (Str when none), its code (0
    # when none) and reason (bytes; Blob for the standard phrase), and the
    # other lines packed NAME\0VALUE\0... with their count: sorted by
    # name, a list value giving one line per element.
    sub head-of(%header --> List) {
        my ($status, $code, $reason) = Str, 0, Blob;
        my $packed = '';
        my int $count = 0;
        for %header.elems > 1 ?? %header.keys.sort !! %header.keys -> $name {
            my \value = %header{$name};
            if $name.fc eq 'status' {
                my \values = value ~~ Positional ?? value.list !! (value,);
                header-error("Status must be one value, not {+values}") unless values == 1;
                $status = ~values[0];
                header-error("Status '$status' is not a three-digit code and a reason")
                    unless $status ~~ / ^ <[1..9]> \d\d [ ' ' \N* ]? $ /;
                my ($number, $phrase) = $status.split(' ', 2);
                $code = +$number;
                $reason = $phrase.defined ?? $utf8.encode-chars($phrase) !! Blob;
            }
            elsif value ~~ Positional {
                for value.list { $packed ~= $name ~ "\0" ~ $_ ~ "\0"; ++$count }
            }
            else {
                $packed ~= $name ~ "\0" ~ value ~ "\0";
                ++$count;
            }
        }
        ($status, $code, $reason, $packed, $count)
    }
}
