"""ffcgi.wsgi: a threaded PEP 3333 (WSGI 1.0.1) server on FastCGI.

    from ffcgi.wsgi import serve
    serve(application, "/run/app.sock", threads=4)

or from the command line:

    python3 -m ffcgi.wsgi MODULE[:APP] --socket ADDRESS [--threads N]

MODULE is a dotted module name (``myproject.wsgi``) or a file path
(``examples/echo_wsgi.py``); APP is the attribute holding the WSGI callable
(dotted for nested objects), ``application`` by default. Without --socket the
listener is inherited (systemd, or fd 0 from spawn-fcgi / Apache mod_fcgid),
or the process answers one request as plain CGI (``wsgi.run_once`` is then
true). bindings/python/WSGI.md explains deployment behind nginx and Apache.

The environ. Every FastCGI param becomes a native string decoded as
latin-1, so ``value.encode("latin-1")`` gives back exactly the bytes the web
server sent (PEP 3333's "bytes as unicode"; UTF-8 paths reach the app as
mojibake that ``.encode("latin-1").decode("utf-8")`` repairs, as every WSGI
framework does). For a repeated name the first value counts. On top of the
params, only what PEP 3333 requires is changed:

- ``HTTP_CONTENT_TYPE`` / ``HTTP_CONTENT_LENGTH`` (nginx sends the request
  headers again) are removed; their values are used for CONTENT_TYPE /
  CONTENT_LENGTH only when those are missing. A CONTENT_LENGTH that is
  neither empty nor a decimal number is removed; without a (non-empty) one
  the body ends where FCGI_STDIN ends.
- REQUEST_METHOD, SERVER_NAME, SERVER_PORT, SERVER_PROTOCOL and QUERY_STRING
  get a default when the web server did not send them ("GET", "localhost",
  "80" or "443", "HTTP/1.0", "").
- SCRIPT_NAME and PATH_INFO follow the rule of :func:`split_path`.
- ``ffcgi.params`` holds the params exactly as received: an immutable
  sequence (:class:`ffcgi.params.Params`) of (name, value) bytes pairs, in
  order, repeated names included, equal to the tuple of those pairs and
  made into pairs only when first used.
- ``ffcgi.stdin`` reads FCGI_STDIN to its very end, whatever CONTENT_LENGTH
  says (``wsgi.input`` stops at CONTENT_LENGTH); both read the same stream,
  so an app reads one or the other.

The response. ``start_response`` validates the status ("NNN Reason", code
100..599, a reason of at most 127 latin-1 characters, possibly empty: then the
standard phrase is sent) and the headers (a list of (str, str) tuples; names
are HTTP tokens, values latin-1 without control characters, no hop-by-hop
headers, no "Status"). Nothing is sent before the first non-empty body chunk
(or the end of the response), so a later ``start_response(..., exc_info)``
can still replace the head; each chunk is flushed to the web server before
the next one is asked for. A Content-Length the app sets is a cap: the
server sends no more, stops iterating when it is reached, and logs a short
response. ``close()`` of the returned iterable is always called.

Failures. An exception from the app is written, with its traceback, to
``wsgi.errors`` (the web server's error log); if nothing was sent yet the
answer becomes a plain 500. A body over the server's limit is answered 413
by libffcgi: before the app runs when CONTENT_LENGTH says so, else when
wsgi.input reaches the limit (it raises ffcgi.LimitExceeded; what the app
answers after that is dropped). A web server that went away (the client left, the request
was aborted or stalled past the idle limit) closes the iterable and the
worker goes on with the next request.
"""
import argparse
import functools
import importlib
import importlib.util
import logging
import os
import re
import sys
import traceback
from types import TracebackType
from typing import (Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence,
                    Tuple, Type, Union)

from ._lib import lib
from .errors import Error
from .request import Request, check_head
from .params import Params
from . import command_line
from .server import Address, Server
from .serving import Reload
from .serving import serve_on as _serve_handler_on

__all__ = ["ErrorStream", "FileWrapper", "InputStream", "WSGIHandler", "load_app", "main", "run",
           "serve", "serve_on", "split_path"]

ExcInfo = Tuple[Type[BaseException], BaseException, Optional[TracebackType]]
OptExcInfo = Union[ExcInfo, Tuple[None, None, None]]
Environ = Dict[str, Any]
Headers = List[Tuple[str, str]]
Write = Callable[[bytes], None]
StartResponse = Callable[..., Write]
Application = Callable[[Environ, StartResponse], Iterable[bytes]]

log = logging.getLogger("ffcgi.wsgi")

_CHUNK = 65536  # wsgi.file_wrapper blocks
_READ_MAX = 1 << 20  # most bytes asked of the web server at once
_LINE_CHUNK = 8192
# PEP 3333: header values (and the status) hold no control characters, tab
# included (stricter than libffcgi, whose rules, names included, are then
# applied by ffcgi_head_check). NUL separates the packed header block's
# fields and is counted there instead.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_BUT_NUL = re.compile(r"[\x01-\x1f\x7f]")
_STATUS = re.compile(r"([1-5][0-9][0-9]) (.*)\Z", re.DOTALL)
_REASON_MAX = 127  # bytes libffcgi keeps for a reason phrase
_HOP_BY_HOP = frozenset(("connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
                         "te", "trailer", "trailers", "transfer-encoding", "upgrade"))
# The client is gone: the web server closed the connection, cut it off,
# aborted the request or stalled past the server's idle limit.
_GONE_CODES = frozenset((lib.FFCGI_EDISCONNECTED, lib.FFCGI_EIO, lib.FFCGI_EPROTOCOL,
                         lib.FFCGI_EABORTED, lib.FFCGI_ETIMEDOUT))
_TRUE = frozenset(("on", "1", "yes", "true"))
# nginx sends these request headers again as HTTP_*; only the CGI names are kept.
_REPEATED_BY_NGINX = {"HTTP_CONTENT_TYPE": "CONTENT_TYPE", "HTTP_CONTENT_LENGTH": "CONTENT_LENGTH"}
_DEFAULTS = (("REQUEST_METHOD", "GET"), ("SERVER_NAME", "localhost"),
             ("SERVER_PROTOCOL", "HTTP/1.0"), ("QUERY_STRING", ""))
_DEFAULTED = frozenset([name for name, _ in _DEFAULTS] + ["SERVER_PORT"])  # set when missing


# -- wsgi.input, wsgi.errors, wsgi.file_wrapper ---------------------------------


class InputStream:
    """``wsgi.input``: the request body, streamed from FCGI_STDIN.

    Nothing is read before the app asks. With a CONTENT_LENGTH the stream
    ends there (nothing past it is ever read from the web server, not even
    read-ahead); without one (absent, empty or malformed) it ends where
    FCGI_STDIN ends. Reading at the end gives b"", as for a file.
    """

    __slots__ = ("_read_into", "_left", "_buffer", "_pos")

    def __init__(self, raw: Any, length: Optional[int]) -> None:
        self._read_into = raw.readinto  # (buffer) -> bytes read into it, 0 at the end
        self._left = length
        self._buffer = b""  # read ahead by readline only, within the limit
        self._pos = 0  # where the unread part of _buffer starts

    def _fetch(self, size: int) -> bytes:
        """Up to ``size`` new bytes from the web server (fewer only at the end)."""
        if self._left is not None:
            size = min(size, self._left)
        if size <= 0:
            return b""
        chunk = bytearray(size)
        count = self._read_into(chunk)
        if self._left is not None:
            self._left -= count
        del chunk[count:]
        return bytes(chunk)

    def _take(self, size: int) -> bytes:
        data = self._buffer[self._pos:self._pos + size]
        self._pos += len(data)
        return data

    def read(self, size: Optional[int] = -1) -> bytes:
        """Up to ``size`` bytes (fewer only at the end); everything left if
        ``size`` is None or negative."""
        want = None if size is None or size < 0 else size
        first = self._take(len(self._buffer) - self._pos if want is None else want)
        parts, have = [first], len(first)
        while want is None or have < want:
            chunk = self._fetch(_READ_MAX if want is None else min(_READ_MAX, want - have))
            if not chunk:
                break
            parts.append(chunk)
            have += len(chunk)
        return first if len(parts) == 1 else b"".join(parts)

    def readline(self, size: Optional[int] = -1) -> bytes:
        """One line, up to and including b"\\n" (at most ``size`` bytes)."""
        limit = None if size is None or size < 0 else size
        scan = self._pos
        while True:
            end = self._buffer.find(b"\n", scan) + 1
            have = len(self._buffer) - self._pos
            if end or (limit is not None and have >= limit):
                break
            want = max(_LINE_CHUNK, have)  # doubling: long lines cost linear time
            chunk = self._fetch(want if limit is None else min(want, limit - have))
            if not chunk:
                break
            self._buffer, self._pos, scan = self._buffer[self._pos:] + chunk, 0, have
        count = end - self._pos if end else len(self._buffer) - self._pos
        return self._take(count if limit is None else min(count, limit))

    def readlines(self, hint: int = -1) -> List[bytes]:
        """The remaining lines (stops once ``hint`` bytes were read, if > 0)."""
        lines: List[bytes] = []
        total = 0
        for line in self:
            lines.append(line)
            total += len(line)
            if 0 < hint <= total:
                break
        return lines

    def __iter__(self) -> Iterator[bytes]:
        while True:
            line = self.readline()
            if not line:
                return
            yield line


class _RawBody:
    """The request body unbuffered, as InputStream reads it."""

    __slots__ = ("readinto",)

    def __init__(self, request: Request) -> None:
        self.readinto = request.read_raw


class ErrorStream:
    """``wsgi.errors``: text written here goes to FCGI_STDERR, which the web
    server writes to its error log. Once the request is over (or the web
    server is gone) the text goes to the ``ffcgi.wsgi`` logger instead."""

    __slots__ = ("_request",)

    def __init__(self, request: Request) -> None:
        self._request = request

    def write(self, text: str) -> int:
        """Writes ``text`` (UTF-8 encoded); returns its length."""
        if not isinstance(text, str):
            raise TypeError(f"wsgi.errors.write() takes str, not {type(text).__name__}")
        try:
            self._request.stderr(text.encode("utf-8", "backslashreplace"))
        except Error:
            log.warning("%s", text.rstrip("\n"))
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        """Writes every string of ``lines``."""
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        """Sends what was written so far to the web server now."""
        # Safe at any time: the response head is handed to libffcgi only
        # right before the first body byte, so nothing of it leaves early.
        try:
            self._request.flush()
        except Error:
            pass


class FileWrapper:
    """``wsgi.file_wrapper``: iterates over a file-like object in blocks and
    closes it when the server closes the response."""

    def __init__(self, filelike: Any, block_size: int = _CHUNK) -> None:
        self.filelike = filelike
        self.block_size = block_size
        if hasattr(filelike, "close"):
            self.close = filelike.close

    def __iter__(self) -> Iterator[bytes]:
        while True:
            block = self.filelike.read(self.block_size)
            if not block:
                return
            yield block


# -- the environ -----------------------------------------------------------------


def _mount_prefix(script_name: Optional[str]) -> Optional[str]:
    """The normalised mount prefix: "" for the root, "/app" (no trailing
    slash), as a latin-1 native string like the environ's."""
    if script_name is None:
        return None
    prefix = script_name.encode("utf-8").decode("latin-1").rstrip("/")
    if prefix and not prefix.startswith("/"):
        raise ValueError(f"script_name must be empty or start with '/': {script_name!r}")
    return prefix


def split_path(script_name: Optional[str], path_info: Optional[str],
               mount: Optional[str] = None) -> Tuple[str, str]:
    """SCRIPT_NAME and PATH_INFO for the app, from what the web server sent
    (None: not sent) and the mount prefix (``serve(script_name=...)``).

    - With a mount prefix (``""`` is the root, ``"/app"``): the request path
      is SCRIPT_NAME + PATH_INFO as sent; SCRIPT_NAME becomes the prefix and
      PATH_INFO the rest. A path outside the prefix is passed whole as
      PATH_INFO with an empty SCRIPT_NAME.
    - Without one, PATH_INFO sent (even empty) means the web server split
      the path (Apache mod_fcgid, nginx with fastcgi_split_path_info): both
      are kept. PATH_INFO not sent means it did not split (nginx's stock
      fastcgi_params send the whole path as SCRIPT_NAME): SCRIPT_NAME is
      then taken as the path, PATH_INFO = SCRIPT_NAME and SCRIPT_NAME = "".
    - A SCRIPT_NAME ending in "/" gives that slash to PATH_INFO (PEP 3333:
      SCRIPT_NAME is "" for the root, never "/").
    """
    if mount is not None:
        full = (script_name or "") + (path_info or "")
        if full == mount or full.startswith(mount + "/"):
            script, path = mount, full[len(mount):]
        else:
            script, path = "", full
    elif path_info is None:
        script, path = "", script_name or ""
    else:
        script, path = script_name or "", path_info
    if script.endswith("/"):
        kept = script.rstrip("/")
        script, path = kept, script[len(kept):] + path
    return script, path


def _first_values(fields: List[str]) -> Environ:
    """The params split as [NAME, VALUE, ..., ""] as a dict in which a
    repeated name has its first value."""
    environ: Environ = {}
    for name, value in zip(fields[0:-1:2], fields[1:-1:2]):
        environ.setdefault(name, value)
    return environ


def _drop_repeated_headers(environ: Environ) -> None:
    """Removes HTTP_CONTENT_TYPE and HTTP_CONTENT_LENGTH; their values fill
    in CONTENT_TYPE and CONTENT_LENGTH when those are missing."""
    for repeated, cgi_name in _REPEATED_BY_NGINX.items():
        value = environ.pop(repeated, None)
        if value is not None and cgi_name not in environ:
            environ[cgi_name] = value


def _set_defaults(environ: Environ, https: bool) -> None:
    """Gives the CGI variables PEP 3333 requires their default if missing."""
    for name, default in _DEFAULTS:
        if name not in environ:
            environ[name] = default
    if "SERVER_PORT" not in environ:
        environ["SERVER_PORT"] = "443" if https else "80"


def _decimal(text: str) -> Optional[int]:
    """The value of a Content-Length: ASCII digits only, else None."""
    return int(text) if text.isascii() and text.isdigit() else None


# -- the response ----------------------------------------------------------------


def _check_status(status: Any) -> Tuple[int, Optional[bytes]]:
    """PEP 3333's rules for the status: (code, latin-1 reason or None)."""
    if type(status) is not str:  # noqa: E721 - PEP 3333 wants the native str type
        raise TypeError(f"the status must be a str, not {type(status).__name__}")
    match = _STATUS.match(status)
    if not match:
        raise ValueError(f"the status must be 'NNN Reason' with NNN in 100..599: {status!r}")
    reason = match.group(2)
    if _CONTROL.search(reason):
        raise ValueError(f"the status holds a control character: {status!r}")
    try:
        encoded = reason.encode("latin-1")
    except UnicodeEncodeError:
        raise ValueError(f"the status is not latin-1: {status!r}") from None
    if len(encoded) > _REASON_MAX:
        raise ValueError(f"the reason phrase is longer than {_REASON_MAX} bytes: {status!r}")
    return int(match.group(1)), encoded or None


def _refused_header(headers: Headers) -> ValueError:
    """Why the text of ``headers`` was refused (the slow path of _pack)."""
    for name, value in headers:
        for what, text in (("name", name), ("value", value)):
            if _CONTROL.search(text):
                return ValueError(f"the {what} of header {name!r} holds a control character: "
                                  f"{text!r}")
            try:
                text.encode("latin-1")
            except UnicodeEncodeError:
                return ValueError(f"the {what} of header {name!r} is not latin-1: {text!r}")
    return ValueError("a header was refused")  # not reached: _pack found one


def _pack(headers: Headers) -> bytes:
    """The headers as libffcgi's packed block (NAME NUL VALUE NUL each),
    after PEP 3333's own rules for their text."""
    text = "".join([f"{name}\0{value}\0" for name, value in headers])
    if _CONTROL_BUT_NUL.search(text) or text.count("\0") != 2 * len(headers):
        raise _refused_header(headers)
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        raise _refused_header(headers) from None


def _check_headers(headers: Any) -> Headers:
    """PEP 3333's rules for the headers' shape and names; the text is
    checked when packed."""
    if type(headers) is not list:  # noqa: E721 - PEP 3333: "a Python list"
        raise TypeError(f"the headers must be a list, not {type(headers).__name__}")
    for item in headers:
        if type(item) is not tuple or len(item) != 2:  # noqa: E721
            raise TypeError(f"each header must be a (name, value) tuple: {item!r}")
        name, value = item
        if type(name) is not str or type(value) is not str:  # noqa: E721
            raise TypeError(f"header names and values must be str: {item!r}")
        lowered = name.lower()
        if lowered in _HOP_BY_HOP:
            raise ValueError(f"{name!r} is a hop-by-hop header: the web server handles it")
        if lowered == "status":
            raise ValueError("'Status' is not a header: pass the status to start_response")
    return headers


def _content_length(headers: Headers) -> Optional[int]:
    """The value of the first Content-Length of ``headers``; None if there
    is none or it is not a decimal number."""
    for name, value in headers:
        if name.lower() == "content-length":
            return _decimal(value)
    return None


# A checked response head: (code, latin-1 reason or None, the headers
# packed, how many, the app's Content-Length or None).
_Head = Tuple[int, Optional[bytes], bytes, int, Optional[int]]
_HEADS_REMEMBERED = 256  # distinct heads of plain types whose check is kept


def _check_head(status: Any, headers: Any) -> _Head:
    """PEP 3333's rules for start_response's status and headers, then
    libffcgi's (raised as ValueError, like PEP 3333's own)."""
    code, reason = _check_status(status)
    checked = _check_headers(headers)
    block = _pack(checked)
    try:
        check_head(code, reason, block, len(checked))
    except Error as refused:
        raise ValueError(str(refused)) from None
    return code, reason, block, len(checked), _content_length(checked)


@functools.lru_cache(maxsize=_HEADS_REMEMBERED)
def _check_plain_head(status: str, headers: Tuple[Tuple[str, str], ...]) -> _Head:
    """_check_head of a head made of exact str and tuple objects only, which
    equal heads pass or fail alike: an app answers with few distinct heads,
    each checked once. A refused head raises every time (nothing kept)."""
    return _check_head(status, list(headers))


def _is_plain(status: Any, headers: Any) -> bool:
    """True if ``status`` is a str and ``headers`` a list of (str, str)
    tuples, all of exactly those types (no subclass, whose equality could
    hide a type start_response refuses)."""
    if type(status) is not str or type(headers) is not list:  # noqa: E721
        return False
    for item in headers:
        if type(item) is not tuple or len(item) != 2 or \
                type(item[0]) is not str or type(item[1]) is not str:  # noqa: E721
            return False
    return True


class _Response:
    """The response side of one request: start_response, write() and the
    sending of the body, following PEP 3333's rules."""

    __slots__ = ("request", "environ", "code", "reason", "block", "count", "head_sent",
                 "content_length", "sent", "gone")

    def __init__(self, request: Request, environ: Environ) -> None:
        self.request = request
        self.environ = environ
        self.code: Optional[int] = None
        self.reason: Optional[bytes] = None
        self.block = b""  # the headers, packed
        self.count = 0  # how many headers the block holds
        self.head_sent = False
        self.content_length: Optional[int] = None
        self.sent = 0
        self.gone = False  # the web server went away while sending

    def start_response(self, status: str, headers: Headers,
                       exc_info: Optional[OptExcInfo] = None) -> Write:
        """PEP 3333's start_response: records the status and headers, which are
        sent with the first non-empty body chunk. With ``exc_info`` it may
        replace them as long as nothing was sent; once the head was sent, it
        re-raises the exception of ``exc_info``."""
        if exc_info is not None and exc_info[0] is not None:
            try:
                if self.head_sent:
                    raise exc_info[1].with_traceback(exc_info[2])  # type: ignore[union-attr]
            finally:
                exc_info = None  # no reference cycle through the traceback
        elif self.code is not None:
            raise RuntimeError("start_response() was called already; pass exc_info to replace "
                               "the status and headers after an error")
        if _is_plain(status, headers):
            head = _check_plain_head(status, tuple(headers))
        else:
            head = _check_head(status, headers)
        self.code, self.reason, self.block, self.count, self.content_length = head
        return self.write

    def write(self, data: bytes) -> None:
        """PEP 3333's write() callable: sends ``data`` at once (the head
        first). Raises ValueError beyond the app's own Content-Length."""
        if self.code is None:
            raise RuntimeError("write() was called before start_response()")
        if not self.send(data):
            raise ValueError(f"write() past the Content-Length of {self.content_length} bytes")
        self.flush()

    def send(self, data: bytes) -> bool:
        """Queues one body chunk (the head first if it has not gone yet).
        False if the Content-Length the app set is reached (the rest of the
        chunk is dropped)."""
        if not isinstance(data, bytes):
            raise TypeError(f"the response body must be bytes, not {type(data).__name__}")
        if not data:
            return True
        if self.code is None:
            raise RuntimeError("the app sent body data before calling start_response()")
        whole = self.content_length is None or len(data) <= self.content_length - self.sent
        if not whole:
            data = data[:self.content_length - self.sent]  # type: ignore[operator]
        try:
            if not self.head_sent:  # send_head(), the code being set
                self.head_sent = True
                self.request.set_checked_head(self.code, self.reason, self.block, self.count)
            if data:
                self.request.write(data)
                self.sent += len(data)
        except Error as error:
            self.gone = self.gone or _client_gone(error)
            raise
        return whole

    def flush(self) -> None:
        """Hands what was queued to the web server."""
        try:
            self.request.flush()
        except Error as error:
            self.gone = self.gone or _client_gone(error)
            raise

    def send_head(self) -> None:
        """Queues the status and headers in libffcgi (once); libffcgi sends
        them before the first body byte, or when the request finishes."""
        if self.head_sent:
            return
        if self.code is None:
            raise RuntimeError("the app returned without calling start_response()")
        self.head_sent = True
        self.request.set_checked_head(self.code, self.reason, self.block, self.count)

    def send_iterable(self, result: Iterable[bytes]) -> None:
        """Sends every chunk of ``result``, each one handed to the web server
        before the next is asked for; stops at the app's Content-Length."""
        # The last item of a list leaves with the end of the request instead.
        if type(result) is list and len(result) == 1:  # noqa: E721 - the usual [body]
            self.send(result[0])
            return
        last = len(result) - 1 if isinstance(result, (list, tuple)) else -1
        for index, chunk in enumerate(result):
            if not self.send(chunk):
                return
            if chunk and index != last:
                self.flush()

    def complete(self) -> None:
        """After the last chunk: sends the head if no body came, and reports
        a body shorter than the app's Content-Length."""
        if not self.head_sent:
            self.send_head()
        if self.content_length is not None and self.sent < self.content_length and \
                self.environ.get("REQUEST_METHOD") != "HEAD" and \
                self.code not in (204, 304) and not 100 <= (self.code or 0) < 200:
            self.environ["wsgi.errors"].write(
                f"ffcgi.wsgi: {self.environ.get('PATH_INFO', '')}: the app sent {self.sent} bytes "
                f"of its Content-Length of {self.content_length}\n")

    def fail(self, error: BaseException) -> None:
        """After an exception from the app: the traceback to wsgi.errors and,
        if nothing was sent, a plain 500. A body over the server's limit was
        answered 413 by libffcgi already (what is sent here is dropped)."""
        if self.gone or _client_gone(error):
            log.info("the web server went away during %s %s: %s",
                     self.environ.get("REQUEST_METHOD"), self.environ.get("PATH_INFO"), error)
            return
        too_large = isinstance(error, Error) and error.code == lib.FFCGI_ELIMIT
        if too_large:  # the server's body limit (Server limits): not the app's fault
            self.environ["wsgi.errors"].write(f"ffcgi.wsgi: {error}\n")
        else:
            text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
            self._log_error("the application raised an exception:\n" + text)
            self.environ["wsgi.errors"].write(text)
        if self.head_sent:
            return  # the client gets a truncated body; nothing else can be told
        self.code, self.reason, self.content_length = 500, None, None
        headers = [("Content-Type", "text/plain; charset=utf-8")]
        self.block, self.count = _pack(headers), len(headers)
        try:
            self.send(b"500 Internal Server Error\n")
        except Error:
            pass  # gone meanwhile; serve_on still finishes the request


    def _log_error(self, text: str) -> None:
        try:
            self.request.log("error", text)
        except Error:
            pass  # the error log is the last resort: nothing to tell if it fails


def _client_gone(error: BaseException) -> bool:
    """True for the errors that mean the web server (the client) went away."""
    return isinstance(error, Error) and error.code in _GONE_CODES


def _close(result: Iterable[bytes]) -> Optional[BaseException]:
    """Calls ``result.close()`` if it has one; returns what it raised."""
    close = getattr(result, "close", None)
    if close is None:
        return None
    try:
        close()
    except Exception as error:  # reported like an error of the app
        return error
    return None


# -- the server --------------------------------------------------------------------


class WSGIHandler:
    """A request handler for ffcgi.serve_on() that runs a WSGI application:
    one call per FastCGI request, on the worker thread that accepted it."""

    def __init__(self, app: Application, *, multithread: bool = False,
                 multiprocess: bool = False, run_once: bool = False,
                 script_name: Optional[str] = None) -> None:
        self.app = app
        self.mount = _mount_prefix(script_name)
        self.base: Environ = {
            "wsgi.version": (1, 0),
            "wsgi.multithread": bool(multithread),
            "wsgi.multiprocess": bool(multiprocess),
            "wsgi.run_once": bool(run_once),
            "wsgi.file_wrapper": FileWrapper,
            # The stream ends by itself (at CONTENT_LENGTH or at the end of
            # FCGI_STDIN), so an app may read it to b"" (Werkzeug honours this).
            "wsgi.input_terminated": True,
        }

    def environ(self, request: Request) -> Environ:
        """The PEP 3333 environ of ``request`` (see the module docstring)."""
        fields = request.packed.decode("latin-1").split("\0")
        pairs = iter(fields)  # the last field, after the final NUL, is no name
        environ: Environ = dict(zip(pairs, pairs))
        if len(environ) != len(fields) // 2:  # a repeated name: its first value, as CGI gives
            environ = _first_values(fields)
        if "HTTP_CONTENT_TYPE" in environ or "HTTP_CONTENT_LENGTH" in environ:
            _drop_repeated_headers(environ)
        length_text = environ.get("CONTENT_LENGTH")
        length = _decimal(length_text) if length_text else None
        if length is None and length_text:
            del environ["CONTENT_LENGTH"]  # malformed: as if absent
        https = environ.get("HTTPS", "").lower() in _TRUE or \
            environ.get("REQUEST_SCHEME", "").lower() == "https"
        if not _DEFAULTED <= environ.keys():
            _set_defaults(environ, https)
        environ["SCRIPT_NAME"], environ["PATH_INFO"] = split_path(
            environ.get("SCRIPT_NAME"), environ.get("PATH_INFO"), self.mount)
        environ.update(self.base)
        environ["wsgi.url_scheme"] = "https" if https else "http"
        raw = _RawBody(request)  # unbuffered: no read-ahead past CONTENT_LENGTH
        environ["wsgi.input"] = InputStream(raw, length)
        environ["ffcgi.stdin"] = InputStream(raw, None)
        environ["wsgi.errors"] = ErrorStream(request)
        environ["ffcgi.params"] = Params(request.packed)
        return environ

    def __call__(self, request: Request) -> None:
        environ = self.environ(request)
        response = _Response(request, environ)
        failure: Optional[BaseException] = None
        closing: Optional[BaseException] = None
        result: Optional[Iterable[bytes]] = None
        try:
            try:
                result = self.app(environ, response.start_response)
                response.send_iterable(result)
            except Exception as error:
                failure = error
            if result is not None and type(result) is not list:  # noqa: E721 - no close()
                closing = _close(result)
                failure = failure or closing
                if closing is not None and closing is not failure:
                    environ["wsgi.errors"].write("".join(traceback.format_exception(
                        type(closing), closing, closing.__traceback__)))
            try:
                if failure is None:
                    response.complete()
            except Exception as error:
                failure = error
            if failure is not None:
                response.fail(failure)
        finally:
            # An exception held here would make a reference cycle through its
            # traceback and this frame (PEP 3333 warns of the same with exc_info).
            failure = closing = result = None


def serve_on(server: Server, app: Application, *, threads: int = 1,
             script_name: Optional[str] = None, multiprocess: bool = False,
             handle_signals: bool = True, grace: Optional[float] = None,
             reload: Optional[Reload] = None) -> None:
    """Serves the WSGI ``app`` on an open ``server`` with ``threads`` worker
    threads until it is shut down (SIGTERM/SIGINT with ``handle_signals``,
    from the main thread), then closes the server. In-flight requests finish
    first. ``script_name`` is the mount prefix (see split_path);
    ``multiprocess`` is what wsgi.multiprocess says (true when several
    processes serve the same app, e.g. under mod_fcgid); ``grace`` bounds
    how long a stop waits for requests in flight and ``reload`` replaces the
    process on SIGHUP or retirement (see ffcgi.serving)."""
    handler = WSGIHandler(app, multithread=threads > 1, multiprocess=multiprocess,
                          run_once=server.is_cgi, script_name=script_name)
    # The bound method: calling it costs less than calling the instance.
    _serve_handler_on(server, handler.__call__, threads=threads, handle_signals=handle_signals,
                      grace=grace, reload=reload)


def serve(app: Application, address: Optional[Address] = None, *, threads: int = 1,
          backlog: int = 0, mode: Optional[int] = None,
          limits: Optional[Mapping[int, int]] = None,
          allow: Union[str, Iterable[str], None] = None, script_name: Optional[str] = None,
          multiprocess: bool = False, handle_signals: bool = True) -> None:
    """Serves the WSGI ``app`` until SIGTERM/SIGINT.

    ``address``: a unix socket path (``"/run/app.sock"``, ``"unix:/path"``)
    or ``"127.0.0.1:9000"`` / ``"[::1]:9000"``; None serves what the parent
    handed over (systemd, fd 0) or answers one request as plain CGI.
    ``threads``: requests served at once (wsgi.multithread is true iff > 1).
    ``backlog``, ``mode`` (the unix socket's file mode), ``limits`` (e.g.
    ``{ffcgi.LIMIT_BODY_BYTES: 10 << 20}``: a bigger body is answered 413
    by the library, see Failures above) and ``allow``
    (the peers a TCP listener accepts) as for Server().
    ``script_name``: the mount prefix ("" for the root, "/app"); None trusts
    the web server's SCRIPT_NAME/PATH_INFO (see split_path).
    ``multiprocess``: the value of wsgi.multiprocess.
    """
    server = Server(address, backlog=backlog, mode=mode, limits=limits, allow=allow)
    serve_on(server, app, threads=threads, script_name=script_name, multiprocess=multiprocess,
             handle_signals=handle_signals)


# -- the command line ----------------------------------------------------------------


def _import_file(path: str) -> Any:
    path = os.path.abspath(path)
    if not os.path.isfile(path):
        raise ImportError(f"no such file: {path}")
    name = os.path.splitext(os.path.basename(path))[0]
    known = sys.modules.get(name)
    if known is not None and os.path.abspath(getattr(known, "__file__", "") or "") != path:
        name = "ffcgi_app_" + name
    # Its own directory first, so that it imports its neighbours.
    sys.path.insert(0, os.path.dirname(path))
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path} as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # Flask(__name__) finds its files through this
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def load_app(spec: str) -> Application:
    """The WSGI callable named by ``MODULE[:APP]``: MODULE a dotted module
    name or a ``.py`` file path, APP a (dotted) attribute, ``application``
    if left out."""
    module_name, colon, attribute = spec.rpartition(":")
    if not colon or not all(part.isidentifier() for part in attribute.split(".")):
        module_name, attribute = spec, "application"
    if module_name.endswith(".py") or os.sep in module_name:
        target: Any = _import_file(module_name)
    else:
        target = importlib.import_module(module_name)
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise AttributeError(f"{module_name} has no attribute {attribute!r}") from None
    if not callable(target):
        raise TypeError(f"{spec}: {attribute} is not callable (a WSGI application is)")
    return target


def _parser(prog: str, description: str, with_app: bool) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=description, allow_abbrev=False)
    if with_app:
        parser.add_argument("app", metavar="MODULE[:APP]",
                            help="dotted module or .py file, and the WSGI callable in it "
                                 "(default: application)")
    command_line.add_server_options(parser)
    parser.add_argument("--script-name", metavar="PREFIX",
                        help="the URL prefix the app is mounted at ('' for the root); "
                             "default: the web server's SCRIPT_NAME/PATH_INFO split")
    parser.add_argument("--multiprocess", action="store_true",
                        help="set wsgi.multiprocess (several processes serve this app)")
    return parser


def _serve_args(load: Callable[[], Application], args: argparse.Namespace, name: str,
                prog: str) -> int:
    """Sets the process up, opens the listener, drops privileges, loads the
    app (only then: app code never runs as root) and serves it. Returns the
    exit status."""
    try:
        if args.workers > 1:
            if not args.socket:
                raise ValueError("--workers needs --socket (the supervisor opens the listener)")
            command_line.run_workers(args)
        command_line.prepare_process(args)
        command_line.check_privileges(args)
        server = command_line.open_server(args)
    except (Error, OSError, ValueError) as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return 1
    try:
        command_line.drop_privileges(args)
        app = load()
    except BaseException as error:
        server.close()
        if isinstance(error, OSError):
            print(f"{prog}: cannot change to --uid/--gid: {error}", file=sys.stderr)
            return 1
        if not isinstance(error, Exception):
            raise
        traceback.print_exc()
        print(f"{prog}: cannot load {name}", file=sys.stderr)
        return 1
    if args.socket:
        print(f"{prog}: serving {name} on {args.socket} with {args.threads} "
              f"thread{'s' if args.threads > 1 else ''}", file=sys.stderr, flush=True)
    elif server.is_cgi and sys.stdin.isatty():
        print("\n".join(command_line.cgi_notice(prog)), file=sys.stderr, flush=True)
    serve_on(server, app, threads=args.threads, script_name=args.script_name,
             multiprocess=args.multiprocess, grace=args.grace,
             reload=None if server.is_cgi else
             lambda server, why: command_line.replace_process(server, why, args))
    command_line.remove_socket_file(args)
    return 0


def run(app: Application, argv: Optional[Sequence[str]] = None,
        description: Optional[str] = None) -> int:
    """Serves ``app`` with the command line of a script (the examples'
    ``--socket ADDRESS`` and ``--threads N``, and every option of ``python3
    -m ffcgi.wsgi``) until SIGTERM/SIGINT. Returns the exit status: 0, or 1
    with a one-line message when the listener or a log cannot be opened;
    usage errors exit 2. For ``if __name__ == "__main__":
    sys.exit(run(application))``."""
    prog = os.path.basename(sys.argv[0]) or "wsgi"
    args = _parser(prog, description or f"Serve the WSGI application of {prog} over FastCGI.",
                   with_app=False).parse_args(argv)
    return _serve_args(lambda: app, args, getattr(app, "__name__", type(app).__name__), prog)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``python3 -m ffcgi.wsgi MODULE[:APP] [--socket ADDRESS] [--threads N] ...``:
    opens the listener, loads the app (exit 1 with its traceback if that
    fails) and serves it as run() does."""
    prog = "ffcgi.wsgi"
    parser = _parser("python3 -m ffcgi.wsgi", "Serve a WSGI application over FastCGI "
                     "(or answer one request as CGI).", with_app=True)
    args = parser.parse_args(argv)
    return _serve_args(lambda: load_app(args.app), args, args.app, prog)


if __name__ == "__main__":
    sys.exit(main())
