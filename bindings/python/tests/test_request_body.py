"""The request body (FCGI_STDIN): binary-safe at every size, streamed, and
read through read(), readline(), readinto(), iteration and the file object;
the bytes before a failure come first, then the error."""
import hashlib
import io
import os
import subprocess
import sys
import textwrap
import threading
import tracemalloc

import pytest

import ffcgi
import fcgi_client as fc
from support import accept

MIB = 1024 * 1024


def stream_back(request: ffcgi.Request, chunk: int) -> int:
    """Writes the body back as it arrives; returns the largest read."""
    largest = 0
    while data := request.read(chunk):
        largest = max(largest, len(data))
        request.write(data)
    return largest


@pytest.mark.parametrize("size,stdin_chunk", [
    (0, None), (1, None), (65535, 1000), (65536, None), (65537, 65535), (10 * MIB, 8191)])
def test_binary_body_comes_through_byte_for_byte(client, server, address, sockdir, size,
                                                 stdin_chunk):
    sent = os.path.join(sockdir, "sent")
    pending = client.start(address, method="POST", stdin_random=size, seed=size + 7,
                           save_stdin=sent, stdin_chunk=stdin_chunk)
    with accept(server, pending) as request:
        assert request.env["CONTENT_LENGTH"] == str(size)
        largest = stream_back(request, 65536)
        assert request.read() == b"" and request.read(10) == b""
    assert largest <= 65536
    response = pending.result()
    with open(sent, "rb") as f:
        expected = f.read()
    assert len(expected) == size
    assert response.stdout == expected
    if size >= 256:
        assert len(set(expected)) == 256, "every byte value is in the body"


def test_a_10_mib_body_is_streamed_not_held(client, server, address):
    """Reading 10 MiB in 64 KiB pieces never allocates more than a few
    pieces' worth: nothing holds the whole body."""
    pending = client.start(address, method="POST", stdin_random=10 * MIB, seed=3)
    request = accept(server, pending)
    digest, total = hashlib.sha256(), 0
    piece = bytearray(65536)
    tracemalloc.start()
    try:
        while n := request.readinto(piece):
            digest.update(memoryview(piece)[:n])
            total += n
            if total > 5 * MIB:  # then read() for the second half
                break
        while data := request.read(65536):
            digest.update(data)
            total += len(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    request.print(digest.hexdigest())
    request.finish()
    assert total == 10 * MIB
    assert peak < 1 * MIB, f"reading the body allocated {peak} bytes at its peak"
    response = pending.result()
    assert response.stdout == digest.hexdigest().encode()


def test_read_returns_what_is_asked_and_empty_at_the_end(client, server, address):
    body = bytes(range(256)) * 1000
    pending = client.start(address, stdin=body, stdin_chunk=777)
    with accept(server, pending) as request:
        assert request.read(0) == b""
        assert request.read(1) == body[:1]
        assert request.read(100000) == body[1:100001]
        assert request.read(None) == body[100001:]
        assert request.read() == b""
        assert request.read(5) == b""
        request.print("done")
    assert pending.result().stdout == b"done"


def test_read_all_when_asked(client, server, address):
    pending = client.start(address, stdin_random=3 * MIB, seed=9)
    with accept(server, pending) as request:
        body = request.read()
        request.print(hashlib.sha256(body).hexdigest())
    assert len(body) == 3 * MIB
    assert pending.result().stdout == hashlib.sha256(body).hexdigest().encode()


def test_readline_and_iteration(client, server, address):
    body = b"first line\nsecond\n\n\x00\xff binary\r\nlast without newline"
    for reader in ("readline", "iteration", "body"):
        pending = client.start(address, stdin=body, stdin_chunk=3)
        with accept(server, pending) as request:
            if reader == "readline":
                lines = []
                while line := request.readline():
                    lines.append(line)
                assert request.readline() == b""
            elif reader == "iteration":
                lines = list(request)
            else:
                assert isinstance(request.body, io.BufferedIOBase)
                assert request.body.readline(5) == b"first"
                lines = [b"first" + request.body.readline()] + request.body.readlines()
            assert lines == [b"first line\n", b"second\n", b"\n", b"\x00\xff binary\r\n",
                             b"last without newline"]
        pending.result()


def test_readinto_fills_any_writable_buffer(client, server, address):
    body = os.urandom(200000)
    pending = client.start(address, stdin=body)
    with accept(server, pending) as request:
        whole = bytearray(150000)
        assert request.readinto(whole) == 150000
        rest = memoryview(bytearray(100000))
        got = request.readinto(rest[10:])
        assert got == 50000
        assert request.readinto(bytearray(10)) == 0
        assert request.readinto(bytearray()) == 0
    assert bytes(whole) + bytes(rest[10:10 + got]) == body
    pending.result()


def test_read_to_the_end_of_stream_whatever_content_length_says(client, server, address):
    pending = client.start(address, params=[("CONTENT_LENGTH", "3")], stdin=b"0123456789")
    with accept(server, pending) as request:
        assert request.read() == b"0123456789"
    pending.result()


def test_unread_body_is_discarded_on_a_kept_open_connection(client, serving):
    """The handler reads nothing of a 1 MiB body; the next requests on the
    same connection still parse (the client checks 5 identical answers)."""
    def handler(request: ffcgi.Request) -> None:
        request.print(f"keep_conn={request.keep_conn}")

    address = serving.start(handler)
    response = client.request(address, keep_conn=True, repeat=5, stdin_random=MIB)
    assert response.stdout == b"keep_conn=True"


def test_reading_a_finished_request_raises_state_error(client, server, address):
    pending = client.start(address, stdin=b"abc")
    request = accept(server, pending)
    body = request.body
    request.finish()
    for call in (request.read, request.readline, lambda: request.readinto(bytearray(3)),
                 lambda: iter(request), lambda: request.body, lambda: request.data,
                 body.read):
        with pytest.raises(ffcgi.StateError):
            call()
    pending.result()


def failing_body(server, address, reader):
    """Sends "line one\\npartial", then FCGI_ABORT_REQUEST; returns what
    ``reader(request)`` gives."""
    with fc.RawConnection(address) as conn:
        conn.send(fc.request_head([("A", "1")], keep_conn=True)
                  + fc.record(fc.STDIN, 1, b"line one\npartial") + fc.record(fc.ABORT_REQUEST, 1))
        with accept(server) as request:
            return reader(request)


def outcomes(call, times):
    """What ``call()`` returns or raises, ``times`` times in a row."""
    results = []
    for _ in range(times):
        try:
            results.append(call())
        except ffcgi.Error as error:
            results.append(type(error))
    return results


@pytest.mark.parametrize("method,expected", [
    ("read", [b"line one\npartial", ffcgi.RequestAborted, ffcgi.RequestAborted]),
    ("readline", [b"line one\n", b"partial", ffcgi.RequestAborted, ffcgi.RequestAborted]),
    ("readinto", [16, ffcgi.RequestAborted]),
    ("read all", [ffcgi.RequestAborted, ffcgi.RequestAborted]),
    ("read all, then read", [ffcgi.RequestAborted, b"line one\npartial", ffcgi.RequestAborted]),
    ("iteration", [b"line one\n", b"partial", ffcgi.RequestAborted]),
])
def test_the_bytes_before_a_failure_come_first_then_the_error(server, address, method, expected):
    def reader(request):
        if method == "read":
            return outcomes(lambda: request.read(100), 3)
        if method == "readline":
            return outcomes(request.readline, 4)
        if method == "readinto":
            return outcomes(lambda: request.readinto(bytearray(100)), 2)
        if method == "read all":
            return outcomes(request.read, 2)
        if method == "read all, then read":
            return outcomes(request.read, 1) + outcomes(lambda: request.read(100), 2)
        lines = iter(request)
        return outcomes(lambda: next(lines), 3)

    assert failing_body(server, address, reader) == expected


def test_read_waits_for_no_byte_beyond_what_it_returns(server, address):
    with fc.RawConnection(address) as conn:
        conn.send(fc.request_head([("A", "1")], keep_conn=True) + fc.record(fc.STDIN, 1, b"abcdef"))
        request = accept(server)
        got = []
        reader = threading.Thread(target=lambda: got.append((request.read(4), request.read(2))))
        reader.start()
        reader.join(10)
        assert not reader.is_alive(), "read(n) waited for more than n bytes"
        assert got == [(b"abcd", b"ef")]
        conn.send(fc.record(fc.STDIN, 1, b"gh") + fc.record(fc.STDIN, 1))
        assert request.read(1 << 40) == b"gh"  # a huge size allocates only what comes
        request.print("ok")
        request.finish()
        assert conn.read_response().stdout == b"ok"


CYCLE_AFTER_A_FAILURE = textwrap.dedent("""
    import gc, sys
    import ffcgi, fcgi_client as fc

    server = ffcgi.Server(sys.argv[1])
    for round in range(5):
        with fc.RawConnection(sys.argv[1]) as conn:
            conn.send(fc.request_head([("A", "1")], keep_conn=True)
                      + fc.record(fc.STDIN, 1, b"x" * 100) + fc.record(fc.ABORT_REQUEST, 1))
            request = server.accept()
            for reader in (lambda: request.read(1000), lambda: request.read(),
                           lambda: request.readinto(bytearray(1000)), request.readline,
                           lambda: request.body.raw.readinto(bytearray(1000))):
                try:
                    while reader():
                        pass
                except ffcgi.RequestAborted as error:
                    cycle = {"error": error}
                    cycle["cycle"] = cycle  # left to the cycle collector
            request.finish()
            del request, cycle, reader
            gc.collect()
    server.close()
    print("collected")
""")


def test_a_read_error_left_in_a_reference_cycle_is_collected_safely(address):
    """The traceback of a read error must hold no export of the read buffer:
    the cycle collector clears such exports in no safe order and crashed."""
    done = subprocess.run([sys.executable, "-X", "dev", "-c", CYCLE_AFTER_A_FAILURE, address],
                          capture_output=True, timeout=60,
                          env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert done.stdout == b"collected\n" and b"BufferError" not in done.stderr
