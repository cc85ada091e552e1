"""Server: listeners (unix, TCP, IPv6, adopted and inherited descriptors,
plain CGI), the request lifecycle, close() and the garbage-collection safety
net, and the library/ABI checks."""
import gc
import os
import pathlib
import socket
import stat
import subprocess
import sys
import textwrap
import threading

import pytest

import ffcgi
from ffcgi import _lib
from support import accept


def reply(request: ffcgi.Request, text: str = "ok") -> None:
    request.header("Content-Type", "text/plain")
    request.print(text)


def test_unix_socket_gets_its_mode_and_is_removed_by_close(client, address):
    server = ffcgi.Server(address, mode=0o600, backlog=8)
    info = os.stat(address)
    assert stat.S_ISSOCK(info.st_mode)
    assert stat.S_IMODE(info.st_mode) == 0o600
    assert server.sockname == address
    assert server.fileno() >= 0 and not server.is_cgi and not server.closed
    pending = client.start(address, query="x=1")
    with accept(server, pending) as request:
        assert request.env["QUERY_STRING"] == "x=1"
        reply(request)
    assert pending.result().body == b"ok"
    server.close()
    assert server.closed and not os.path.exists(address)
    server.close()  # idempotent


def test_unix_prefix_bytes_and_pathlike_addresses(client, sockdir):
    for address, path in ((f"unix:{sockdir}/a.sock", f"{sockdir}/a.sock"),
                          (pathlib.Path(sockdir, "b.sock"), f"{sockdir}/b.sock"),
                          (f"{sockdir}/c.sock".encode(), f"{sockdir}/c.sock")):
        with ffcgi.Server(address) as server:
            assert os.path.exists(path)
            pending = client.start(path)
            with accept(server, pending) as request:
                reply(request, path)
            assert pending.result().body == path.encode()
        assert not os.path.exists(path)


@pytest.mark.parametrize("host", ["127.0.0.1", "[::1]"])
def test_tcp_port_zero_reports_the_port_it_got(client, host):
    with ffcgi.Server(f"{host}:0") as server:
        bound_host, port = server.sockname[:2]
        assert bound_host == host.strip("[]") and port > 0
        pending = client.start(f"{host}:{port}", method="GET")
        with accept(server, pending) as request:
            assert request.env["REQUEST_METHOD"] == "GET"
            reply(request)
        assert pending.result().body == b"ok"


def test_iteration_yields_requests_until_shutdown(client, server, address):
    pendings = [client.start(address, query=f"n={n}") for n in range(3)]
    seen = []
    for request in server:
        seen.append(request.env["QUERY_STRING"])
        reply(request, request.env["QUERY_STRING"])
        if len(seen) == 3:
            request.finish()
            server.shutdown()
    assert sorted(seen) == ["n=0", "n=1", "n=2"]
    assert sorted(p.result().body for p in pendings) == [b"n=0", b"n=1", b"n=2"]


def test_next_accept_finishes_the_previous_request(client, server, address):
    first_pending = client.start(address, query="first")
    first = accept(server, first_pending)
    first.print("one")
    second_pending = client.start(address, query="second")
    second = accept(server, second_pending)  # finishes `first`
    assert first.finished and not second.finished
    with pytest.raises(ffcgi.StateError):
        first.print("too late")
    assert first_pending.result().stdout == b"one"
    second.print("two")
    second.finish()
    second.finish()  # idempotent
    assert second_pending.result().stdout == b"two"


def test_close_finishes_open_requests_and_invalidates_them(client, address):
    server = ffcgi.Server(address)
    pending = client.start(address)
    request = accept(server, pending)
    request.print("partial")
    server.close()
    assert request.finished
    assert repr(request) == "<ffcgi.Request finished>"
    for call in (lambda: request.read(), lambda: request.print("x"), lambda: request.env,
                 lambda: request.role, lambda: request.status(200)):
        with pytest.raises(ffcgi.StateError):
            call()
    with pytest.raises(ffcgi.StateError):
        server.accept()
    with pytest.raises(ffcgi.StateError):
        server.fileno()
    server.shutdown()  # a no-op after close
    response = pending.result()
    assert response.stdout == b"partial" and response.protocol_status == 0


def test_from_fd_leaves_the_descriptor_to_the_caller(client, sockdir):
    path = os.path.join(sockdir, "own.sock")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(path)
    listener.listen()
    try:
        with ffcgi.Server.from_fd(listener.fileno()) as server:
            assert server.fileno() == listener.fileno()
            pending = client.start(path)
            with accept(server, pending) as request:
                reply(request, "adopted")
            assert pending.result().body == b"adopted"
        os.fstat(listener.fileno())  # still open
        assert os.path.exists(path)  # not the server's file to remove
        assert listener.getsockname() == path
    finally:
        listener.close()


CHILD_SERVES_ONE = textwrap.dedent("""
    import os, sys, ffcgi
    server = ffcgi.Server()
    request = server.accept()
    request.header("Content-Type", "text/plain")
    request.print(f"fastcgi={ffcgi.is_fastcgi()} cgi={server.is_cgi} fd={server.fileno()} "
                  f"id={request.request_id} body={request.read()!r}")
    request.finish()
    if server.is_cgi:
        assert server.accept() is None
    server.close()
""")


def test_inherits_a_listener_on_fd0_like_spawn_fcgi(client, sockdir, processes):
    path = os.path.join(sockdir, "inherited.sock")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(path)
    listener.listen()
    with listener:
        child = processes.start([sys.executable, "-c", CHILD_SERVES_ONE], stdin=listener.fileno())
    response = client.request(path, stdin=b"xyz")
    assert response.body == b"fastcgi=True cgi=False fd=0 id=1 body=b'xyz'"
    assert child.wait(30) == 0


def test_runs_once_as_plain_cgi_without_a_listener():
    env = dict(os.environ, GATEWAY_INTERFACE="CGI/1.1", REQUEST_METHOD="POST",
               CONTENT_LENGTH="4")
    done = subprocess.run([sys.executable, "-c", CHILD_SERVES_ONE], input=b"body",
                          capture_output=True, env=env, timeout=30)
    assert done.returncode == 0, done.stderr.decode()
    head, _, body = done.stdout.partition(b"\r\n\r\n")
    assert b"Content-Type: text/plain" in head.split(b"\r\n")
    assert body == b"fastcgi=False cgi=True fd=-1 id=0 body=b'body'"


def test_a_request_keeps_its_server_alive_and_gc_closes_a_forgotten_server(client, address):
    server = ffcgi.Server(address)
    pending = client.start(address)
    request = accept(server, pending)
    del server  # only the request refers to the server now
    gc.collect()
    assert os.path.exists(address)
    request.print("still served")
    request.finish()
    assert pending.result().stdout == b"still served"
    del request
    gc.collect()
    assert not os.path.exists(address), "the safety net did not free the forgotten server"


def test_threads_get_their_own_request_handles(client, server, address):
    pendings = [client.start(address, query=f"t={n}") for n in range(3)]
    results, lock = [], threading.Lock()

    def worker() -> None:
        request = accept(server)
        with lock:
            results.append((threading.get_ident(), request._handle))
        reply(request, request.env["QUERY_STRING"])
        request.finish()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len({handle for _, handle in results}) == 3
    assert sorted(p.result().body for p in pendings) == [b"t=0", b"t=1", b"t=2"]


def test_versions_and_abi_check():
    assert ffcgi.library_version() == ffcgi.__version__ == ffcgi.VERSION
    assert ffcgi.lib.ffcgi_abi_version() == ffcgi.ABI_VERSION
    assert not ffcgi.is_fastcgi()
    _lib.check_abi(ffcgi.lib)
    with pytest.raises(ImportError, match=rf"ABI version {ffcgi.ABI_VERSION} .*"
                                          rf"generated for ABI version {ffcgi.ABI_VERSION + 1}"):
        _lib.check_abi(ffcgi.lib, ffcgi.ABI_VERSION + 1)


def test_the_package_is_typed():
    package = os.path.dirname(ffcgi.__file__)
    assert os.path.exists(os.path.join(package, "py.typed"))
