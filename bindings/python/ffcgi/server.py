"""The listening side: a Server hands out one Request at a time per thread.

Threads: a Server may be shared by any number of threads. Each thread that
calls accept() gets its own native request handle, made on its first
accept() and reused for every request that thread accepts until close().
shutdown() may be called from any thread and from a signal handler.
close() shuts the server down, waits for blocked accept() calls to return,
finishes the requests still open and frees everything; requests being
worked on by other threads must be finished before close() (serve() does
that).
"""
import os
import socket
import threading
import weakref
from typing import Any, Iterable, Iterator, List, Mapping, Optional, Tuple, Union

from ._lib import ffi, lib
from .errors import AddressError, InvalidArgumentError, StateError, check, raise_for
from .request import PendingResponse, Request

Address = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]

# Limits a server holds every request to (Server.set_limit, ``limits=``).
LIMIT_PARAM_BYTES: int = lib.FFCGI_LIMIT_PARAM_BYTES  # bytes of the params; default 1 MiB
LIMIT_PARAMS: int = lib.FFCGI_LIMIT_PARAMS  # number of params; default 10000
LOG_OFF: int = lib.FFCGI_LOG_OFF
LOG_ERROR: int = lib.FFCGI_LOG_ERROR
LOG_WARNING: int = lib.FFCGI_LOG_WARNING
LOG_INFO: int = lib.FFCGI_LOG_INFO
LOG_DEBUG: int = lib.FFCGI_LOG_DEBUG
LogLevel = Union[str, int]
LIMIT_MAX_REQUESTS: int = lib.FFCGI_LIMIT_MAX_REQUESTS  # retire after about this many; 0: never
LIMIT_MAX_RSS_BYTES: int = lib.FFCGI_LIMIT_MAX_RSS_BYTES  # retire past this resident size
EXIT_RETIRED: int = lib.FFCGI_RETIRED_EXIT_STATUS  # the exit status ffcgi-supervisor replaces at once
_RETIRE_REASONS = {lib.FFCGI_RETIRED_NOT: None, lib.FFCGI_RETIRED_MAX_REQUESTS: "max_requests",
                   lib.FFCGI_RETIRED_MAX_RSS: "max_rss", lib.FFCGI_RETIRED_TIMEOUT: "timeout"}
LIMIT_REQUEST_MS: int = lib.FFCGI_LIMIT_REQUEST_MS  # a longer request: 504, the process replaced


def log_level(level: LogLevel) -> int:
    """The LOG_* number of ``level``: a name ("off", "error", "warning",
    "info", "debug"; the library's rule) or a number already. Raises
    InvalidArgumentError for anything else."""
    if isinstance(level, bool) or not isinstance(level, (str, int)):
        raise InvalidArgumentError(lib.FFCGI_EINVAL, f"log level {level!r} is not a name or number")
    if isinstance(level, int):
        if not LOG_OFF <= level <= LOG_DEBUG:
            raise InvalidArgumentError(lib.FFCGI_EINVAL, f"log level {level} is not 0..4")
        return level
    encoded = level.encode("utf-8", "replace")
    if b"\0" in encoded:
        raise InvalidArgumentError(lib.FFCGI_EINVAL, f"log level {level!r} contains NUL")
    return check(lib.ffcgi_log_level_from_name(encoded))


STATUS_TEXT: int = lib.FFCGI_STATUS_TEXT
STATUS_JSON: int = lib.FFCGI_STATUS_JSON
def _c_string_or_null(text: Optional[str], what: str, encode: Any) -> Any:
    """``text`` encoded for a C string argument, or NULL for None; a NUL
    inside would end the C string early, so it is refused."""
    if text is None:
        return ffi.NULL
    encoded = encode(text)
    if b"\0" in encoded:
        raise InvalidArgumentError(lib.FFCGI_EINVAL, f"{what} {text!r} contains NUL")
    return encoded


LIMIT_BODY_BYTES: int = lib.FFCGI_LIMIT_BODY_BYTES  # bytes of a body; default 0: no limit
LIMIT_IDLE_MS: int = lib.FFCGI_LIMIT_IDLE_MS  # a stalled or idle connection; default 60000
LIMIT_CONNECTIONS: int = lib.FFCGI_LIMIT_CONNECTIONS  # connections held at once; default 1024
LIMIT_SLOW_MS: int = lib.FFCGI_LIMIT_SLOW_MS  # a longer request is logged and counted slow; 0: none


class _Slot:
    """One accepting thread's native request handle, its current Request and
    that request's pending response. The Request is held weakly: a Request
    keeps its Server alive (so its handle stays valid), and the Server must
    stay collectable. The pending response is the slot's, so that what a
    dropped, unfinished Request held back is still sent."""

    __slots__ = ("handle", "pending", "env", "env_len", "_request")

    def __init__(self, handle: Any) -> None:
        self.handle = handle
        self.pending = PendingResponse()
        self.env = ffi.new("const char **")  # ffcgi_accept_env's out-parameters
        self.env_len = ffi.new("size_t *")
        self._request: Optional["weakref.ref[Request]"] = None

    def begin(self, request: Request) -> None:
        self._request = weakref.ref(request)

    def end(self) -> None:
        """Marks the current Request finished (the C side finishes it) and
        hands over what it held back, if anything."""
        request = self._request() if self._request is not None else None
        if request is not None:
            request._open = False  # finished: the C side finishes it itself
        self._request = None
        pending = self.pending
        if pending.code or pending.count or pending.size:
            pending.send(self.handle, 0)  # errors: as for the finish that follows
        pending.reset()


def _free_native(server_handle: Any, slots: List[_Slot]) -> None:
    """Frees the request handles first, then the server (the C contract)."""
    for slot in slots:
        slot.end()
        lib.ffcgi_request_free(slot.handle)
    slots.clear()
    lib.ffcgi_server_free(server_handle)


class Server:
    """A FastCGI listener.

    ``Server("/run/app.sock", mode=0o660)``, ``Server("unix:/run/app.sock")``,
    ``Server("127.0.0.1:9000")``, ``Server("[::1]:9000", backlog=128)``,
    ``Server(":9000")`` (all IPv4 interfaces). A port of 0 picks a free one
    (see ``sockname``). ``Server()`` (no address) serves what the parent
    handed over: systemd's socket, the listening socket on fd 0 (spawn-fcgi,
    mod_fcgid), or else the one request of a plain CGI run (``is_cgi``).

    An existing unix socket file is replaced only if nobody listens on it
    (AddressInUseError otherwise); a path that is not a socket is never
    touched (PathExistsError). close() removes the socket file the server
    created. Use it as a context manager, or call close(); a forgotten
    close() is made good when the Server is garbage-collected.

    ``limits`` sets limits before any request, e.g. ``{ffcgi.LIMIT_BODY_BYTES:
    10 << 20}`` (see set_limit()); ``allow`` the peers a TCP listener accepts
    (see allow()); ``access_log`` a file (or "-", standard output) that
    gets one line per request (see access_log()); ``error_log`` a file (or
    "-", standard error) for what goes wrong around the app, at
    ``log_level`` and above (see error_log()).
    """

    def __init__(self, address: Optional[Address] = None, *, backlog: int = 0,
                 mode: Optional[int] = None, limits: Optional[Mapping[int, int]] = None,
                 allow: Union[str, Iterable[str], None] = None,
                 access_log: Optional[str] = None, error_log: Optional[str] = None,
                 log_level: LogLevel = "warning", status_path: Optional[str] = None) -> None:
        out = ffi.new("ffcgi_server **")
        if address is None:
            check(lib.ffcgi_server_inherit(out))
        else:
            encoded = os.fsencode(address)
            if b"\0" in encoded:  # a C string would end there: another address
                raise AddressError(lib.FFCGI_EADDRESS, f"address {address!r} contains NUL")
            check(lib.ffcgi_server_open(out, encoded, backlog, -1 if mode is None else mode))
        self._adopt(out[0], limits, allow, (access_log, error_log, log_level), status_path)

    @classmethod
    def from_fd(cls, fd: int, *, limits: Optional[Mapping[int, int]] = None,
                allow: Union[str, Iterable[str], None] = None,
                access_log: Optional[str] = None, error_log: Optional[str] = None,
                log_level: LogLevel = "warning",
                status_path: Optional[str] = None) -> "Server":
        """A server on ``fd``, an already listening socket (unix or TCP) that
        stays the caller's: close() does not close it. The descriptor is set
        to non-blocking. Raises NotListeningError for anything else."""
        out = ffi.new("ffcgi_server **")
        check(lib.ffcgi_server_from_fd(out, fd))
        server = cls.__new__(cls)
        server._adopt(out[0], limits, allow, (access_log, error_log, log_level), status_path)
        return server

    def _adopt(self, handle: Any, limits: Optional[Mapping[int, int]],
               allow: Union[str, Iterable[str], None],
               logs: Tuple[Optional[str], Optional[str], LogLevel],
               status_path: Optional[str]) -> None:
        self._handle = handle
        # An RLock: shutdown() takes it and may run in a signal handler on a
        # thread that holds it already.
        self._lock = threading.RLock()
        self._idle = threading.Condition(self._lock)
        self._accepting = 0
        self._closed = False
        self._slots: List[_Slot] = []
        self._local = threading.local()
        # The safety net for a forgotten close(); never at interpreter exit,
        # when daemon threads may still be inside the library.
        self._finalizer = weakref.finalize(self, _free_native, handle, self._slots)
        self._finalizer.atexit = False
        try:
            for limit, value in (limits or {}).items():
                self.set_limit(limit, value)
            if allow is not None:
                self.allow(allow)
            access_log, error_log, log_level = logs
            if access_log is not None:
                self.access_log(access_log)
            if error_log is not None:
                self.error_log(error_log, log_level)
            if status_path is not None:
                self.status_path(status_path)
        except BaseException:
            self._finalizer()
            raise

    def _new_slot(self) -> _Slot:
        """Makes the calling thread's slot (on its first accept())."""
        out = ffi.new("ffcgi_request **")
        with self._lock:
            self._check_open()
            check(lib.ffcgi_request_new(out, self._handle))
            slot = _Slot(out[0])
            self._slots.append(slot)
        self._local.slot = slot
        return slot

    def _check_open(self) -> None:
        if self._closed:
            raise StateError(lib.FFCGI_ESTATE, "the server is closed")

    def accept(self) -> Optional[Request]:
        """Finishes this thread's previous request and waits for the next
        (the GIL is released while waiting). Returns None once the server is
        shut down, and after the one request of a CGI run. Raises StateError
        after close(), SocketError if the listener fails for good."""
        slot = getattr(self._local, "slot", None) or self._new_slot()
        lock = self._lock
        lock.acquire()  # not `with`: cheaper on this path
        try:
            self._check_open()
            self._accepting += 1
        finally:
            lock.release()
        try:
            slot.end()
            code = lib.ffcgi_accept_env(slot.handle, slot.env, slot.env_len)
        finally:
            lock.acquire()
            try:
                self._accepting -= 1
                if self._closed and not self._accepting:
                    self._idle.notify_all()  # close() waits for the last one
            finally:
                lock.release()
        if code < 0:
            if code == lib.FFCGI_ESHUTDOWN:
                return None
            raise_for(code)
        request = Request(slot.handle, self, slot.pending, ffi.unpack(slot.env[0], slot.env_len[0]))
        slot.begin(request)
        return request

    def __iter__(self) -> Iterator[Request]:
        """Yields requests until shutdown; each is finished when the next
        one is accepted (or call finish(), or use ``with request:``)."""
        while True:
            request = self.accept()
            if request is None:
                return
            yield request

    def shutdown(self) -> None:
        """Stops handing out requests: every blocked accept() returns None
        promptly, and so does every later one; requests in flight can still
        be completed. Safe from any thread and from signal handlers;
        idempotent; a no-op after close()."""
        with self._lock:
            if not self._closed:
                lib.ffcgi_server_shutdown(self._handle)

    def set_limit(self, limit: int, value: int) -> None:
        """Sets one limit of every request on this server (value >= 0):

        - LIMIT_PARAM_BYTES, LIMIT_PARAMS: a request with more never reaches
          the app; the library answers it with status 431.
        - LIMIT_BODY_BYTES (0: none): reading past it raises LimitExceeded;
          the app can still answer, e.g. with 413.
        - LIMIT_IDLE_MS (0: none): a connection that stalls mid-request or
          leaves the response unread that long makes reads raise TimedOut;
          an idle kept-open connection is closed.
        - LIMIT_CONNECTIONS (>= 1): connections held at once, idle or busy;
          past it the longest-idle kept connection is closed, or new ones
          wait in the listen backlog.

        A limit may change while serving; it applies from the next request
        (the next connection for LIMIT_CONNECTIONS). Raises InvalidArgumentError for an unknown limit or
        a negative value."""
        with self._lock:
            self._check_open()
            check(lib.ffcgi_server_set_limit(self._handle, limit, value))

    def limit(self, limit: int) -> int:
        """The current value of a LIMIT_* limit."""
        with self._lock:
            self._check_open()
            return int(check(lib.ffcgi_server_limit(self._handle, limit)))

    def allow(self, addresses: Union[str, Iterable[str], None]) -> None:
        """Restricts which peers may connect to a TCP listener: IPv4 or IPv6
        addresses, each with an optional /prefix, as a list or one string
        separated by commas or spaces (``"127.0.0.1, 10.0.0.0/8, ::1"``).
        None or "" allows everyone again. A connection from another address
        is closed at once and counted (``refusals``); unix-socket peers are
        not affected (use the socket's mode). Replaces the previous list; a
        TCP server starts with FCGI_WEB_SERVER_ADDRS from the environment if
        set. Set it before the first accept(). Raises InvalidArgumentError
        for an entry that is not an address (the previous list stays)."""
        if addresses is None:
            text = b""
        else:
            text = (addresses if isinstance(addresses, str) else ",".join(addresses)).encode()
        if b"\0" in text:
            raise InvalidArgumentError(lib.FFCGI_EINVAL, f"allow-list {addresses!r} contains NUL")
        with self._lock:
            self._check_open()
            check(lib.ffcgi_server_allow(self._handle, text))

    def access_log(self, path: Optional[str]) -> None:
        """Writes one line per request to the file at ``path`` (appended
        to; created 0644), or to standard output for "-"; None turns it off.
        The Combined Log Format plus the microseconds the request took,
        written by libffcgi in one write() per line: no lock, no torn lines
        under threads or processes. Set it before the first accept()
        (StateError after); FileError (an OSError) if the file cannot be
        opened."""
        encoded = _c_string_or_null(path, "access log path", os.fsencode)
        with self._lock:
            self._check_open()
            check(lib.ffcgi_server_access_log(self._handle, encoded))

    def error_log(self, path: Optional[str], level: LogLevel = "warning") -> None:
        """Writes what goes wrong around the app — refused peers, protocol
        errors, limit refusals, a web server gone mid-request — with the
        peer and the request, to the file at ``path`` (appended to; created
        0644), or to standard error for "-"; None turns it off (the
        default). ``level``: "error", "warning", "info", "debug" or "off"
        (or LOG_*). Set it before the first accept() (StateError after);
        FileError if the file cannot be opened, InvalidArgumentError for a
        level that is not one."""
        encoded = _c_string_or_null(path, "error log path", os.fsencode)
        number = log_level(level)
        with self._lock:
            self._check_open()
            check(lib.ffcgi_server_error_log(self._handle, encoded, number))

    def log(self, level: LogLevel, message: str) -> None:
        """Writes ``message`` to the error log at ``level`` if that level is
        on, in the library's format: how an app or a server reports into
        the same log. Thread-safe."""
        number = log_level(level)
        with self._lock:
            self._check_open()
            check(lib.ffcgi_server_log(self._handle, number,
                                       message.encode("utf-8", "backslashreplace")))

    @property
    def in_flight(self) -> int:
        """Requests accepted and not finished, not counting timed-out ones
        (LIMIT_REQUEST_MS)."""
        with self._lock:
            return 0 if self._closed else check(lib.ffcgi_server_in_flight(self._handle))

    @property
    def retired(self) -> Optional[str]:
        """Why libffcgi retired this server — "max_requests", "max_rss" or
        "timeout" (LIMIT_MAX_REQUESTS, LIMIT_MAX_RSS_BYTES, LIMIT_REQUEST_MS:
        a request ran too long and its thread may be stuck) — or None while it serves
        (or after shutdown()). A retired server hands out no new request;
        its process should be replaced (ffcgi.wsgi does it)."""
        with self._lock:
            if self._closed:
                return None
            return _RETIRE_REASONS.get(check(lib.ffcgi_server_retired(self._handle)))

    def status_path(self, path: Optional[str]) -> None:
        """Requests for ``path`` (e.g. "/status") are answered by libffcgi
        with the status page — every worker's state, requests and current
        request, and the totals; JSON for ``?json``, else plain text — and
        never reach the handler; None turns it off. Before the first
        accept() (StateError after); InvalidArgumentError unless it begins
        with "/" and has no "?"."""
        encoded = _c_string_or_null(path, "status path", lambda text: text.encode("utf-8"))
        with self._lock:
            self._check_open()
            check(lib.ffcgi_server_status_path(self._handle, encoded))

    def status(self, format: str = "text") -> str:
        """The status page now, as "text" or "json" (json.loads() it)."""
        if format not in ("text", "json"):
            raise InvalidArgumentError(lib.FFCGI_EINVAL,
                                       f"status format {format!r} is not 'text' or 'json'")
        number = STATUS_JSON if format == "json" else STATUS_TEXT
        with self._lock:
            self._check_open()
            size = 16384
            while True:
                buf = ffi.new("char[]", size)
                length = check(lib.ffcgi_server_status(self._handle, number, buf, size))
                if length < size:
                    return ffi.string(buf, length).decode("utf-8", "replace")
                size = length + 1

    def reopen_logs(self) -> None:
        """Opens the access and error logs' paths again after they were
        renamed (log rotation); safe while requests are served."""
        with self._lock:
            self._check_open()
            check(lib.ffcgi_server_reopen_logs(self._handle))

    @property
    def refusals(self) -> int:
        """How many connections the allow-list refused so far."""
        with self._lock:
            self._check_open()
            return int(check(lib.ffcgi_server_refusals(self._handle, ffi.NULL, 0)))

    @property
    def last_refusal(self) -> str:
        """Why the latest connection was refused, e.g. "refused 10.1.2.3
        port 5000: not in the allow-list"; "" if none was."""
        detail = ffi.new("char[]", 256)
        with self._lock:
            self._check_open()
            check(lib.ffcgi_server_refusals(self._handle, detail, len(detail)))
        return ffi.string(detail).decode("utf-8", "replace")

    def fileno(self) -> int:
        """The listening socket's descriptor (-1 for a CGI run)."""
        with self._lock:
            self._check_open()
            if lib.ffcgi_server_is_cgi(self._handle) == 1:
                return -1
            return check(lib.ffcgi_server_fd(self._handle))

    @property
    def sockname(self) -> Any:
        """The listener's local address as ``socket.getsockname()`` gives it:
        the path for a unix socket, ``(host, port)`` for TCP (so a server
        opened on port 0 tells which port it got). None for a CGI run."""
        fd = self.fileno()
        if fd < 0:
            return None
        with socket.socket(fileno=os.dup(fd)) as sock:
            return sock.getsockname()

    @property
    def is_cgi(self) -> bool:
        """True if this process runs as plain CGI (one request, then done)."""
        with self._lock:
            self._check_open()
            return bool(check(lib.ffcgi_server_is_cgi(self._handle)))

    @property
    def closed(self) -> bool:
        """True once close() was called."""
        return self._closed

    def close(self) -> None:
        """Shuts the server down, waits until no thread is blocked in
        accept(), finishes the requests still open, frees every request
        handle, closes the listener (unless it came from from_fd() or was
        inherited) and removes the unix socket file it created. Idempotent."""
        with self._lock:
            if self._closed:
                return
            lib.ffcgi_server_shutdown(self._handle)
            self._closed = True
            self._idle.wait_for(lambda: not self._accepting)
        self._finalizer()

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        if self._closed:
            return "<ffcgi.Server closed>"
        return f"<ffcgi.Server fd={self.fileno()}>"


__all__ = ["LIMIT_BODY_BYTES", "LIMIT_CONNECTIONS", "LIMIT_IDLE_MS", "LIMIT_PARAMS", "LIMIT_PARAM_BYTES",
           "EXIT_RETIRED", "LIMIT_MAX_REQUESTS", "LIMIT_MAX_RSS_BYTES", "LIMIT_REQUEST_MS", "LIMIT_SLOW_MS", "LOG_DEBUG", "LOG_ERROR", "LOG_INFO", "LOG_OFF", "LOG_WARNING",
           "LogLevel", "Server", "log_level"]
