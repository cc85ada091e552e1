"""The listening side: a Server hands out one Request at a time per thread.

Threads: a Server may be shared by any number of threads; each thread that
calls accept() gets its own native request handle, reused for every request
that thread accepts. shutdown() may be called from any thread or a signal
handler. close() must come after every accepting thread has stopped.
"""
import threading
from typing import Any, Iterator, List, Optional

from ._lib import ffi, lib
from .errors import StateError, check
from .request import Request


class Server:
    """A FastCGI listener.

    ``Server("/run/app.sock", mode=0o660)``, ``Server("127.0.0.1:9000")``,
    ``Server("[::1]:9000", backlog=128)``; ``Server()`` (no address) serves
    what the parent handed over: systemd's socket, the listening socket on
    fd 0 (spawn-fcgi, mod_fcgid), or else the one request of a plain CGI run.
    A unix socket file the server created is removed by close().
    """

    def __init__(self, address: Optional[str] = None, *, backlog: int = 0,
                 mode: Optional[int] = None) -> None:
        out = ffi.new("ffcgi_server **")
        if address is None:
            check(lib.ffcgi_server_inherit(out))
        else:
            check(lib.ffcgi_server_open(out, address.encode(), backlog,
                                        -1 if mode is None else mode))
        self._adopt(out[0])

    @classmethod
    def from_fd(cls, fd: int) -> "Server":
        """A server on ``fd``, an already listening socket that stays the
        caller's (close() does not close it)."""
        out = ffi.new("ffcgi_server **")
        check(lib.ffcgi_server_from_fd(out, fd))
        server = cls.__new__(cls)
        server._adopt(out[0])
        return server

    def _adopt(self, handle: Any) -> None:
        # ffi.gc is only a safety net for a forgotten close().
        self._handle = ffi.gc(handle, lib.ffcgi_server_free)
        self._lock = threading.Lock()
        self._request_handles: List[Any] = []
        self._local = threading.local()

    def _live(self) -> Any:
        if self._handle is None:
            raise StateError(lib.FFCGI_ESTATE, "the server is closed")
        return self._handle

    def _thread_handle(self) -> Any:
        handle = getattr(self._local, "handle", None)
        if handle is None:
            out = ffi.new("ffcgi_request **")
            check(lib.ffcgi_request_new(out, self._live()))
            handle = ffi.gc(out[0], lib.ffcgi_request_free)
            with self._lock:
                self._request_handles.append(handle)
            self._local.handle = handle
        return handle

    def accept(self) -> Optional[Request]:
        """Finishes this thread's previous request and waits for the next.
        Returns None once the server is shut down (or a CGI run is done).
        The GIL is released while waiting."""
        handle = self._thread_handle()
        previous = getattr(self._local, "request", None)
        if previous is not None:
            previous._close()
            self._local.request = None
        code = lib.ffcgi_accept(handle)
        if code == lib.FFCGI_ESHUTDOWN:
            return None
        check(code)
        request = Request(handle)
        self._local.request = request
        return request

    def __iter__(self) -> Iterator[Request]:
        """Yields requests until shutdown; each is finished when the next
        one is accepted (or call finish() yourself)."""
        while True:
            request = self.accept()
            if request is None:
                return
            yield request

    def shutdown(self) -> None:
        """Stops handing out requests: every blocked accept() returns None
        promptly; requests in flight can still be completed. Safe from any
        thread and from signal handlers; idempotent."""
        if self._handle is not None:
            lib.ffcgi_server_shutdown(self._handle)

    def fileno(self) -> int:
        """The listening socket's descriptor (-1 for a CGI run)."""
        return lib.ffcgi_server_fd(self._live())

    @property
    def is_cgi(self) -> bool:
        """True if this process runs as plain CGI (one request, then done)."""
        return bool(check(lib.ffcgi_server_is_cgi(self._live())))

    def close(self) -> None:
        """Finishes and frees every thread's request handle, closes the
        listener and removes the socket file it created. Call it after every
        accepting thread has stopped. Idempotent."""
        if self._handle is None:
            return
        with self._lock:
            handles, self._request_handles = self._request_handles, []
        for handle in handles:
            ffi.release(handle)
        ffi.release(self._handle)
        self._handle = None

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()
