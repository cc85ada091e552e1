use v6.d;
#| A listener (ffcgi_server) shared by the FastCGI::NativeCall objects that
#| accept on it; freed — socket closed, socket file removed — when the last
#| of them lets go. libffcgi requires every request handle to be freed
#| before its server, which the count guarantees.
unit class FastCGI::NativeCall::Server;

use NativeCall;
use FastCGI::NativeCall::Raw;
use FastCGI::NativeCall::Native;

has ffcgi_server $!handle;
has Int $!users = 1;
has Lock $!lock .= new;

submethod BUILD(ffcgi_server :$!handle!) { }

# Makes a server with a libffcgi constructor that fills an out-parameter.
sub made(&constructor, Str $what --> FastCGI::NativeCall::Server) {
    my $out = CArray[ffcgi_server].allocate(1);
    check(constructor($out), $what);
    FastCGI::NativeCall::Server.bless(handle => $out[0])
}

#| A listener at `$address` (see ffcgi_server_open: "/path", "unix:path",
#| "host:port", "[v6]:port", ":port").
method open(Str:D $address, Int:D $backlog, Int:D $mode = -1 --> FastCGI::NativeCall::Server) {
    made({ ffcgi_server_open($_, $address, $backlog, $mode) }, "listen on '$address'")
}

#| Adopts an already listening descriptor (it stays the caller's to close).
method from-fd(Int:D $fd --> FastCGI::NativeCall::Server) {
    made({ ffcgi_server_from_fd($_, $fd) }, "use socket $fd")
}

#| What the parent process handed over: the systemd socket, a listener on
#| fd 0, or else one CGI request.
method inherit(--> FastCGI::NativeCall::Server) {
    made({ ffcgi_server_inherit($_) }, 'inherit a listener')
}

#| The handle; a type object once freed.
method handle(--> ffcgi_server) { $!handle }

#| The listening descriptor, or Int for a CGI server.
method fd(--> Int) {
    my $fd = ffcgi_server_fd($!handle);
    $fd >= 0 ?? $fd !! Int
}

method is-cgi(--> Bool) { ffcgi_server_is_cgi($!handle) == 1 }

#| Sets an FFCGI_LIMIT_* limit.
method set-limit(Int:D $limit, Int:D $value, Str $what --> True) {
    check(ffcgi_server_set_limit($!handle, $limit, $value), $what);
}

#| The value of an FFCGI_LIMIT_* limit.
method limit(Int:D $limit, Str $what --> Int) { check(ffcgi_server_limit($!handle, $limit), $what) }

#| Log files and the status page (ffcgi_server_access_log, _error_log,
#| _status_path): a Str type object turns one off. Before the first accept.
method access-log(Str $path --> True) { check(ffcgi_server_access_log($!handle, $path), 'access-log') }
method error-log(Str $path, Int:D $level --> True) {
    check(ffcgi_server_error_log($!handle, $path, $level), 'error-log');
}
method status-path(Str $path --> True) { check(ffcgi_server_status_path($!handle, $path), 'status-path') }

#| Opens the log files' paths again (after log rotation). Any thread.
method reopen-logs(--> True) { check(ffcgi_server_reopen_logs($!handle), 'reopen-logs') }

#| A line in the error log at an FFCGI_LOG_* level. Any thread.
method log(Int:D $level, Str:D $message --> True) {
    check(ffcgi_server_log($!handle, $level, $message), 'log');
}

#| The status page in an FFCGI_STATUS_* format.
method status(Int:D $format --> Str) {
    my $size = 16384;
    loop {
        my $buf = buf8.allocate($size);
        my $length = check(ffcgi_server_status($!handle, $format, $buf, $size), 'server-status');
        return $buf.subbuf(0, $length).decode('utf8-c8') if $length < $size;
        $size = $length + 1;
    }
}

#| An FFCGI_RETIRED_* reason (0 while serving, and once freed).
method retired(--> Int) { $!handle ?? check(ffcgi_server_retired($!handle), 'retired') !! 0 }

#| Requests accepted and not finished, timed-out ones not counted (0 once
#| freed).
method in-flight(--> Int) { $!handle ?? check(ffcgi_server_in_flight($!handle), 'in-flight') !! 0 }

#| One more object uses the server.
method attach(--> FastCGI::NativeCall::Server) {
    $!lock.protect: {
        die "FastCGI::NativeCall::Server: the server was already freed" unless $!handle;
        $!users++;
    }
    self
}

#| An object no longer uses the server; the last one frees it.
method release() {
    $!lock.protect: {
        if $!handle && --$!users == 0 {
            ffcgi_server_free($!handle);
            $!handle = ffcgi_server;
        }
    }
}

#| Ends every accept, blocked or later, on this server. Any thread.
method shutdown() {
    $!lock.protect: { ffcgi_server_shutdown($!handle) if $!handle }
}
