"""The peer allow-list of a TCP listener: Server(allow=...), allow(),
refusals and last_refusal; FCGI_WEB_SERVER_ADDRS; unix sockets unaffected."""
import os

import pytest

import ffcgi
import fcgi_client as fc


def serve_ok(serving, server: ffcgi.Server) -> str:
    """Serves "ok" on ``server``; returns its address for fcgi-client."""
    serving.start(lambda request: request.print("ok"), server=server)
    host, port = server.sockname[:2]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def refused(address: str) -> bool:
    """True if the app closes a new connection without an answer."""
    with fc.RawConnection(address) as conn:
        try:
            conn.send(fc.whole_request([("A", "1")]))
        except (BrokenPipeError, ConnectionResetError):
            return True
        return conn.closed_by_peer(timeout=10)


def test_a_peer_outside_the_list_is_refused_and_counted(client, serving):
    server = ffcgi.Server("127.0.0.1:0", allow="10.0.0.0/8, 192.168.1.1")
    address = serve_ok(serving, server)
    assert server.refusals == 0 and server.last_refusal == ""
    assert refused(address)
    assert server.refusals == 1
    assert server.last_refusal.startswith("refused 127.0.0.1 port ")
    assert server.last_refusal.endswith("not in the allow-list")
    server.allow(["10.0.0.0/8", "127.0.0.0/8"])
    assert client.request(address).stdout == b"ok"
    server.allow(None)  # everyone again
    assert client.request(address).stdout == b"ok"
    assert server.refusals == 1


def test_ipv6_entries_and_prefixes(client, serving):
    server = ffcgi.Server("[::1]:0", allow=["fe80::/10"])
    address = serve_ok(serving, server)
    assert refused(address) and server.refusals == 1
    server.allow("::1/128")
    assert client.request(address).stdout == b"ok"


def test_a_bad_entry_is_refused_and_the_list_stays(serving):
    server = ffcgi.Server("127.0.0.1:0", allow="10.0.0.1")
    address = serve_ok(serving, server)
    for bad in ("not-an-address", "127.0.0.1/33", ["127.0.0.1", "::1/999"], "127.0.0.1\0"):
        with pytest.raises(ffcgi.InvalidArgumentError):
            server.allow(bad)
    assert refused(address)


def test_fcgi_web_server_addrs_from_the_environment(client, serving, monkeypatch):
    monkeypatch.setenv("FCGI_WEB_SERVER_ADDRS", "10.9.8.7")
    server = ffcgi.Server("127.0.0.1:0")
    address = serve_ok(serving, server)
    assert refused(address)
    server.allow("127.0.0.1")
    assert client.request(address).stdout == b"ok"


def test_unix_socket_peers_are_not_affected(client, serving, address):
    serve_ok_unix = ffcgi.Server(address, allow="10.0.0.1")
    serving.start(lambda request: request.print("ok"), server=serve_ok_unix)
    assert client.request(address).stdout == b"ok"
    assert serve_ok_unix.refusals == 0
    assert os.path.exists(address)
