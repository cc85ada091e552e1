"""Exceptions: one base class, ffcgi.Error, and a subclass per FFCGI_E* code.

Each subclass also derives from the built-in exception a Python programmer
would catch for that kind of failure (ValueError for bad input, OSError for
socket trouble, ConnectionError for a vanished web server, ...). The message
is the C library's detail for the failure (ffcgi_last_error), e.g. the path
and errno of a failed bind.
"""
from typing import Any, Dict, NoReturn, Tuple, Type

from ._lib import ffi, lib


def _text(pointer: Any) -> str:
    return ffi.string(pointer).decode("utf-8", "replace")


class Error(Exception):
    """Base class of every error libffcgi reports.

    Attributes: ``code`` (the negative FFCGI_E* value), ``message`` (the
    detail, also ``str(error)``) and ``description`` (the static text of the
    code, ffcgi_strerror).
    """

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def description(self) -> str:
        """The library's short text for ``code``, e.g. "address already in use"."""
        return _text(lib.ffcgi_strerror(self.code))

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> Tuple[Any, Tuple[int, str]]:
        return (type(self), (self.code, self.message))


class InvalidArgumentError(Error, ValueError):
    """An argument is invalid (FFCGI_EINVAL)."""


class OutOfMemoryError(Error, MemoryError):
    """The library ran out of memory (FFCGI_ENOMEM)."""


class AddressError(Error, ValueError):
    """The listen address cannot be parsed or resolved (FFCGI_EADDRESS)."""


class SocketError(Error, OSError):
    """socket(), bind(), listen() or accept() failed (FFCGI_ESOCKET)."""


class PathExistsError(Error, FileExistsError):
    """The unix socket path exists and is not a socket (FFCGI_EEXIST)."""


class AddressInUseError(Error, OSError):
    """A live listener already holds the address (FFCGI_EADDRINUSE)."""


class NotListeningError(Error, OSError):
    """The descriptor is not a listening socket (FFCGI_ENOTLISTENING)."""


class ServerShutdown(Error):
    """The server was shut down: no more requests (FFCGI_ESHUTDOWN)."""


class ConnectionIOError(Error, OSError):
    """An I/O error on the connection to the web server (FFCGI_EIO)."""


class Disconnected(Error, ConnectionError):
    """The web server closed the connection, mid-body or while the response
    was written (FFCGI_EDISCONNECTED)."""


class HeaderError(Error, ValueError):
    """A header name, value or reason phrase was refused: CR, LF, NUL or
    another control character (response splitting), or a name that is not an
    HTTP token (FFCGI_EHEADER)."""


class StateError(Error, RuntimeError):
    """Not possible now: no current request, or headers already sent
    (FFCGI_ESTATE)."""


class RoleError(Error, RuntimeError):
    """Not possible in this request's role, e.g. FCGI_DATA outside FILTER
    (FFCGI_EROLE)."""


class OutOfRangeError(Error, IndexError):
    """An index is out of range (FFCGI_ERANGE)."""


class ProtocolError(Error, OSError):
    """The web server broke the FastCGI protocol (FFCGI_EPROTOCOL)."""


class RequestAborted(Error, ConnectionAbortedError):
    """The web server aborted the request (FCGI_ABORT_REQUEST), e.g. because
    its HTTP client went away; the body's bytes before the abort were
    delivered (FFCGI_EABORTED)."""


class LimitExceeded(Error, ValueError):
    """The request body is larger than the server's LIMIT_BODY_BYTES; the
    app can still answer, e.g. with 413 (FFCGI_ELIMIT)."""


class TimedOut(Error, TimeoutError):
    """The web server's connection stalled longer than the server's
    LIMIT_IDLE_MS (FFCGI_ETIMEDOUT)."""


class FileError(Error, OSError):
    """A file the library was asked to write (the access log) cannot be
    opened or written; the detail names it and the system's reason
    (FFCGI_EFILE)."""


_BY_CODE: Dict[int, Type[Error]] = {
    lib.FFCGI_EINVAL: InvalidArgumentError,
    lib.FFCGI_ENOMEM: OutOfMemoryError,
    lib.FFCGI_EADDRESS: AddressError,
    lib.FFCGI_ESOCKET: SocketError,
    lib.FFCGI_EEXIST: PathExistsError,
    lib.FFCGI_EADDRINUSE: AddressInUseError,
    lib.FFCGI_ENOTLISTENING: NotListeningError,
    lib.FFCGI_ESHUTDOWN: ServerShutdown,
    lib.FFCGI_EIO: ConnectionIOError,
    lib.FFCGI_EDISCONNECTED: Disconnected,
    lib.FFCGI_EHEADER: HeaderError,
    lib.FFCGI_ESTATE: StateError,
    lib.FFCGI_EROLE: RoleError,
    lib.FFCGI_ERANGE: OutOfRangeError,
    lib.FFCGI_EPROTOCOL: ProtocolError,
    lib.FFCGI_EABORTED: RequestAborted,
    lib.FFCGI_ELIMIT: LimitExceeded,
    lib.FFCGI_ETIMEDOUT: TimedOut,
    lib.FFCGI_EFILE: FileError,
}


def raise_for(code: int) -> NoReturn:
    """Raises the exception for a negative FFCGI_E* code, with the detail
    the library recorded on this thread."""
    detail = _text(lib.ffcgi_last_error()) or _text(lib.ffcgi_strerror(code))
    raise error_class(code)(code, detail)


def error_class(code: int) -> Type[Error]:
    """The exception class for an FFCGI_E* code (Error for unknown codes)."""
    return _BY_CODE.get(code, Error)


def check(code: int) -> int:
    """Returns a non-negative result of a libffcgi call; raises for an error."""
    if code < 0:
        raise_for(code)
    return code


__all__ = [
    "AddressError", "AddressInUseError", "ConnectionIOError", "Disconnected", "Error", "FileError",
    "HeaderError", "InvalidArgumentError", "LimitExceeded", "NotListeningError",
    "OutOfMemoryError", "OutOfRangeError", "PathExistsError", "ProtocolError", "RequestAborted",
    "RoleError", "ServerShutdown", "SocketError", "StateError", "TimedOut", "check",
    "error_class", "raise_for",
]
