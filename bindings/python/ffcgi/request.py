"""One FastCGI request: its params, its body, and the response.

A Request is handed out by Server.accept() and is valid until it is finished
(Request.finish(), the end of its ``with`` block, the next accept() on the
same thread, or Server.close()). After that every method raises StateError.
A Request belongs to one thread at a time; it is not safe to use one Request
from two threads at once.
"""
import functools
import io
import types
from typing import (Any, Dict, Iterable, Iterator, List, Mapping, NoReturn, Optional, Tuple,
                    Union, TYPE_CHECKING)

from ._lib import ffi, lib
from .errors import Error, HeaderError, InvalidArgumentError, RoleError, StateError, check
from .params import split_params

if TYPE_CHECKING:  # pragma: no cover
    from .server import Server

Bytes = Union[bytes, bytearray, memoryview]
HeaderText = Union[str, bytes, int]
HeaderValue = Union[HeaderText, List[HeaderText], Tuple[HeaderText, ...]]
Headers = Union[Mapping[str, HeaderValue], Iterable[Tuple[Union[str, bytes], HeaderValue]]]

RESPONDER: int = lib.FFCGI_ROLE_RESPONDER
AUTHORIZER: int = lib.FFCGI_ROLE_AUTHORIZER
FILTER: int = lib.FFCGI_ROLE_FILTER
_ROLE_NAMES = {RESPONDER: "RESPONDER", AUTHORIZER: "AUTHORIZER", FILTER: "FILTER"}

_BUFFER_SIZE = 65536
_READ_MAX = 1 << 20
# Errors of a read that mean "not now", not a failed stream: never kept.
_NOT_NOW = (StateError, RoleError, InvalidArgumentError)

_HOLD_MAX = 65536  # body bytes held back before they are handed to libffcgi
_NULL = ffi.NULL
_FLUSH = lib.FFCGI_RESPOND_FLUSH
_FINISH = lib.FFCGI_RESPOND_FINISH


def check_head(code: int, reason: Optional[bytes], block: bytes, count: int) -> None:
    """Raises what libffcgi's rules (ffcgi_head_check) say of a response
    head: a status ``code`` (0: none) with ``reason`` (None: the standard
    phrase), and ``count`` headers packed in ``block`` (NAME NUL VALUE NUL
    each): HeaderError (a ValueError) or InvalidArgumentError."""
    check(lib.ffcgi_head_check(code, ffi.NULL if reason is None else reason,
                               0 if reason is None else len(reason), block, len(block), count))


def header_line_allowed(name: bytes, value: bytes) -> bool:
    """True if libffcgi queues the header line ``name: value`` (a non-empty
    HTTP token; a value without CR, LF, NUL or another control character
    other than tab). The rule is the library's, asked in one call."""
    if b"\0" in name or b"\0" in value:
        return False
    block = name + b"\0" + value + b"\0"
    return lib.ffcgi_head_check(0, ffi.NULL, 0, block, len(block), 1) == 0


class PendingResponse:
    """The part of one request's response the app gave and libffcgi was not
    handed yet: the head (checked when it was given) and up to 64 KiB of
    body. It is handed over in one ffcgi_respond() call at the first flush,
    at finish, or when the body held reaches 64 KiB. Owned by the accepting
    thread's slot (server.py), so that nothing is lost when a Request is
    dropped unfinished: the next accept hands it over."""

    __slots__ = ("code", "reason", "headers", "count", "body", "size", "head_closed")

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.code = 0  # no status
        self.reason: Optional[bytes] = None
        self.headers: List[bytes] = []  # packed blocks: NAME\0VALUE\0...
        self.count = 0
        self.body: List[bytes] = []
        self.size = 0
        self.head_closed = False  # a write or flush began the body

    def send(self, handle: Any, flags: int) -> int:
        """Hands everything held to libffcgi with ``flags``; returns its code."""
        headers = b"".join(self.headers) if len(self.headers) != 1 else self.headers[0]
        body = b"".join(self.body) if len(self.body) != 1 else self.body[0]
        reason = self.reason
        code = lib.ffcgi_respond(handle, self.code, _NULL if reason is None else reason,
                                 0 if reason is None else len(reason), headers, len(headers),
                                 self.count, body, self.size, flags)
        # As in libffcgi: a flush closes the head only if there was one.
        head_closed = self.head_closed or bool(flags & _FLUSH and (self.code or self.count))
        self.reset()
        self.head_closed = head_closed
        return code


class _Stream(io.RawIOBase):
    """The raw reader under a request's body (FCGI_STDIN) or FILTER data:
    each readinto() is one ffcgi_read / ffcgi_read_data call, which blocks
    (with the GIL released) until the buffer is full or the stream ends. A
    stream that does not end normally gives its bytes first; the call after
    them raises."""

    def __init__(self, request: "Request", read_call: Any) -> None:
        super().__init__()
        self._request = request
        self._read_call = read_call
        self._nread = ffi.new("size_t *")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        return _read_into(self._request._current(), self._read_call, self._nread, buffer)


def _read_into(handle: Any, read_call: Any, nread: Any, buffer: Any) -> int:
    """One ffcgi_read / ffcgi_read_data into ``buffer``; the byte count."""
    # Every export of `buffer` is released before an error is raised: a
    # traceback holding one, left to the cycle collector, crashes it.
    with memoryview(buffer) as given, given.cast("B") as view:
        if not len(view):
            return 0
        target = ffi.from_buffer("char[]", view, require_writable=True)
        try:
            code = read_call(handle, target, len(view), nread)
        finally:
            ffi.release(target)
    check(code)
    return int(nread[0])


class BodyReader(io.BufferedIOBase):
    """A request's body or FILTER data as a buffered binary file object.

    Unlike io.BufferedReader it loses no byte when the stream fails (the web
    server aborted the request, closed the connection, a limit was hit):
    read(n), read1(), readinto() and readline() return the bytes that came
    before the failure, and the next call raises it; read() of everything
    raises at once, keeping those bytes for a later call. Once met, the
    error is raised by every later read. ``raw`` is the unbuffered stream.
    """

    def __init__(self, raw: _Stream, buffer_size: int = _BUFFER_SIZE) -> None:
        super().__init__()
        self._raw = raw
        self._buffer_size = buffer_size
        self._buffer = b""
        self._pos = 0  # where the unread part of _buffer starts
        self._error: Optional[BaseException] = None

    @property
    def raw(self) -> _Stream:
        return self._raw

    def readable(self) -> bool:
        return True

    def _take(self, size: int) -> bytes:
        data = self._buffer[self._pos:self._pos + size]
        self._pos += len(data)
        return data

    def _buffered(self) -> int:
        return len(self._buffer) - self._pos

    def _fetch(self, size: int) -> Optional[bytes]:
        """Up to ``size`` bytes from the stream, b"" at its end; None after a
        failure, which is kept for the next call."""
        if self._error is not None:
            return None
        chunk = bytearray(size)
        try:
            count = self._raw.readinto(chunk)
        except _NOT_NOW:
            raise  # nothing failed: not possible now (finished, body first, role)
        except Error as error:
            self._error = error.with_traceback(None)
            return None
        del chunk[count:]
        return bytes(chunk)

    def _fail(self) -> NoReturn:
        assert self._error is not None
        raise self._error

    def read(self, size: Optional[int] = -1) -> bytes:
        """Up to ``size`` bytes, fewer only at the end or before a failure
        (which the next call raises); waits for no byte beyond them. -1 or
        None: all the rest."""
        if size is None or size < 0:
            parts = [self._take(self._buffered())]
            while (chunk := self._fetch(self._buffer_size)) or chunk is None:
                if chunk is None:  # keep what came, for a later call
                    self._buffer, self._pos = b"".join(parts), 0
                    self._fail()
                parts.append(chunk)
            return b"".join(parts)
        if size <= self._buffered():
            return self._take(size)
        parts = [self._take(self._buffered())]
        left = size - len(parts[0])
        while left:  # in pieces of at most 1 MiB: read(huge) allocates what comes
            chunk = self._fetch(min(left, _READ_MAX))
            if chunk is None:
                if parts[0] or len(parts) > 1:
                    break
                self._fail()
            if not chunk:
                break
            parts.append(chunk)
            left -= len(chunk)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def read1(self, size: int = -1) -> bytes:
        """Buffered bytes if there are any, else one read of the stream."""
        if self._buffered():
            return self._take(self._buffered() if size < 0 else size)
        return self.read(self._buffer_size if size < 0 else size)

    def readinto(self, buffer: Any) -> int:
        if self._buffered() or self._error is not None:
            with memoryview(buffer) as given, given.cast("B") as view:
                data = self.read(len(view))
                view[:len(data)] = data
            return len(data)
        try:  # nothing buffered: straight into the caller's buffer
            return self._raw.readinto(buffer)
        except _NOT_NOW:
            raise
        except Error as error:
            self._error = error.with_traceback(None)
            raise

    def peek(self, size: int = 0) -> bytes:
        """The buffered bytes (reading up to 64 KiB ahead when none is
        buffered), without consuming them."""
        if not self._buffered():
            chunk = self._fetch(self._buffer_size)
            if chunk is None:
                self._fail()
            self._buffer, self._pos = chunk, 0
        return self._buffer[self._pos:]

    def readline(self, size: Optional[int] = -1) -> bytes:
        """One line, up to and including b"\\n" (at most ``size`` bytes).
        Reads ahead up to 64 KiB, so it may wait for bytes past the line."""
        limit = -1 if size is None else size
        parts: List[bytes] = []
        total = 0
        while limit < 0 or total < limit:
            if not self._buffered():
                chunk = self._fetch(self._buffer_size)
                if chunk is None:
                    if parts:
                        break
                    self._fail()
                if not chunk:
                    break
                self._buffer, self._pos = chunk, 0
            end = self._buffer.find(b"\n", self._pos) + 1
            take = (end - self._pos) if end else self._buffered()
            if limit >= 0:
                take = min(take, limit - total)
            parts.append(self._take(take))
            total += take
            if end and self._pos == end:
                break
        return b"".join(parts)


def _finished() -> StateError:
    """What a finished Request raises when used."""
    return StateError(lib.FFCGI_ESTATE, "this request was finished")


def _header_bytes(text: HeaderText, what: str) -> bytes:
    if isinstance(text, bytes):
        return text
    if not isinstance(text, (str, int)):
        raise TypeError(f"{what} must be str, bytes or int, not {type(text).__name__}")
    try:
        return str(text).encode("latin-1")
    except UnicodeEncodeError as error:
        raise HeaderError(lib.FFCGI_EHEADER,
                          f"{what} {text!r} is not latin-1 text (encode it yourself, e.g. "
                          "RFC 8187 for non-ASCII values)") from error


def _header_line(name: HeaderText, value: HeaderText) -> bytes:
    """One header line packed for libffcgi (NAME NUL VALUE NUL), not yet
    checked by it. Raises HeaderError for text that is not latin-1 or
    holds NUL, TypeError for another type."""
    name_bytes = _header_bytes(name, "header name")
    value_bytes = _header_bytes(value, f"value of header {name!r}")
    if b"\0" in name_bytes or b"\0" in value_bytes:
        raise HeaderError(lib.FFCGI_EHEADER, f"header {name_bytes!r}: {value_bytes!r} "
                          "contains NUL: refused to prevent response splitting")
    return name_bytes + b"\0" + value_bytes + b"\0"


_LINES_REMEMBERED = 256  # distinct str header lines whose check is kept


@functools.lru_cache(maxsize=_LINES_REMEMBERED)
def _checked_str_line(name: str, value: str) -> bytes:
    """_header_line of a name and value of exactly str, checked by
    libffcgi's rules: equal lines pass or fail alike, so an app's usual
    lines (Content-Type, ...) are checked once. A refused line raises
    every time (nothing is kept)."""
    line = _header_line(name, value)
    check_head(0, None, line, 1)
    return line


class Request:
    """The current request of one worker thread (see the module docstring).

    Params: ``params`` (every pair as bytes, in order), ``env`` (str) and
    ``env_bytes``. Body: ``read()``, ``readline()``, ``readinto()``,
    iteration over lines, ``body`` (a file object), ``data`` (FILTER).
    Response: ``status()``, ``header()``, ``write()``, ``print()``,
    ``stderr()``, ``flush()``, ``exit_status``, ``finish()``.
    """

    # Made on first use; until then the class's value is seen (a request
    # that uses none of them costs no store).
    _params: Optional[Tuple[Tuple[bytes, bytes], ...]] = None
    _env: Optional[Mapping[str, str]] = None
    _env_bytes: Optional[Mapping[bytes, bytes]] = None
    _exit_status = 0
    _reader: Optional[BodyReader] = None
    _data: Optional[BodyReader] = None
    _nread: Any = None

    def __init__(self, handle: Any, server: "Server", pending: PendingResponse,
                 packed: bytes) -> None:
        self._handle = handle
        self._server = server  # keeps the server (and so the handle) alive
        self._pending = pending
        self._open = True
        self.packed = packed  # the params as ffcgi_env_packed gives them

    # -- lifecycle -----------------------------------------------------------

    def _current(self) -> Any:
        if not self._open:
            raise _finished()
        return self._handle

    @property
    def finished(self) -> bool:
        """True once the request was finished."""
        return not self._open

    def finish(self) -> None:
        """Completes the request: sends pending headers and output, discards
        unread body and ends it with ``exit_status``. Idempotent. Raises
        Disconnected or ConnectionIOError if the web server could not be told
        (the request is finished all the same)."""
        if not self._open:
            return
        self._open = False
        check(self._pending.send(self._handle, _FINISH))

    def __enter__(self) -> "Request":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.finish()

    def __repr__(self) -> str:
        if not self._open:
            return "<ffcgi.Request finished>"
        return (f"<ffcgi.Request id={self.request_id} "
                f"role={_ROLE_NAMES.get(self.role, self.role)}>")

    # -- params --------------------------------------------------------------

    @property
    def params(self) -> Tuple[Tuple[bytes, bytes], ...]:
        """Every param as received, in order, as (name, value) bytes pairs —
        repeated names included. Fetched from the library in one call."""
        if not self._open:
            raise _finished()
        if self._params is None:
            self._params = split_params(self.packed)
        return self._params

    @property
    def env_bytes(self) -> Mapping[bytes, bytes]:
        """The params as a read-only mapping of bytes (for a repeated name,
        the first value, as ffcgi_env_get gives)."""
        self._current()
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
        self._current()
        if self._env is None:
            self._env = types.MappingProxyType({
                name.decode("utf-8", "surrogateescape"): value.decode("utf-8", "surrogateescape")
                for name, value in self.env_bytes.items()})
        return self._env

    @property
    def role(self) -> int:
        """RESPONDER, AUTHORIZER or FILTER (CGI requests are responders)."""
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

    def read(self, size: Optional[int] = -1) -> bytes:
        """Reads up to ``size`` bytes of the body, fewer only at its end;
        ``-1`` or None reads all the rest. b"" at the end of the body. Raises
        ProtocolError if the web server aborted the request or cut it off."""
        return self._body().read(size)

    def readline(self, size: Optional[int] = -1) -> bytes:
        """Reads one line of the body, up to and including b"\\n" (at most
        ``size`` bytes if given)."""
        return self._body().readline(size)

    def readinto(self, buffer: Any) -> int:
        """Reads body bytes into a writable buffer (bytearray, memoryview,
        ...); returns how many, 0 at the end of the body."""
        return self._body().readinto(buffer)

    def __iter__(self) -> Iterator[bytes]:
        """Iterates over the lines of the body (each ending in b"\\n" except
        perhaps the last)."""
        return iter(self._body())

    @property
    def body(self) -> BodyReader:
        """The body as a binary file object (read, read1, readline,
        readinto, iteration); buffered, never read whole unless asked."""
        return self._body()

    def read_raw(self, buffer: Any) -> int:
        """Reads body bytes straight into a writable buffer, unbuffered: one
        read of the library, which waits until the buffer is full or the
        body ends; 0 at the end. Does not mix with the buffered reads above
        (bytes they read ahead are not seen here)."""
        handle = self._current()
        if self._nread is None:
            self._nread = ffi.new("size_t *")
        return _read_into(handle, lib.ffcgi_read, self._nread, buffer)

    def _body(self) -> BodyReader:
        self._current()
        if self._reader is None:
            self._reader = BodyReader(_Stream(self, lib.ffcgi_read))
        return self._reader

    @property
    def data(self) -> BodyReader:
        """The FCGI_DATA stream of a FILTER request (the file to filter), as a
        binary file object. Read the body to its end first (StateError
        otherwise); reading it in another role raises RoleError."""
        self._current()
        if self._data is None:
            self._data = BodyReader(_Stream(self, lib.ffcgi_read_data))
        return self._data

    # -- response ------------------------------------------------------------

    def _head(self, what: str) -> PendingResponse:
        """The pending response, if its head may still change."""
        if not self._open:
            raise _finished()
        if self._pending.head_closed:
            raise StateError(lib.FFCGI_ESTATE, f"{what}: the response head was already sent")
        return self._pending

    def status(self, code: int, reason: Optional[str] = None) -> None:
        """Sets the HTTP status, sent as ``Status: code reason``; the reason
        defaults to the standard phrase. Raises InvalidArgumentError for a
        code outside 100..999, HeaderError for a reason with control
        characters, StateError once the response head was sent."""
        pending = self._head("status")
        reason_bytes = None if reason is None else _header_bytes(reason, "reason phrase")
        check_head(code, reason_bytes, b"", 0)
        pending.code, pending.reason = code, reason_bytes

    def header(self, name: Union[str, bytes, Headers, None] = None,
               value: Optional[HeaderValue] = None, /, **headers: HeaderValue) -> None:
        """Queues response headers, sent in call order before the first body
        byte::

            header("Content-Type", "text/plain")
            header({"Cache-Control": "no-store", "Set-Cookie": ["a=1", "b=2"]})
            header([("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")])
            header(Content_Type="text/plain")      # "_" becomes "-"

        A list or tuple value sends one line per item (several Set-Cookie
        lines). Names and values are str (latin-1), bytes or int. Raises
        HeaderError (a ValueError) for CR, LF, NUL or another control
        character in a value (response splitting), for a name that is not an
        HTTP token and for text that is not latin-1; then nothing of the call
        is queued. StateError once the response head was sent."""
        pending = self._head("header")
        items: List[Tuple[Any, Any]] = []
        if isinstance(name, (str, bytes)):
            if value is None:
                raise TypeError("header(name, value): the value is missing")
            items.append((name, value))
        elif value is not None:
            raise TypeError("header(mapping_or_pairs): no second argument is taken")
        elif isinstance(name, Mapping):
            items.extend(name.items())
        elif name is not None:
            items.extend(name)
        items.extend((key.replace("_", "-"), val) for key, val in headers.items())
        if len(items) == 1 and type(items[0][0]) is str and type(items[0][1]) is str:  # noqa: E721
            pending.headers.append(_checked_str_line(*items[0]))  # the usual header(name, value)
            pending.count += 1
            return
        lines = [_header_line(key, one) for key, val in items
                 for one in (val if isinstance(val, (list, tuple)) else (val,))]
        if not lines:
            return
        block = b"".join(lines)
        check_head(0, None, block, len(lines))
        pending.headers.append(block)
        pending.count += len(lines)

    def set_checked_head(self, code: int, reason: Optional[bytes], block: bytes,
                         count: int) -> None:
        """Sets the whole response head at once, replacing what was set: a
        status ``code`` (0: none), a latin-1 ``reason`` (None: the standard
        phrase) and ``count`` headers packed in ``block``, which check_head()
        passed. For servers built on Request (ffcgi.wsgi): no call into the
        library. StateError once the response head was sent."""
        pending = self._pending
        if not self._open or pending.head_closed:
            self._head("status")  # raises why not
        pending.code, pending.reason, pending.headers, pending.count = code, reason, [block], count

    def write(self, data: Bytes) -> int:
        """Writes body bytes (any bytes-like object; binary-safe, buffered);
        returns their number. Raises Disconnected if the web server went
        away (the request can still be finished)."""
        if not self._open:  # as _current(), without a call on this path
            raise _finished()
        pending = self._pending
        pending.head_closed = True
        if type(data) is not bytes:  # noqa: E721 - a bytes subclass is copied too
            data = bytes(memoryview(data))  # a copy: the caller may change its buffer
        size = len(data)
        if size:
            pending.body.append(data)
            pending.size += size
            if pending.size >= _HOLD_MAX:
                check(pending.send(self._handle, 0))
        return size

    def print(self, text: str, encoding: str = "utf-8") -> int:
        """Writes ``text`` encoded (UTF-8 by default); returns the byte count."""
        return self.write(text.encode(encoding))

    def stderr(self, message: Union[str, Bytes], encoding: str = "utf-8") -> int:
        """Writes to FCGI_STDERR, the web server's error log (the process's
        stderr for CGI); str is encoded with ``encoding``. Returns the byte
        count."""
        data = message.encode(encoding) if isinstance(message, str) else message
        size = memoryview(data).nbytes
        check(lib.ffcgi_write_stderr(self._current(), ffi.from_buffer(data), size))
        return size

    def log(self, level: Union[str, int], message: str) -> None:
        """Writes ``message`` to the server's error log (Server(error_log=))
        at ``level`` ("error", "warning", "info", "debug" or LOG_*), naming
        this request as the library's own lines do; nothing if that level
        is off."""
        from .server import log_level  # server imports this module
        check(lib.ffcgi_request_log(self._current(), log_level(level),
                                    message.encode("utf-8", "backslashreplace")))

    def flush(self) -> None:
        """Sends pending headers and buffered output now."""
        check(self._pending.send(self._current(), lib.FFCGI_RESPOND_FLUSH))

    @property
    def exit_status(self) -> int:
        """The application status sent in FCGI_END_REQUEST (default 0)."""
        return self._exit_status

    @exit_status.setter
    def exit_status(self, status: int) -> None:
        check(lib.ffcgi_set_exit_status(self._current(), status))
        self._exit_status = status


__all__ = ["AUTHORIZER", "BodyReader", "FILTER", "PendingResponse", "RESPONDER", "Request",
           "check_head", "header_line_allowed"]
