"""wsgi.input: streamed from FCGI_STDIN as the app reads (never whole up
front), ending at CONTENT_LENGTH without reading a byte past it, or at the end
of FCGI_STDIN without one; file semantics of read/readline/readlines/
iteration; 10 MiB of binary up and down."""
import gc
import hashlib
import io
import os
import random
import sys
import wsgiref.validate

import pytest

from fcgi_client import STDIN, STDOUT, RawConnection, record, request_head, stream
import ffcgi
from ffcgi.wsgi import InputStream, WSGIHandler

pytestmark = pytest.mark.filterwarnings("error::wsgiref.validate.WSGIWarning")

NGINX = [("REQUEST_METHOD", "POST"), ("SERVER_NAME", "localhost"), ("SERVER_PORT", "80"),
         ("SERVER_PROTOCOL", "HTTP/1.1")]
MiB = 1 << 20


def start(serving, app, validate=True):
    app = wsgiref.validate.validator(app) if validate else app
    return serving.start(WSGIHandler(app))


def read_stdout_until(conn: RawConnection, marker: bytes) -> bytes:
    """STDOUT records until ``marker`` was seen (bounded by the connection's timeout)."""
    seen = b""
    while marker not in seen:
        rtype, _, content = conn.read_record()
        assert rtype == STDOUT, f"record type {rtype} before {marker!r}: {content!r}"
        seen += content
    return seen


# -- InputStream on its own, against io.BytesIO ---------------------------------------


class CountingRaw(io.BytesIO):
    """A raw stream that records every size asked of it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.asked = []

    def readinto(self, buffer) -> int:
        self.asked.append(len(buffer))
        return super().readinto(buffer)


def apply(target, op, arg):
    if op == "iter":
        return next(iter(target), b"")
    return getattr(target, op)(*arg)


@pytest.mark.parametrize("seed", range(40))
def test_input_stream_behaves_like_a_file_cut_at_the_length(seed):
    rng = random.Random(seed)
    data = bytes(rng.choice(b"ab\n\x00\xff") for _ in range(rng.randrange(0, 40000)))
    length = rng.choice([None, 0, len(data), len(data) // 2, len(data) + 100])
    raw = CountingRaw(data)
    stream = InputStream(raw, length)
    reference = io.BytesIO(data if length is None else data[:length])
    ops = [("read", lambda: (rng.choice([-1, None, 0, 1, 7, 100, 9000]),)),
           ("readline", lambda: (rng.choice([-1, None, 0, 1, 5, 20000]),)),
           ("readlines", lambda: (rng.choice([-1, 0, 10, 5000]),)),
           ("iter", lambda: ())]
    for _ in range(30):
        op, args = rng.choice(ops)
        arg = args()
        assert apply(stream, op, arg) == apply(reference, op, arg), (op, arg)
    assert stream.read() == reference.read()
    if length is not None:
        assert raw.tell() <= length, "read past the length"
        assert all(size <= max(length, 0) for size in raw.asked)


def test_input_stream_never_asks_past_the_length_even_for_lines():
    raw = CountingRaw(b"line one\nline two\n" + b"x" * 100)
    stream = InputStream(raw, 12)
    assert stream.readline() == b"line one\n"
    assert stream.readline() == b"lin"
    assert stream.readline() == b""
    assert stream.read() == b""
    assert raw.tell() == 12 and sum(raw.asked) == 12


def test_input_stream_reads_in_bounded_pieces_whatever_the_length_claims():
    raw = CountingRaw(b"tiny")
    stream = InputStream(raw, 10 ** 12)  # a lying CONTENT_LENGTH allocates nothing huge
    assert stream.read() == b"tiny"
    assert stream.read(10 ** 12) == b""
    assert max(raw.asked) <= MiB


def test_long_lines_are_read_in_linear_time():
    data = b"y" * (8 * MiB) + b"\nend"
    raw = CountingRaw(data)
    stream = InputStream(raw, None)
    assert stream.readline() == data[:8 * MiB + 1]
    assert stream.readline() == b"end"
    assert len(raw.asked) < 40, "the read-ahead for a line does not grow"


# -- through the server -----------------------------------------------------------------


def test_the_body_is_streamed_as_the_app_reads_it(serving):
    """The app answers after the first part of the body; the client sends
    the rest only once it has that answer. A server that read the body up
    front would wait for ever (bounded here by the connection timeout)."""
    first, rest = os.urandom(1000), os.urandom(300000)

    def app(environ, start_response):
        got = environ["wsgi.input"].read(len(first))
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"first %d %s\n" % (len(got), hashlib.sha256(got).hexdigest().encode()))
        remaining = environ["wsgi.input"].read(len(rest) + 10)
        return [b"rest %d %s\n" % (len(remaining), hashlib.sha256(remaining).hexdigest().encode())]

    address = start(serving, app)
    with RawConnection(address, timeout=20) as conn:
        conn.send(request_head(NGINX + [("CONTENT_LENGTH", str(len(first) + len(rest)))])
                  + record(STDIN, 1, first))
        read_stdout_until(conn, b"first 1000 %s\n" % hashlib.sha256(first).hexdigest().encode())
        conn.send(stream(STDIN, 1, rest, chunk=4093))
        response = conn.read_response()
    assert response.protocol_status == 0 and response.stderr == b""
    assert (b"rest %d %s\n" % (len(rest), hashlib.sha256(rest).hexdigest().encode())
            in response.stdout)


def test_nothing_past_content_length_is_read(serving):
    """CONTENT_LENGTH=10 and 10 bytes sent, FCGI_STDIN left open: read(),
    readline() and iteration end there at once; asking the web server for
    an 11th byte would block."""

    def app(environ, start_response):
        body = environ["wsgi.input"]
        data, after, line, lines = body.read(), body.read(5), body.readline(), list(body)
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"%r %r %r %r\n" % (data, after, line, lines))
        return []

    address = start(serving, app, validate=False)  # the validator allows no read() without size
    with RawConnection(address, timeout=20) as conn:
        conn.send(request_head(NGINX + [("CONTENT_LENGTH", "10")])
                  + record(STDIN, 1, b"0123456789"))
        seen = read_stdout_until(conn, b"]\n")
        assert seen.endswith(b"\r\n\r\nb'0123456789' b'' b'' []\n")
        conn.send(record(STDIN, 1, b"surplus bytes") + record(STDIN, 1))
        response = conn.read_response()
    assert response.protocol_status == 0 and response.stderr == b""


@pytest.mark.parametrize("content_length, body, expected", [
    ("5", b"0123456789", b"01234"),      # shorter than the body: cut there
    ("100", b"0123456789", b"0123456789"),  # longer: the end of FCGI_STDIN ends it
    ("", b"0123456789", b"0123456789"),  # empty (nginx for a GET): FCGI_STDIN's end
    ("junk", b"0123456789", b"0123456789"),  # malformed: as if absent
    (None, b"0123456789", b"0123456789"),  # absent
    ("0", b"0123456789", b""),
])
def test_content_length_bounds_the_input(serving, content_length, body, expected):
    def app(environ, start_response):
        data = environ["wsgi.input"].read(1000)
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return [data, environ["wsgi.input"].read(1000)]

    address = start(serving, app)
    params = NGINX + ([] if content_length is None else [("CONTENT_LENGTH", content_length)])
    with RawConnection(address, timeout=20) as conn:
        conn.send(request_head(params) + stream(STDIN, 1, body, chunk=3))
        response = conn.read_response()
    assert response.stderr == b""
    assert response.body == expected


def test_lines_across_record_boundaries(serving, client):
    body = b"first line\nsecond\n\n" + bytes(range(256)) + b"\nlast without newline"

    def app(environ, start_response):
        stream = environ["wsgi.input"]
        parts = [stream.readline(), stream.readline(3), stream.readline(), stream.readline()]
        parts += [b"|".join(stream.readlines())]
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return [b"<>".join(parts)]

    address = start(serving, app)
    response = client.request(address, params=NGINX, stdin=body, stdin_chunk=7)
    assert response.stderr == b""
    assert response.body == b"<>".join([
        b"first line\n", b"sec", b"ond\n", b"\n",
        bytes(range(11)) + b"|" + bytes(range(11, 256)) + b"\n|last without newline"])


def test_ten_mib_of_binary_up_and_streamed_back_down(serving, client, sockdir):
    def mirror(environ, start_response):
        stream = environ["wsgi.input"]
        start_response("200 OK", [("Content-Type", "application/octet-stream"),
                                  ("Content-Length", environ["CONTENT_LENGTH"])])

        def blocks():
            while True:
                block = stream.read(65536)
                if not block:
                    return
                yield block

        return blocks()

    address = start(serving, mirror)
    saved = os.path.join(sockdir, "body")
    response = client.request(address, params=NGINX, stdin_random=10 * MiB, seed=7,
                              save_stdin=saved, stdin_chunk=65535)
    with open(saved, "rb") as sent:
        body = sent.read()
    assert len(body) == 10 * MiB and len(set(body)) == 256
    assert response.stderr == b""
    assert response.headers("Content-Length") == [b"%d" % (10 * MiB)]
    assert hashlib.sha256(response.body).digest() == hashlib.sha256(body).digest()


def test_ten_mib_of_binary_down_in_one_chunk_and_in_odd_ones(serving, client):
    payload = hashlib.shake_256(b"ffcgi").digest(10 * MiB)

    def download(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        if environ["QUERY_STRING"] == "whole":
            return [payload]
        return (payload[i:i + 99991] for i in range(0, len(payload), 99991))

    address = start(serving, download)
    for query in ("whole", "pieces"):
        response = client.request(address, params=NGINX, query=query)
        assert response.stderr == b""
        assert len(response.body) == len(payload)
        assert hashlib.sha256(response.body).digest() == hashlib.sha256(payload).digest()


def test_ffcgi_stdin_reads_all_of_fcgi_stdin_whatever_content_length_says(serving, client):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        stream = environ["ffcgi.stdin" if environ["QUERY_STRING"] == "raw" else "wsgi.input"]
        return [stream.read(1000)]

    address = start(serving, app)
    body = bytes(range(200))
    for query, expected in (("raw", body), ("wsgi", body[:5])):
        response = client.request(address, params=NGINX + [("CONTENT_LENGTH", "5")],
                                  query=query, stdin=body, stdin_chunk=33)
        assert response.stderr == b"" and response.body == expected, query


@pytest.mark.parametrize("app_keeps_it", [True, False])
def test_a_body_cut_off_raises_and_the_error_may_be_kept(serving, client, app_keeps_it):
    """The web server goes away mid-body: read() raises an ffcgi.Error. An
    app that keeps it in a reference cycle (through its traceback), or lets
    it through to the server, must leave nothing of the read's buffers to the
    cycle collector (it would clear them in no safe order: BufferError, then
    a crash); the worker serves the next request."""
    seen = []

    def app(environ, start_response):
        if environ["QUERY_STRING"] != "cut":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"next"]
        try:
            while environ["wsgi.input"].read(65536):
                pass
        except ffcgi.Error as error:
            seen.append(type(error).__name__)
            if not app_keeps_it:
                raise
            cycle = {"error": error}
            cycle["itself"] = cycle
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"too late"]

    address = start(serving, app)
    unraisable = []
    hook, sys.unraisablehook = sys.unraisablehook, unraisable.append
    try:
        for _ in range(5):
            with RawConnection(address, timeout=20) as conn:
                conn.send(request_head(NGINX + [("CONTENT_LENGTH", str(MiB)),
                                                ("QUERY_STRING", "cut")])
                          + record(STDIN, 1, os.urandom(30000)))
            # The one worker serves this only after the cut-off request.
            assert client.request(address, params=NGINX).body == b"next"
            gc.collect()
    finally:
        sys.unraisablehook = hook
    assert len(seen) == 5, seen
    assert [hook_args.exc_value for hook_args in unraisable] == []
