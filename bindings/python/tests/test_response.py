"""The response: status (with reason), header() in all its forms, several
Set-Cookie lines, header injection refused (HeaderError, nothing queued),
write/print/stderr, flush, raw CGI output, exit status, finish."""
import array

import pytest

import ffcgi
import fcgi_client
from ffcgi.request import header_line_allowed
from support import accept


def respond(client, server, address, handler, **request_options) -> fcgi_client.Response:
    """Sends one request, lets ``handler(request)`` answer it, returns the
    response."""
    pending = client.start(address, **request_options)
    with accept(server, pending) as request:
        handler(request)
    return pending.result()


@pytest.mark.parametrize("args,line", [
    ((200,), b"200 OK"), ((404,), b"404 Not Found"), ((299,), b"299"),
    ((418, "I'm a teapot"), b"418 I'm a teapot"), ((500, "Kaputt\tganz"), b"500 Kaputt\tganz"),
    ((201, "Cr\xe9\xe9"), b"201 Cr\xe9\xe9"), ((999,), b"999")])
def test_status_with_standard_or_own_reason(client, server, address, args, line):
    def handler(request):
        request.status(*args)
        request.print("body")

    response = respond(client, server, address, handler)
    assert response.stdout == b"Status: " + line + b"\r\n\r\nbody"


@pytest.mark.parametrize("args,error", [
    ((99,), ffcgi.InvalidArgumentError), ((1000,), ffcgi.InvalidArgumentError),
    ((200, "OK\r\nSet-Cookie: x=1"), ffcgi.HeaderError), ((200, "a\nb"), ffcgi.HeaderError),
    ((200, "nul\0"), ffcgi.HeaderError), ((200, "\u20ac"), ffcgi.HeaderError),
    ((200, "x" * 1000), ffcgi.HeaderError)])
def test_a_bad_status_is_refused(client, server, address, args, error):
    def handler(request):
        with pytest.raises(error) as raised:
            request.status(*args)
        assert isinstance(raised.value, ValueError)
        request.print("body")

    assert respond(client, server, address, handler).stdout == b"body"


def test_header_forms_in_call_order(client, server, address):
    def handler(request):
        request.status(200)
        request.header("Content-Type", "text/plain; charset=utf-8")
        request.header(b"X-Bytes", b"\xe9t\xe9")
        request.header({"Set-Cookie": ["a=1; Path=/", "b=2"], "X-Number": 42})
        request.header([("Set-Cookie", "c=3"), ("X-Pair", ("p1", "p2"))])
        request.header(Cache_Control="no-store", X_Latin="caf\xe9")
        request.header("Set-Cookie", "d=4")
        request.print("ok")

    response = respond(client, server, address, handler)
    assert response.header_lines == [
        (b"Status", b"200 OK"), (b"Content-Type", b"text/plain; charset=utf-8"),
        (b"X-Bytes", b"\xe9t\xe9"), (b"Set-Cookie", b"a=1; Path=/"), (b"Set-Cookie", b"b=2"),
        (b"X-Number", b"42"), (b"Set-Cookie", b"c=3"), (b"X-Pair", b"p1"), (b"X-Pair", b"p2"),
        (b"Cache-Control", b"no-store"), (b"X-Latin", b"caf\xe9"), (b"Set-Cookie", b"d=4")]
    assert response.headers("set-cookie") == [b"a=1; Path=/", b"b=2", b"c=3", b"d=4"]
    assert response.body == b"ok"


INJECTIONS = [
    ("X-Evil", "a\r\nSet-Cookie: admin=1"), ("X-Evil", "a\nb"), ("X-Evil", "a\rb"),
    ("X-Evil", "nul\0byte"), ("X-Evil", "bell\x07"), ("X-Evil", "del\x7f"),
    ("X-Evil", b"\r\n\r\n<script>"), ("Bad Name", "v"), ("Bad:Name", "v"), ("", "v"),
    ("X\r\nInjected", "v"), ("N\xe4me", "v"), ("X-Euro", "\u20ac"), (b"\x00", b"v")]


@pytest.mark.parametrize("name,value", INJECTIONS)
def test_header_injection_raises_header_error_and_queues_nothing(client, server, address,
                                                                 name, value):
    def handler(request):
        for call in (lambda: request.header(name, value),
                     lambda: request.header({"X-Good": "1", name: value}),
                     lambda: request.header([("X-Good", "1"), (name, value)]),
                     lambda: request.header(name, ["fine", value]),
                     lambda: request.header(name, value)):  # refused again: never remembered
            with pytest.raises(ffcgi.HeaderError) as raised:
                call()
            error = raised.value
            assert isinstance(error, ValueError) and isinstance(error, ffcgi.Error)
            assert error.code == ffcgi.lib.FFCGI_EHEADER and str(error)
        request.header("X-After", "fine")
        request.print("body")

    response = respond(client, server, address, handler)
    assert response.stdout == b"X-After: fine\r\n\r\nbody"


def test_the_python_precheck_and_the_library_agree_on_every_byte(client, server, address):
    """header() checks a whole call before it queues anything; its rules
    must be the library's exactly, for names and for values."""
    def handler(request):
        handle = request._handle
        for byte in range(256):
            for name, value in ((b"X" + bytes([byte]) + b"Y", b"v"),
                                (b"X", b"a" + bytes([byte]) + b"b")):
                accepted = ffcgi.lib.ffcgi_header_n(handle, name, len(name), value,
                                                    len(value)) == 0
                assert accepted == header_line_allowed(name, value), (name, value)
        assert not header_line_allowed(b"", b"v")
        assert ffcgi.lib.ffcgi_header_n(handle, b"", 0, b"v", 1) == ffcgi.lib.FFCGI_EHEADER

    respond(client, server, address, handler)


def test_header_argument_errors(client, server, address):
    def handler(request):
        with pytest.raises(TypeError):
            request.header("X-Missing-Value")
        with pytest.raises(TypeError):
            request.header({"A": "1"}, "2")
        with pytest.raises(TypeError):
            request.header("X-Float", 1.5)
        request.print("x")
        for late in (lambda: request.header("X-Late", "1"), lambda: request.status(200)):
            with pytest.raises(ffcgi.StateError):
                late()

    assert respond(client, server, address, handler).stdout == b"x"


def test_write_takes_any_bytes_like_object_and_print_encodes(client, server, address):
    def handler(request):
        counts = [request.write(b"bytes "), request.write(bytearray(b"bytearray ")),
                  request.write(memoryview(b"xxmemoryview ")[2:]),
                  request.write(array.array("B", b"array ")), request.write(b""),
                  request.print("caf\xe9 "), request.print("caf\xe9\n", encoding="latin-1")]
        assert counts == [6, 10, 11, 6, 0, 6, 5]
        with pytest.raises(TypeError):
            request.write("text")  # type: ignore[arg-type]

    response = respond(client, server, address, handler)
    assert response.stdout == b"bytes bytearray memoryview array caf\xc3\xa9 caf\xe9\n"


def test_a_binary_response_with_every_byte_value(client, server, address):
    payload = bytes(range(256)) * 4096 + b"\0"  # 1 MiB + 1

    def handler(request):
        request.header("Content-Type", "application/octet-stream")
        for i in range(0, len(payload), 100000):
            request.write(payload[i:i + 100000])

    response = respond(client, server, address, handler)
    assert response.body == payload


def test_without_status_or_header_the_app_writes_raw_cgi(client, server, address):
    raw = b"Status: 302 Found\r\nLocation: /elsewhere\r\n\r\n"
    assert respond(client, server, address, lambda r: r.write(raw)).stdout == raw


def test_stderr_and_exit_status(client, server, address):
    def handler(request):
        assert request.exit_status == 0
        assert request.stderr("warn: caf\xe9\n") == 12
        assert request.stderr(b"\x00\xffbinary\n") == 9
        request.exit_status = 7
        assert request.exit_status == 7
        request.print("done")

    response = respond(client, server, address, handler)
    assert response.stdout == b"done"
    assert response.stderr == "warn: caf\xe9\n".encode() + b"\x00\xffbinary\n"
    assert response.app_status == 7 and response.protocol_status == 0


def test_flush_sends_the_head_and_the_output_before_the_request_ends(server, address):
    with fcgi_client.RawConnection(address) as conn:
        # keep_conn: libfcgi's close at finish would wait (up to 2 s) for this
        # single-threaded test to close its end first.
        conn.send(fcgi_client.whole_request([("X", "1")], keep_conn=True))
        request = accept(server)
        request.status(200)
        request.header("Content-Type", "text/plain")
        request.print("part one\n")
        request.flush()
        received = b""
        while not received.endswith(b"part one\n"):
            rtype, _, content = conn.read_record(timeout=10)
            assert rtype == fcgi_client.STDOUT, "the request ended before the flushed output"
            received += content
        assert received == b"Status: 200 OK\r\nContent-Type: text/plain\r\n\r\npart one\n"
        request.print("part two\n")
        request.finish()
        rest = conn.read_response()
    assert rest.stdout == b"part two\n" and rest.protocol_status == 0


def test_finish_and_the_with_block_end_the_request(client, server, address):
    pending = client.start(address)
    request = accept(server, pending)
    with request:
        request.print("in block")
    assert request.finished
    request.finish()  # again: nothing happens
    for call in (lambda: request.print("x"), lambda: request.write(b"x"), request.flush,
                 lambda: request.stderr("x"), lambda: request.header("A", "b"),
                 lambda: request.status(200)):
        with pytest.raises(ffcgi.StateError):
            call()
    with pytest.raises(ffcgi.StateError):
        request.exit_status = 1
    assert pending.result().stdout == b"in block"
