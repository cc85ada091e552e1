"""The response side of ffcgi.wsgi (PEP 3333): start_response's validation
and exc_info rules, the reason phrase passed through, the write() callable,
the head sent with the first non-empty chunk, each chunk flushed before the
next is asked for, close() always called, the app's Content-Length as a cap,
several Set-Cookie lines, wsgi.errors and wsgi.file_wrapper, and a 500 with
the traceback in FCGI_STDERR when the app fails before sending anything."""
import io
import logging
import sys
import threading
import wsgiref.validate

import pytest

from fcgi_client import STDIN, STDOUT, RawConnection, record, request_head, stream
from ffcgi.wsgi import WSGIHandler

pytestmark = pytest.mark.filterwarnings("error::wsgiref.validate.WSGIWarning")

PARAMS = [("REQUEST_METHOD", "GET"), ("SERVER_NAME", "localhost"), ("SERVER_PORT", "80"),
          ("SERVER_PROTOCOL", "HTTP/1.1")]
TEXT = [("Content-Type", "text/plain")]
WAIT = 20.0  # the longest any app here waits for the test


def start(serving, app, validate=True):
    app = wsgiref.validate.validator(app) if validate else app
    return serving.start(WSGIHandler(app))


def get(client, address, query=""):
    return client.request(address, params=PARAMS, query=query)


class Closing:
    """A response iterable that records whether close() was called."""

    def __init__(self, chunks, fail_at=None):
        self.chunks = chunks
        self.fail_at = fail_at
        self.consumed = 0
        self.closed = threading.Event()

    def __iter__(self):
        for index, chunk in enumerate(self.chunks):
            if index == self.fail_at:
                raise LookupError("failed while iterating")
            self.consumed += 1
            yield chunk

    def close(self):
        self.closed.set()


def assert_ok(response):
    assert response.protocol_status == 0
    assert response.stderr == b"", response.stderr.decode(errors="replace")


def assert_500(response, *in_stderr: bytes):
    assert response.status_line == b"500 Internal Server Error"
    assert response.headers("Content-Type") == [b"text/plain; charset=utf-8"]
    assert response.body == b"500 Internal Server Error\n"
    assert b"Traceback (most recent call last)" in response.stderr
    for text in in_stderr:
        assert text in response.stderr, response.stderr.decode(errors="replace")


# -- status and headers ------------------------------------------------------------------


@pytest.mark.parametrize("status, line", [
    ("200 OK", b"200 OK"),
    ("418 I'm a teapot", b"418 I'm a teapot"),
    ("404 Gone Fishing", b"404 Gone Fishing"),
    ("500 INTERNAL SERVER ERROR", b"500 INTERNAL SERVER ERROR"),
    ("201 Cr\u00e9\u00e9", "201 Cr\u00e9\u00e9".encode("latin-1")),
    ("200 ", b"200 OK"),  # an empty reason: the standard phrase
    ("299 ", b"299"),     # ... and none for a code without one
])
def test_the_status_and_its_reason_pass_through(serving, client, status, line):
    def app(environ, start_response):
        start_response(status, TEXT)
        return [b"body"]

    response = get(client, start(serving, app))
    assert_ok(response)
    assert response.status_line == line
    assert response.body == b"body"


BAD_STATUSES = [
    (b"200 OK", TypeError), (200, TypeError), ("200", ValueError), ("200OK", ValueError),
    ("20 OK", ValueError), ("2000 OK", ValueError), ("099 Low", ValueError),
    ("600 High", ValueError), (" 200 OK", ValueError), ("200  OK\n", ValueError),
    ("200 OK\r\nX-Injected: 1", ValueError), ("200 tab\there", ValueError),
    ("200 \u20ac", ValueError), ("200 " + "x" * 128, ValueError),
]
BAD_HEADERS = [
    ((("Content-Type", "text/plain"),), TypeError),                  # a tuple, not a list
    ([["Content-Type", "text/plain"]], TypeError),                   # a list item
    ([("Content-Type", "text/plain", "x")], TypeError),
    ([(b"Content-Type", "text/plain")], TypeError),
    ([("Content-Type", b"text/plain")], TypeError),
    ([("Content-Length", 5)], TypeError),
    ([("", "x")], ValueError), ([("Bad Name", "x")], ValueError), ([("Bad:Name", "x")], ValueError),
    ([("X-Caf\u00e9", "x")], ValueError),
    ([("X-A", "a\r\nX-Injected: 1")], ValueError), ([("X-A", "a\nb")], ValueError),
    ([("X-A", "a\rb")], ValueError), ([("X-A", "a\x00b")], ValueError),
    ([("X-A", "a\tb")], ValueError), ([("X-A", "a\x7fb")], ValueError),
    ([("X-A", "\u20ac")], ValueError),
    ([("Status", "200 OK")], ValueError),
] + [([(name, "x")], ValueError) for name in (
    "Connection", "keep-alive", "Proxy-Authenticate", "Proxy-Authorization", "TE", "Trailer",
    "Transfer-Encoding", "Upgrade")]


@pytest.mark.parametrize("status, headers, error", [
    (status, TEXT, error) for status, error in BAD_STATUSES] + [
    ("200 OK", headers, error) for headers, error in BAD_HEADERS])
def test_start_response_refuses_what_pep3333_forbids(serving, client, status, headers, error):
    def app(environ, start_response):
        try:
            start_response(status, headers)
        except (TypeError, ValueError) as refused:
            start_response("200 OK", TEXT)  # allowed: the bad call recorded nothing
            return [type(refused).__name__.encode(), b": ", str(refused).encode()]
        start_response("200 OK", TEXT)
        return [b"accepted"]

    response = get(client, start(serving, app, validate=False))
    assert_ok(response)
    assert response.body.startswith(error.__name__.encode() + b": "), response.body
    assert b"X-Injected" not in response.head


def test_several_set_cookie_lines_keep_their_order(serving, client):
    cookies = [("Set-Cookie", f"c{n}=v{n}; Path=/; HttpOnly") for n in range(5)]

    def app(environ, start_response):
        start_response("200 OK", TEXT + cookies + [("X-Empty", ""), ("x-lower", "v")])
        return [b"cookies"]

    response = get(client, start(serving, app))
    assert_ok(response)
    assert response.headers("Set-Cookie") == [value.encode() for _, value in cookies]
    assert response.header_lines[1:] == [(b"Content-Type", b"text/plain")] + [
        (b"Set-Cookie", value.encode()) for _, value in cookies] + [
        (b"X-Empty", b""), (b"x-lower", b"v")]


# -- exc_info and calling start_response twice -----------------------------------------


def test_a_second_start_response_needs_exc_info(serving, client):
    def app(environ, start_response):
        start_response("200 OK", TEXT)
        try:
            start_response("201 Created", TEXT)
        except RuntimeError as error:
            return [str(error).encode()]
        return [b"accepted"]

    response = get(client, start(serving, app, validate=False))
    assert_ok(response)
    assert response.status_line == b"200 OK"
    assert b"start_response() was called already" in response.body


def test_exc_info_replaces_the_head_while_nothing_was_sent(serving, client):
    def app(environ, start_response):
        start_response("200 OK", TEXT + [("X-First", "1")])
        yield b""  # an empty chunk sends nothing
        try:
            raise KeyError("during the response")
        except KeyError:
            start_response("503 Try Later", TEXT + [("X-Second", "2")], sys.exc_info())
        yield b"replaced"

    response = get(client, start(serving, app))
    assert_ok(response)
    assert response.status_line == b"503 Try Later"
    assert response.headers("X-Second") == [b"2"] and response.headers("X-First") == []
    assert response.body == b"replaced"


def test_exc_info_after_the_head_was_sent_reraises_it(serving, client):
    seen = []

    def app(environ, start_response):
        start_response("200 OK", TEXT)
        yield b"partial"
        try:
            raise KeyError("the original error")
        except KeyError as original:
            try:
                start_response("500 Oops", TEXT, sys.exc_info())
            except KeyError as again:
                seen.append(again is original)
                raise

    response = get(client, start(serving, app))
    assert seen == [True]
    assert response.status_line == b"200 OK"  # it had left already
    assert response.body == b"partial"
    assert b"Traceback (most recent call last)" in response.stderr
    assert b"KeyError: 'the original error'" in response.stderr


# -- write(), when the head leaves, flushing ------------------------------------------


def test_write_callable_and_iterable_together(serving, client):
    def app(environ, start_response):
        write = start_response("200 OK", TEXT)
        write(b"one ")
        write(b"")
        write(b"two ")
        return [b"three", b"", b" four"]

    response = get(client, start(serving, app))
    assert_ok(response)
    assert response.body == b"one two three four"


def test_write_refuses_misuse(serving, client):
    def app(environ, start_response):
        write = start_response("200 OK", TEXT)
        errors = []
        for data in ("text", bytearray(b"bytes-like"), memoryview(b"view")):
            try:
                write(data)
            except TypeError as error:
                errors.append(str(error))
        return [" | ".join(errors).encode()]

    response = get(client, start(serving, app, validate=False))
    assert_ok(response)
    assert response.body == (b"the response body must be bytes, not str | "
                             b"the response body must be bytes, not bytearray | "
                             b"the response body must be bytes, not memoryview")


def test_write_and_each_chunk_reach_the_web_server_before_the_app_goes_on(serving):
    """The app waits, after write() and after each yield, until the test has
    received that piece: nothing may sit in a buffer meanwhile."""
    received = [threading.Event() for _ in range(3)]
    waits = []

    def app(environ, start_response):
        write = start_response("200 OK", TEXT)
        write(b"<written>")
        waits.append(received[0].wait(WAIT))
        yield b"<first>"
        waits.append(received[1].wait(WAIT))
        yield b"<second>"
        waits.append(received[2].wait(WAIT))

    address = start(serving, app)
    with RawConnection(address, timeout=WAIT) as conn:
        conn.send(request_head(PARAMS) + stream(STDIN, 1, b""))
        seen = b""
        for index, piece in enumerate((b"<written>", b"<first>", b"<second>")):
            while piece not in seen:
                rtype, _, content = conn.read_record()
                assert rtype == STDOUT, (rtype, content)
                seen += content
            received[index].set()
        response = conn.read_response()
    assert waits == [True, True, True]
    assert response.protocol_status == 0 and response.stderr == b""


def test_the_head_waits_for_the_first_non_empty_chunk(serving, client):
    def app(environ, start_response):  # start_response may come late, after empty chunks
        yield b""
        start_response("200 OK", TEXT + [("X-Late", "yes")])
        yield b""
        yield b"body"

    # PEP 3333 allows this ("servers must not assume that start_response() has
    # been called before they begin iterating"); wsgiref.validate does not.
    response = get(client, start(serving, app, validate=False))
    assert_ok(response)
    assert response.headers("X-Late") == [b"yes"]
    assert response.body == b"body"


def test_the_head_is_sent_at_the_end_without_a_body(serving, client):
    def app(environ, start_response):
        start_response("204 No Content", [("X-Nothing", "here")])
        return []

    response = get(client, start(serving, app))
    assert_ok(response)
    assert response.status_line == b"204 No Content"
    assert response.headers("X-Nothing") == [b"here"]
    assert response.body == b""


# -- close() ------------------------------------------------------------------------------


def test_close_is_called_after_a_complete_response(serving, client):
    result = Closing([b"a", b"b"])
    response = get(client, start(serving, lambda environ, start_response: (
        start_response("200 OK", TEXT), result)[1]))
    assert_ok(response)
    assert response.body == b"ab" and result.closed.is_set()


def test_close_is_called_when_iteration_fails(serving, client):
    result = Closing([b"sent", b"never"], fail_at=1)

    def app(environ, start_response):
        start_response("200 OK", TEXT)
        return result

    response = get(client, start(serving, app, validate=False))
    assert result.closed.is_set()
    assert response.body == b"sent"  # the head had left: a truncated answer
    assert b"LookupError: failed while iterating" in response.stderr


def test_close_is_called_when_the_first_chunk_fails(serving, client):
    result = Closing([b"never"], fail_at=0)

    def app(environ, start_response):
        start_response("200 OK", TEXT)
        return result

    response = get(client, start(serving, app, validate=False))
    assert result.closed.is_set()
    assert_500(response, b"LookupError: failed while iterating")


def test_an_exception_from_close_is_reported(serving, client):
    class FailingClose(Closing):
        def close(self):
            super().close()
            raise OSError("close failed")

    def app(environ, start_response):
        start_response("200 OK", TEXT)
        return FailingClose([] if environ["QUERY_STRING"] == "empty" else [b"body"])

    address = start(serving, app, validate=False)
    response = get(client, address, "body")
    assert response.body == b"body" and b"OSError: close failed" in response.stderr
    assert_500(get(client, address, "empty"), b"OSError: close failed")


def test_content_length_caps_the_body_and_stops_the_iteration(serving, client):
    result = Closing([b"0123", b"456789", b"never asked for"])

    def app(environ, start_response):
        start_response("200 OK", TEXT + [("Content-Length", "7")])
        return result

    response = get(client, start(serving, app, validate=False))
    assert_ok(response)
    assert response.body == b"0123456"
    assert result.consumed == 2 and result.closed.is_set()


def test_write_past_content_length_raises(serving, client):
    def app(environ, start_response):
        write = start_response("200 OK", TEXT + [("Content-Length", "4")])
        try:
            write(b"123456")
        except ValueError as error:
            environ["wsgi.errors"].write(f"caught: {error}\n")
        return []

    response = get(client, start(serving, app, validate=False))
    assert response.body == b"1234"
    assert response.stderr == b"caught: write() past the Content-Length of 4 bytes\n"


def test_a_body_short_of_content_length_is_logged(serving, client):
    def app(environ, start_response):
        start_response("200 OK", TEXT + [("Content-Length", "10")])
        return [b"abc"]

    response = get(client, start(serving, app))
    assert response.body == b"abc"
    assert b"the app sent 3 bytes of its Content-Length of 10" in response.stderr


# -- failures ------------------------------------------------------------------------------


def raises_before_start_response(environ, start_response):
    raise ValueError("kaput before anything")


def raises_after_start_response(environ, start_response):
    start_response("200 OK", TEXT + [("X-App", "1")])
    raise ValueError("kaput after start_response")


def never_calls_start_response(environ, start_response):
    return [b"body without a head"]


def returns_nothing_without_start_response(environ, start_response):
    return []


def yields_str(environ, start_response):
    start_response("200 OK", TEXT)
    return ["text"]


@pytest.mark.parametrize("app, in_stderr", [
    (raises_before_start_response, b"ValueError: kaput before anything"),
    (raises_after_start_response, b"ValueError: kaput after start_response"),
    (never_calls_start_response, b"RuntimeError: the app sent body data before calling "
                                 b"start_response()"),
    (returns_nothing_without_start_response, b"RuntimeError: the app returned without "
                                             b"calling start_response()"),
    (yields_str, b"TypeError: the response body must be bytes, not str"),
])
def test_an_app_failing_before_any_output_gets_a_500(serving, client, app, in_stderr):
    address = start(serving, app, validate=False)
    response = get(client, address)
    assert_500(response, in_stderr)
    assert response.headers("X-App") == []
    assert response.protocol_status == 0
    assert get(client, address).status_line == b"500 Internal Server Error"  # goes on serving


def test_a_validator_complaint_is_a_500_too(serving, client):
    def app(environ, start_response):
        start_response("200 OK", [])  # no Content-Type: wsgiref.validate objects
        return [b"x"]

    assert_500(get(client, start(serving, app)), b"AssertionError")


# -- wsgi.errors and wsgi.file_wrapper -------------------------------------------------------


def test_wsgi_errors_goes_to_fcgi_stderr(serving, client):
    kept = []

    def app(environ, start_response):
        errors = environ["wsgi.errors"]
        errors.write("one line\n")
        errors.writelines(["two ", "lines\n", "caf\u00e9 \u2603\n"])
        errors.flush()
        try:
            errors.write(b"bytes")
        except TypeError as error:
            errors.write(f"{error}\n")
        kept.append(errors)
        start_response("200 OK", TEXT)
        return [b"ok"]

    response = get(client, start(serving, app, validate=False))
    assert response.body == b"ok"
    assert response.stderr == ("one line\ntwo lines\ncaf\u00e9 \u2603\n"
                               "wsgi.errors.write() takes str, not bytes\n").encode()
    assert response.status_line == b"200 OK"  # flushing errors sent no head early
    assert kept


def test_wsgi_errors_after_the_request_goes_to_the_logger(serving, client, caplog):
    kept = []

    def app(environ, start_response):
        kept.append(environ["wsgi.errors"])
        start_response("200 OK", TEXT)
        return [b"ok"]

    assert get(client, start(serving, app)).body == b"ok"
    with caplog.at_level(logging.WARNING, logger="ffcgi.wsgi"):
        kept[0].write("written too late\n")
    assert [r.getMessage() for r in caplog.records if r.name == "ffcgi.wsgi"] == \
        ["written too late"]


def test_file_wrapper_streams_a_file_and_closes_it(serving, client):
    data = bytes(range(256)) * 1000
    files = []

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        files.append(io.BytesIO(data))
        return environ["wsgi.file_wrapper"](files[0], 4099)

    response = get(client, start(serving, app))
    assert_ok(response)
    assert response.body == data
    assert files[0].closed


def test_the_app_can_read_the_body_and_answer_a_head_request(serving, client):
    def app(environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        start_response("200 OK", TEXT + [("Content-Length", str(len(body)))])
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [body]

    address = start(serving, app)
    assert client.request(address, params=[("REQUEST_METHOD", "HEAD")] + PARAMS[1:],
                          stdin=b"12345").stderr == b""  # no "short body" complaint for HEAD
    response = client.request(address, params=[("REQUEST_METHOD", "POST")] + PARAMS[1:],
                              stdin=b"12345")
    assert_ok(response)
    assert response.body == b"12345"


def test_the_raw_connection_sees_one_clean_request_after_another(serving):
    """Two requests on one kept-open connection: the server leaves the
    connection in step even when the app ignores the body."""
    def app(environ, start_response):
        start_response("200 OK", TEXT)
        return [environ["QUERY_STRING"].encode()]

    address = start(serving, app)
    with RawConnection(address, timeout=WAIT) as conn:
        for number in (1, 2):
            conn.send(request_head(PARAMS + [("QUERY_STRING", f"n={number}")], request_id=number,
                                   keep_conn=True)
                      + record(STDIN, number, b"ignored body") + record(STDIN, number))
            response = conn.read_response(request_id=number)
            assert response.body == b"n=%d" % number and response.stderr == b""
