"""Params (FCGI_PARAMS): params, env, env_bytes — 1000 of them, UTF-8 and
binary bytes through surrogateescape, repeated names, nothing left over from
an earlier request — and the request's role, id and keep_conn."""
import os
import threading

import pytest

import ffcgi
import fcgi_client
from support import accept

EVERY_BYTE = bytes(range(1, 256))  # a param value cannot hold NUL (libfcgi: C strings)


def own_params(request: ffcgi.Request):
    """The params the client sent: without the FCGI_ROLE that libfcgi adds."""
    return [(name, value) for name, value in request.params if name != b"FCGI_ROLE"]


def test_1000_params_in_order_with_long_values_split_across_records(client, server, address,
                                                                    sockdir):
    sent = [(b"P%04d" % i, b"v" * (i % 300) + b"%d" % i) for i in range(1000)]
    param_file = os.path.join(sockdir, "params")
    with open(param_file, "wb") as f:
        f.writelines(name + b"=" + value + b"\n" for name, value in sent)
    pending = client.start(address, param_file=param_file, params_chunk=7)
    with accept(server, pending) as request:
        assert own_params(request) == sent
        assert (b"FCGI_ROLE", b"RESPONDER") in request.params
        assert len(request.env) == len(request.env_bytes) == 1001
        assert request.env["P0999"] == "v" * (999 % 300) + "999"
        assert request.env_bytes[b"P0299"] == b"v" * 299 + b"299"
    pending.result()


def test_utf8_and_binary_params_survive_surrogateescape(client, server, address):
    sent = [("NAME_UTF8".encode(), "é日本".encode()),
            ("é_name".encode(), b"x"),
            (bytes(range(0x80, 0x100)), b"high-bytes name"),
            (b"BINARY", EVERY_BYTE),
            (b"EMPTY", b""),
            (b"LONG", bytes(range(1, 256)) * 400)]  # 102000 bytes: a 4-byte length
    pending = client.start(address, params=sent)
    with accept(server, pending) as request:
        assert own_params(request) == sent
        for name, value in sent:
            text_name = name.decode("utf-8", "surrogateescape")
            text_value = request.env[text_name]
            assert isinstance(text_value, str)
            assert text_value.encode("utf-8", "surrogateescape") == value
            assert request.env_bytes[name] == value
        assert request.env["NAME_UTF8"] == "é日本"
        assert request.env["é_name"] == "x"
    pending.result()


def test_a_repeated_name_keeps_every_value_in_params_and_the_first_in_env(client, server,
                                                                          address):
    pending = client.start(address, params=[("DUP", "one"), ("X", "1"), ("DUP", "two")])
    with accept(server, pending) as request:
        assert own_params(request) == [(b"DUP", b"one"), (b"X", b"1"), (b"DUP", b"two")]
        assert request.env["DUP"] == "one" and request.env_bytes[b"DUP"] == b"one"
    pending.result()


def test_env_is_read_only_and_a_missing_name_is_absent(client, server, address):
    pending = client.start(address, method="GET")
    with accept(server, pending) as request:
        with pytest.raises(TypeError):
            request.env["REQUEST_METHOD"] = "POST"  # type: ignore[index]
        with pytest.raises(TypeError):
            request.env_bytes[b"NEW"] = b"x"  # type: ignore[index]
        assert "QUERY_STRING" not in request.env
        assert request.env.get("QUERY_STRING", "default") == "default"
        with pytest.raises(KeyError):
            request.env["PATH"]  # nothing of the process environment
        assert request.env["REQUEST_METHOD"] == "GET"
    pending.result()


def test_no_params_are_left_over_from_an_earlier_request_on_the_connection(serving, address):
    seen = []

    def handler(request: ffcgi.Request) -> None:
        seen.append((request.request_id, request.keep_conn, own_params(request)))
        request.print("ok")

    serving.start(handler, address=address)
    with fcgi_client.RawConnection(address) as conn:
        conn.send(fcgi_client.whole_request([("A", "1"), ("B", "2")], request_id=1,
                                            keep_conn=True))
        assert conn.read_response(1).stdout == b"ok"
        conn.send(fcgi_client.whole_request([("C", "3")], request_id=2, keep_conn=False))
        assert conn.read_response(2).stdout == b"ok"
        assert conn.closed_by_peer(), "the app keeps a connection the web server let go"
    assert seen == [(1, True, [(b"A", b"1"), (b"B", b"2")]), (2, False, [(b"C", b"3")])]


@pytest.mark.parametrize("role,number,name", [("responder", ffcgi.RESPONDER, "RESPONDER"),
                                              ("authorizer", ffcgi.AUTHORIZER, "AUTHORIZER")])
def test_role_request_id_and_keep_conn(client, server, address, role, number, name):
    pending = client.start(address, role=role, params=[("X", "1")], keep_conn=True)
    with accept(server, pending) as request:
        assert request.role == number
        assert request.request_id == 1
        assert request.keep_conn is True
        assert request.env["FCGI_ROLE"] == name
        assert repr(request) == f"<ffcgi.Request id=1 role={name}>"
    pending.result()


def test_request_id_as_the_web_server_chose_it(server, address):
    def web_server() -> None:
        with fcgi_client.RawConnection(address) as conn:
            conn.send(fcgi_client.whole_request([("X", "1")], request_id=4242))
            responses.append(conn.read_response(4242))

    responses = []
    thread = threading.Thread(target=web_server)
    thread.start()
    with accept(server) as request:
        assert request.request_id == 4242 and request.keep_conn is False
        request.print("ok")
    thread.join(30)
    assert responses and responses[0].stdout == b"ok"


def test_params_of_a_finished_request_raise_state_error(client, server, address):
    pending = client.start(address, method="GET")
    request = accept(server, pending)
    request.finish()
    for attribute in ("params", "env", "env_bytes", "role", "request_id", "keep_conn"):
        with pytest.raises(ffcgi.StateError):
            getattr(request, attribute)
    pending.result()
