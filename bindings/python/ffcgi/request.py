"""One FastCGI request: its params, its body, and the response.

A Request is handed out by Server.accept() and is valid until it is finished
(Request.finish(), leaving its ``with`` block, or the next accept on the same
thread). After that every method raises StateError. A Request belongs to the
thread that accepted it.
"""
import io
import types
from typing import Any, Dict, Iterable, Iterator, Mapping, Optional, Tuple, Union

from ._lib import ffi, lib
from .errors import StateError, check

Bytes = Union[bytes, bytearray, memoryview]
HeaderValue = Union[str, bytes, int, Iterable[Union[str, bytes, int]]]

RESPONDER = lib.FFCGI_ROLE_RESPONDER
AUTHORIZER = lib.FFCGI_ROLE_AUTHORIZER
FILTER = lib.FFCGI_ROLE_FILTER

_BUFFER_SIZE = 65536


class _Stream(io.RawIOBase):
    """The raw reader under a request's body (FCGI_STDIN) or FILTER data."""

    def __init__(self, request: "Request", read_call: Any) -> None:
        super().__init__()
        self._request = request
        self._read_call = read_call
        self._nread = ffi.new("size_t *")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        handle = self._request._current()
        view = memoryview(buffer).cast("B")
        if not len(view):
            return 0
        target = ffi.from_buffer("char[]", view, require_writable=True)
        check(self._read_call(handle, target, len(view), self._nread))
        return int(self._nread[0])


def _packed_pairs(packed: bytes) -> Iterator[Tuple[bytes, bytes]]:
    fields = packed.split(b"\0")
    return zip(fields[0:-1:2], fields[1:-1:2])


def _as_header_bytes(text: Union[str, bytes, int]) -> bytes:
    if isinstance(text, bytes):
        return text
    return str(text).encode("latin-1")


class Request:
    """The current request of one worker thread (see the module docstring)."""

    def __init__(self, handle: Any) -> None:
        self._handle = handle
        self._open = True
        self._params: Optional[Tuple[Tuple[bytes, bytes], ...]] = None
        self._env: Optional[Mapping[str, str]] = None
        self._env_bytes: Optional[Mapping[bytes, bytes]] = None
        self._exit_status = 0
        self._body = io.BufferedReader(_Stream(self, lib.ffcgi_read), _BUFFER_SIZE)
        self._data: Optional[io.BufferedReader] = None

    # -- lifecycle -----------------------------------------------------------

    def _current(self) -> Any:
        if not self._open:
            raise StateError(lib.FFCGI_ESTATE, "this request was finished")
        return self._handle

    def _close(self) -> None:
        """Marks the request finished (the C side finished it already)."""
        self._open = False

    @property
    def finished(self) -> bool:
        """True once the request was finished."""
        return not self._open

    def finish(self) -> None:
        """Completes the request: sends pending headers and output and ends it
        with the exit status. Idempotent. Raises Disconnected/ConnectionIOError
        if the web server could not be told (the request ends all the same)."""
        if not self._open:
            return
        self._open = False
        check(lib.ffcgi_finish(self._handle))

    def __enter__(self) -> "Request":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.finish()

    # -- params --------------------------------------------------------------

    @property
    def params(self) -> Tuple[Tuple[bytes, bytes], ...]:
        """Every param as received, in order, as (name, value) bytes pairs —
        repeated names included. Fetched from the library in one call."""
        if self._params is None:
            buf = ffi.new("const char **")
            length = ffi.new("size_t *")
            check(lib.ffcgi_env_packed(self._current(), buf, length))
            packed = ffi.unpack(buf[0], length[0]) if length[0] else b""
            self._params = tuple(_packed_pairs(packed))
        return self._params

    @property
    def env_bytes(self) -> Mapping[bytes, bytes]:
        """The params as a read-only mapping of bytes (for a repeated name,
        the first value, as ffcgi_env_get gives)."""
        if self._env_bytes is None:
            env: Dict[bytes, bytes] = {}
            for name, value in self.params:
                env.setdefault(name, value)
            self._env_bytes = types.MappingProxyType(env)
        return self._env_bytes

    @property
    def env(self) -> Mapping[str, str]:
        """The params as a read-only mapping of str, decoded from UTF-8 with
        surrogateescape, so that no byte is lost (``.encode("utf-8",
        "surrogateescape")`` gives the bytes back)."""
        if self._env is None:
            self._env = types.MappingProxyType({
                name.decode("utf-8", "surrogateescape"): value.decode("utf-8", "surrogateescape")
                for name, value in self.env_bytes.items()})
        return self._env

    @property
    def role(self) -> int:
        """RESPONDER, AUTHORIZER or FILTER."""
        return check(lib.ffcgi_request_role(self._current()))

    @property
    def request_id(self) -> int:
        """The FastCGI request id (0 for a CGI request)."""
        return check(lib.ffcgi_request_id(self._current()))

    @property
    def keep_conn(self) -> bool:
        """True if the web server keeps the connection open after this request."""
        return bool(check(lib.ffcgi_request_keep_conn(self._current())))

    # -- body ----------------------------------------------------------------

    def read(self, size: int = -1) -> bytes:
        """Reads up to ``size`` bytes of the body; ``-1`` reads to its end.
        b"" at the end of the body."""
        self._current()
        return self._body.read(size)

    def readline(self, size: int = -1) -> bytes:
        """Reads one line of the body (up to and including b"\\n")."""
        self._current()
        return self._body.readline(size)

    def readinto(self, buffer: Any) -> int:
        """Reads body bytes into a writable buffer; returns how many (0 at
        the end)."""
        self._current()
        return self._body.readinto(buffer)

    def __iter__(self) -> Iterator[bytes]:
        """Iterates over the lines of the body."""
        self._current()
        return iter(self._body)

    @property
    def body(self) -> io.BufferedReader:
        """The body as a binary file object (read, readline, readinto, ...)."""
        self._current()
        return self._body

    @property
    def data(self) -> io.BufferedReader:
        """The FCGI_DATA stream of a FILTER request, as a binary file object.
        Read the body to its end first; other roles raise RoleError."""
        self._current()
        if self._data is None:
            self._data = io.BufferedReader(_Stream(self, lib.ffcgi_read_data), _BUFFER_SIZE)
        return self._data

    # -- response ------------------------------------------------------------

    def status(self, code: int, reason: Optional[str] = None) -> None:
        """Sets the HTTP status (``Status: code reason``); the reason defaults
        to the standard phrase. Raises StateError once the body has begun."""
        reason_arg = ffi.NULL if reason is None else _as_header_bytes(reason)
        check(lib.ffcgi_status_reason(self._current(), code, reason_arg))

    def header(self, name: Union[str, bytes, Mapping[str, HeaderValue],
                                 Iterable[Tuple[str, HeaderValue]], None] = None,
               value: Optional[HeaderValue] = None, /, **headers: HeaderValue) -> None:
        """Queues response headers, sent before the first body byte:
        ``header("Content-Type", "text/plain")``, ``header({"X-A": "1"})``,
        ``header([("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")])`` or
        ``header(Content_Type="text/plain")`` (``_`` becomes ``-``). A list or
        tuple value sends one line per item (several Set-Cookie headers).
        Names and values are latin-1 str or bytes. Raises HeaderError for CR,
        LF, NUL or other control characters (response splitting) and for names
        that are not HTTP tokens; nothing of that call is queued then."""
        handle = self._current()
        items: list = []
        if isinstance(name, (str, bytes)):
            if value is None:
                raise TypeError("header(name, value): the value is missing")
            items.append((name, value))
        elif isinstance(name, Mapping):
            items.extend(name.items())
        elif name is not None:
            items.extend(name)
        items.extend((key.replace("_", "-"), val) for key, val in headers.items())
        lines = []
        for key, val in items:
            values = val if isinstance(val, (list, tuple)) else [val]
            lines.extend((_as_header_bytes(key), _as_header_bytes(v)) for v in values)
        for key_bytes, value_bytes in lines:
            check(lib.ffcgi_header_n(handle, key_bytes, len(key_bytes),
                                     value_bytes, len(value_bytes)))

    def write(self, data: Bytes) -> int:
        """Writes body bytes (binary-safe, buffered); returns their number.
        Raises Disconnected if the web server went away."""
        handle = self._current()
        size = memoryview(data).nbytes
        check(lib.ffcgi_write(handle, ffi.from_buffer(data), size))
        return size

    def print(self, text: str, encoding: str = "utf-8") -> int:
        """Writes ``text`` encoded (UTF-8 by default); returns the byte count."""
        return self.write(text.encode(encoding))

    def stderr(self, message: Union[str, Bytes], encoding: str = "utf-8") -> None:
        """Writes to FCGI_STDERR: the web server's error log."""
        data = message.encode(encoding) if isinstance(message, str) else message
        check(lib.ffcgi_write_stderr(self._current(), ffi.from_buffer(data),
                                     memoryview(data).nbytes))

    def flush(self) -> None:
        """Sends pending headers and buffered output now."""
        check(lib.ffcgi_flush(self._current()))

    @property
    def exit_status(self) -> int:
        """The application status sent in FCGI_END_REQUEST (default 0)."""
        return self._exit_status

    @exit_status.setter
    def exit_status(self, status: int) -> None:
        check(lib.ffcgi_set_exit_status(self._current(), status))
        self._exit_status = status
