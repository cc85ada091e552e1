"""FILTER requests: the role, the FCGI_DATA stream (the file to filter) read
after the body, in pieces or whole, and its errors in the wrong order or
role."""
import os

import pytest

import ffcgi
from support import accept


@pytest.fixture
def data_file(sockdir):
    path = os.path.join(sockdir, "data")
    with open(path, "wb") as f:
        f.write(bytes(range(256)) * 800 + b"tail")  # 204804 bytes, every value
    return path


def test_filter_data_follows_the_body(client, server, address, data_file):
    pending = client.start(address, role="filter", data_file=data_file, stdin=b"the body",
                           stdin_chunk=1000)
    with accept(server, pending) as request:
        assert request.role == ffcgi.FILTER
        assert request.env["FCGI_ROLE"] == "FILTER"
        assert request.env["FCGI_DATA_LENGTH"] == str(os.path.getsize(data_file))
        assert request.read() == b"the body"
        data = request.data
        assert data is request.data  # one stream per request
        first = data.read(1000)
        line = data.readline()
        piece = bytearray(5000)
        n = data.readinto(piece)
        rest = data.read()
        assert data.read() == b""
        request.write(first + line + bytes(piece[:n]) + rest)
    with open(data_file, "rb") as f:
        assert pending.result().stdout == f.read()


def test_data_before_the_body_ends_raises_state_error(client, server, address, data_file):
    body = os.urandom(300000)  # more than one buffer: the body has not ended in the library
    pending = client.start(address, role="filter", data_file=data_file, stdin=body)
    with accept(server, pending) as request:
        assert request.read(2) == body[:2]
        with pytest.raises(ffcgi.StateError):
            request.data.read(10)
        assert request.read() == body[2:]
        assert request.data.read(4) == bytes(range(4))
        request.print("ok")
    assert pending.result().stdout == b"ok"


def test_data_of_a_responder_raises_role_error(client, server, address):
    pending = client.start(address, stdin=b"body")
    with accept(server, pending) as request:
        request.read()
        with pytest.raises(ffcgi.RoleError) as raised:
            request.data.read()
        assert isinstance(raised.value, RuntimeError)
        request.print("ok")
    assert pending.result().stdout == b"ok"


def test_unread_data_is_discarded_on_a_kept_open_connection(client, serving, data_file):
    def handler(request: ffcgi.Request) -> None:
        request.print(f"role={request.role}")

    address = serving.start(handler)
    response = client.request(address, role="filter", data_file=data_file, keep_conn=True,
                              repeat=4, stdin=b"unread body")
    assert response.stdout == b"role=3"
