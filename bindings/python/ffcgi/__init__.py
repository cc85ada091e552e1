"""ffcgi: FastCGI applications on libffcgi.

    import ffcgi

    def hello(request):
        request.header("Content-Type", "text/plain")
        request.print("Hello from ffcgi\\n")

    ffcgi.serve(hello, "/tmp/hello.sock", threads=4)

Server and Request give the same calls as the C API (accept, env, header,
print, read, flush, finish); serve() runs a handler on worker threads until
SIGTERM or SIGINT; ffcgi.wsgi serves WSGI applications. Every failure is an
ffcgi.Error subclass (see ffcgi.errors). See bindings/python/README.md.
"""
from ._cdef import ABI_VERSION, VERSION
from ._lib import ffi, lib
from .errors import (AddressError, AddressInUseError, ConnectionIOError, Disconnected, Error,
                     FileError, HeaderError, InvalidArgumentError, LimitExceeded, NotListeningError,
                     OutOfMemoryError, OutOfRangeError, PathExistsError, ProtocolError,
                     RequestAborted, RoleError, ServerShutdown, SocketError, StateError, TimedOut)
from .request import AUTHORIZER, FILTER, RESPONDER, Request
from .server import (LIMIT_BODY_BYTES, LIMIT_CONNECTIONS, LIMIT_IDLE_MS, LIMIT_PARAM_BYTES, LIMIT_PARAMS,
                     LIMIT_MAX_REQUESTS, LIMIT_MAX_RSS_BYTES, LIMIT_REQUEST_MS, LIMIT_SLOW_MS,
                     EXIT_RETIRED,
                     LOG_DEBUG, LOG_ERROR, LOG_INFO, LOG_OFF, LOG_WARNING, Server, log_level)
from .serving import serve, serve_on

__version__ = VERSION


def library_version() -> str:
    """The version of the loaded libffcgi, e.g. "1.0.0"."""
    return ffi.string(lib.ffcgi_version_string()).decode()


def is_fastcgi() -> bool:
    """True if this process was started as a FastCGI application (a
    listening socket on fd 0 or from systemd), False for plain CGI or a
    shell."""
    return bool(lib.ffcgi_is_fastcgi())


__all__ = [
    "ABI_VERSION", "AUTHORIZER", "AddressError", "AddressInUseError", "ConnectionIOError",
    "Disconnected", "Error", "FILTER", "FileError", "HeaderError", "InvalidArgumentError", "LIMIT_BODY_BYTES",
    "EXIT_RETIRED", "LIMIT_CONNECTIONS", "LIMIT_IDLE_MS", "LIMIT_MAX_REQUESTS", "LIMIT_MAX_RSS_BYTES",
    "LIMIT_PARAMS", "LIMIT_REQUEST_MS", "LIMIT_PARAM_BYTES", "LIMIT_SLOW_MS", "LOG_DEBUG", "LOG_ERROR",
    "LOG_INFO", "LOG_OFF", "LOG_WARNING", "LimitExceeded", "NotListeningError",
    "OutOfMemoryError", "OutOfRangeError", "PathExistsError", "ProtocolError", "RESPONDER",
    "Request", "RequestAborted", "RoleError", "Server", "ServerShutdown", "SocketError",
    "StateError", "TimedOut", "VERSION", "is_fastcgi", "library_version", "log_level", "serve",
    "serve_on",
]
