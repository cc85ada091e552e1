"""Errors: the exception classes and their codes, bad addresses and
listeners, malformed records sent raw (the app keeps serving), aborted and
cut-off bodies, a vanished web server, and handlers that raise."""
import os
import pickle
import socket
import struct
import threading

import pytest

import ffcgi
import fcgi_client as fc
from ffcgi import errors
from support import accept

# FFCGI_E* name -> (class, the built-in exception it also is)
CLASSES = {
    "FFCGI_EINVAL": (ffcgi.InvalidArgumentError, ValueError),
    "FFCGI_ENOMEM": (ffcgi.OutOfMemoryError, MemoryError),
    "FFCGI_EADDRESS": (ffcgi.AddressError, ValueError),
    "FFCGI_ESOCKET": (ffcgi.SocketError, OSError),
    "FFCGI_EEXIST": (ffcgi.PathExistsError, FileExistsError),
    "FFCGI_EADDRINUSE": (ffcgi.AddressInUseError, OSError),
    "FFCGI_ENOTLISTENING": (ffcgi.NotListeningError, OSError),
    "FFCGI_ESHUTDOWN": (ffcgi.ServerShutdown, ffcgi.Error),
    "FFCGI_EIO": (ffcgi.ConnectionIOError, OSError),
    "FFCGI_EDISCONNECTED": (ffcgi.Disconnected, ConnectionError),
    "FFCGI_EHEADER": (ffcgi.HeaderError, ValueError),
    "FFCGI_ESTATE": (ffcgi.StateError, RuntimeError),
    "FFCGI_EROLE": (ffcgi.RoleError, RuntimeError),
    "FFCGI_ERANGE": (ffcgi.OutOfRangeError, IndexError),
    "FFCGI_EPROTOCOL": (ffcgi.ProtocolError, OSError),
    "FFCGI_EABORTED": (ffcgi.RequestAborted, ConnectionAbortedError),
    "FFCGI_ELIMIT": (ffcgi.LimitExceeded, ValueError),
    "FFCGI_ETIMEDOUT": (ffcgi.TimedOut, TimeoutError),
    "FFCGI_EFILE": (ffcgi.FileError, OSError),
}


def test_every_error_code_of_the_library_has_its_own_class():
    codes = {name: getattr(ffcgi.lib, name) for name in dir(ffcgi.lib)
             if name.startswith("FFCGI_E")}
    assert set(codes) == set(CLASSES), "a new FFCGI_E* code needs its class in ffcgi/errors.py"
    for name, code in codes.items():
        cls, builtin = CLASSES[name]
        assert errors.error_class(code) is cls
        assert issubclass(cls, ffcgi.Error) and issubclass(cls, builtin)
        error = cls(code, "detail")
        assert error.code == code and error.message == str(error) == "detail"
        assert error.description == ffcgi.ffi.string(ffcgi.lib.ffcgi_strerror(code)).decode()
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is cls and copy.code == code and str(copy) == "detail"
    assert errors.error_class(-999) is ffcgi.Error
    assert len({cls for cls, _ in CLASSES.values()}) == len(CLASSES)


def test_check_passes_results_and_raises_with_the_last_error_detail():
    assert errors.check(0) == 0 and errors.check(7) == 7
    with pytest.raises(ffcgi.InvalidArgumentError, match="fd -1 is negative"):
        ffcgi.Server.from_fd(-1)
    with pytest.raises(ffcgi.AddressError):
        errors.check(ffcgi.lib.FFCGI_EADDRESS)


@pytest.mark.parametrize("address,error,detail", [
    ("", ffcgi.AddressError, "empty"),
    ("no-port", ffcgi.AddressError, "no-port"),
    ("127.0.0.1:port", ffcgi.AddressError, "port must be a number"),
    ("127.0.0.1:70000", ffcgi.AddressError, "port must be a number"),
    ("[::1:9000", ffcgi.AddressError, "IPv6"),
    ("unix:", ffcgi.AddressError, "empty socket path"),
    ("no-such-host.invalid:9000", ffcgi.AddressError, "cannot resolve"),
    ("/tmp/with\0nul.sock", ffcgi.AddressError, "contains NUL"),
    ("/no-such-dir/app.sock", ffcgi.SocketError, "/no-such-dir/app.sock"),
    ("192.0.2.1:9000", ffcgi.SocketError, "Cannot assign requested address"),
])
def test_bad_addresses(address, error, detail):
    with pytest.raises(error, match=detail.replace("[", r"\[")):
        ffcgi.Server(address)


def test_a_unix_socket_with_a_live_listener_is_not_taken(client, address):
    with ffcgi.Server(address) as first:
        with pytest.raises(ffcgi.AddressInUseError, match="already listening") as raised:
            ffcgi.Server(address)
        assert isinstance(raised.value, OSError)
        pending = client.start(address)
        request = accept(first, pending)
        request.print("still the first")
        request.finish()
        assert pending.result().stdout == b"still the first"


def test_a_path_that_is_not_a_socket_is_never_touched(sockdir):
    path = os.path.join(sockdir, "precious.txt")
    with open(path, "w") as f:
        f.write("data")
    with pytest.raises(ffcgi.PathExistsError) as raised:
        ffcgi.Server(path)
    assert isinstance(raised.value, FileExistsError) and path in str(raised.value)
    with open(path) as f:
        assert f.read() == "data"
    with pytest.raises(ffcgi.PathExistsError):
        ffcgi.Server(sockdir)  # a directory
    assert os.path.isdir(sockdir)


def test_a_stale_socket_file_is_replaced(client, address):
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(address)
    stale.close()  # the file stays, nobody listens
    with ffcgi.Server(address) as server:
        pending = client.start(address)
        with accept(server, pending) as request:
            request.print("fresh")
        assert pending.result().stdout == b"fresh"


def test_a_tcp_port_in_use(address):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ffcgi.AddressInUseError, match=str(port)):
            ffcgi.Server(f"127.0.0.1:{port}")


def test_from_fd_refuses_what_is_not_a_listening_socket(sockdir):
    with open(os.path.join(sockdir, "file"), "w") as f:
        with pytest.raises(ffcgi.NotListeningError, match="not a listening socket"):
            ffcgi.Server.from_fd(f.fileno())
    with socket.socket() as unbound:
        with pytest.raises(ffcgi.NotListeningError):
            ffcgi.Server.from_fd(unbound.fileno())
    with pytest.raises(ffcgi.InvalidArgumentError):
        ffcgi.Server.from_fd(-1)


NV = fc.name_values([("A", "1")])
MALFORMED = {
    "not FastCGI at all": b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    "protocol version 2": fc.record(fc.BEGIN_REQUEST, 1, struct.pack(">HB5x", 1, 0), version=2)
                          + fc.stream(fc.PARAMS, 1, NV) + fc.stream(fc.STDIN, 1, b""),
    "a header cut short": fc.begin()[:5],
    "params before BEGIN_REQUEST": fc.stream(fc.PARAMS, 1, NV) + fc.stream(fc.STDIN, 1, b""),
    "a name-value length past the record": fc.begin() + fc.record(fc.PARAMS, 1, b"\x7f\x05ab")
                                           + fc.record(fc.PARAMS, 1) + fc.stream(fc.STDIN, 1, b""),
    "request id 0": fc.begin(request_id=0) + fc.stream(fc.PARAMS, 0, NV)
                    + fc.stream(fc.STDIN, 0, b""),
    "an unknown role": fc.begin(role=99) + fc.stream(fc.PARAMS, 1, NV)
                       + fc.stream(fc.STDIN, 1, b""),
    "nothing": b"",
}


def test_malformed_records_are_dropped_and_the_app_keeps_serving(client, serving, address):
    handled = []

    def handler(request: ffcgi.Request) -> None:
        handled.append(request.env.get("Q"))
        request.print(f"body={request.read()!r}")

    serving.start(handler, address=address)  # one thread: a stuck worker would show
    for name, data in MALFORMED.items():
        with fc.RawConnection(address, timeout=10) as conn:
            conn.send(data)
            conn.sock.shutdown(socket.SHUT_WR)
            records = []
            try:
                while True:
                    records.append(conn.read_record(timeout=10))
            except EOFError:
                pass
        # The library may answer (END_REQUEST{FCGI_UNKNOWN_ROLE}, a 431 for
        # broken params); the app's handler never sees such a request.
        assert not any(b"body=" in content for _, _, content in records), (name, records)
        response = client.request(address, params=[("Q", name)], stdin=b"after")
        assert response.stdout == b"body=b'after'", name
    assert handled == list(MALFORMED)


def test_management_records_are_answered_by_the_library(client, serving, address):
    handled = []

    def handler(request: ffcgi.Request) -> None:
        handled.append(request.request_id)
        request.print("ok")

    serving.start(handler, address=address)
    get_values = fc.record(fc.GET_VALUES, 0, fc.name_values(
        [("FCGI_MPXS_CONNS", ""), ("FCGI_MAX_CONNS", "")]))
    with fc.RawConnection(address) as conn:
        # libfcgi answers a management record when it reads the next record.
        conn.send(get_values + fc.whole_request([("A", "1")]))
        assert conn.read_record() == (fc.GET_VALUES_RESULT, 0, fc.name_values(
            [("FCGI_MPXS_CONNS", "0"), ("FCGI_MAX_CONNS", "1")]))
        assert conn.read_response().stdout == b"ok"
    with fc.RawConnection(address) as conn:
        conn.send(fc.record(42, 0, b"12345678") + fc.whole_request([("A", "1")]))
        assert conn.read_record() == (fc.UNKNOWN_TYPE, 0, bytes([42]) + b"\0" * 7)
    assert client.request(address).stdout == b"ok"
    assert len(handled) >= 2 and set(handled) == {1}


def body_error_then_serving(client, serving, address, tail: bytes):
    """Sends a request whose body ends with ``tail`` instead of its end,
    returns what the handler saw; then checks the app still serves."""
    seen = []

    def handler(request: ffcgi.Request) -> None:
        if request.env.get("MODE") == "broken":
            got = b""
            try:
                while chunk := request.read(3):
                    got += chunk
            except ffcgi.Error as error:
                seen.append((got, error))
                raise
            seen.append((got, None))
        request.print("fine")

    serving.start(handler, address=address)
    with fc.RawConnection(address) as conn:
        conn.send(fc.request_head([("MODE", "broken")]) + fc.record(fc.STDIN, 1, b"partial")
                  + tail)
        if not tail:
            conn.sock.shutdown(socket.SHUT_RDWR)
        else:
            response = conn.read_response()
            assert b"Status: 500" in response.stdout  # the handler raised
            assert b"ffcgi.errors" in response.stderr
    assert client.request(address).stdout == b"fine"
    assert len(seen) == 1
    return seen[0]


def test_an_aborted_request_raises_request_aborted_after_its_bytes(client, serving, address):
    got, error = body_error_then_serving(client, serving, address,
                                         fc.record(fc.ABORT_REQUEST, 1))
    assert got == b"partial"
    assert isinstance(error, ffcgi.RequestAborted) and isinstance(error, ConnectionError)


def test_a_body_cut_off_by_a_closed_connection_raises_disconnected(client, serving, address):
    got, error = body_error_then_serving(client, serving, address, b"")
    assert got == b"partial"
    assert isinstance(error, ffcgi.Disconnected)


def test_writing_to_a_vanished_web_server_raises_disconnected(serving, address, client):
    outcome = []
    started = threading.Event()

    def handler(request: ffcgi.Request) -> None:
        if request.env.get("MODE") != "big":
            request.print("fine")
            return
        started.set()
        try:
            for _ in range(2000):  # up to 128 MiB: far more than any socket buffer
                request.write(b"x" * 65536)
            request.flush()
        except ffcgi.Disconnected as error:
            outcome.append(error)
            raise

    serving.start(handler, address=address)
    with fc.RawConnection(address) as conn:
        conn.send(fc.whole_request([("MODE", "big")]))
        assert started.wait(10)
        conn.read_record()
    assert client.request(address).stdout == b"fine"
    assert len(outcome) == 1
    assert isinstance(outcome[0], ConnectionError)


def test_a_handler_that_raises_gets_a_500_and_the_worker_goes_on(client, serving, address):
    def handler(request: ffcgi.Request) -> None:
        mode = request.env.get("MODE")
        if mode == "early":
            request.header("X-Queued", "before the error")
            raise KeyError("boom-early")
        if mode == "late":
            request.print("partial output")
            request.flush()
            raise RuntimeError("boom-late")
        request.print("fine")

    serving.start(handler, address=address)
    early = client.request(address, params=[("MODE", "early")])
    assert early.status_line == b"500 Internal Server Error"
    assert early.body == b"Internal Server Error\n"
    assert b"KeyError: 'boom-early'" in early.stderr and b"Traceback" in early.stderr
    late = client.request(address, params=[("MODE", "late")])
    assert late.stdout == b"partial output"
    assert b"RuntimeError: boom-late" in late.stderr
    assert late.protocol_status == 0
    assert client.request(address).stdout == b"fine"


def test_system_exit_in_a_handler_stops_serving_and_is_re_raised(client, address):
    def handler(request: ffcgi.Request) -> None:
        request.print("last words")
        raise SystemExit(3)

    server = ffcgi.Server(address)
    result = []

    def run() -> None:
        try:
            ffcgi.serve_on(server, handler, threads=2, handle_signals=False)
        except SystemExit as error:
            result.append(error.code)

    thread = threading.Thread(target=run)
    thread.start()
    response = client.request(address)
    thread.join(30)
    assert not thread.is_alive() and result == [3]
    assert response.stdout == b"last words"
    assert server.closed and not os.path.exists(address)


def test_serve_refuses_zero_threads(address):
    with pytest.raises(ValueError):
        ffcgi.serve(lambda request: None, address, threads=0)
    assert not os.path.exists(address)
