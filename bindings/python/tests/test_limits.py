"""Limits: Server(limits=...), set_limit() and limit(); a CONTENT_LENGTH over
LIMIT_BODY_BYTES is answered 413 by the library and never reaches the app; a
body that grows past it raises LimitExceeded, never giving a byte past the
limit, and the library answers 413 in the app's place; too many params never
reach the app; a stalled
connection raises TimedOut; serve(limits=...)."""
import os
import subprocess
import sys
import textwrap
import time

import pytest

import ffcgi
import fcgi_client as fc
from support import accept, read_line

DEFAULTS = {ffcgi.LIMIT_PARAM_BYTES: 1 << 20, ffcgi.LIMIT_PARAMS: 10000,
            ffcgi.LIMIT_BODY_BYTES: 0, ffcgi.LIMIT_IDLE_MS: 60000,
            ffcgi.LIMIT_CONNECTIONS: 1024}


def test_limits_are_set_read_and_checked(address):
    with ffcgi.Server(address) as server:
        assert {limit: server.limit(limit) for limit in DEFAULTS} == DEFAULTS
        server.set_limit(ffcgi.LIMIT_BODY_BYTES, 5 << 30)
        assert server.limit(ffcgi.LIMIT_BODY_BYTES) == 5 << 30
        server.set_limit(ffcgi.LIMIT_CONNECTIONS, 64)
        assert server.limit(ffcgi.LIMIT_CONNECTIONS) == 64
        for bad in ((99, 1), (ffcgi.LIMIT_PARAMS, -1), (ffcgi.LIMIT_CONNECTIONS, 0)):
            with pytest.raises(ffcgi.InvalidArgumentError):
                server.set_limit(*bad)
        with pytest.raises(ffcgi.InvalidArgumentError):
            server.limit(0)
    with pytest.raises(ffcgi.StateError):
        server.set_limit(ffcgi.LIMIT_PARAMS, 1)
    with ffcgi.Server(address, limits={ffcgi.LIMIT_PARAMS: 7, ffcgi.LIMIT_IDLE_MS: 0}) as server:
        assert server.limit(ffcgi.LIMIT_PARAMS) == 7 and server.limit(ffcgi.LIMIT_IDLE_MS) == 0
    with pytest.raises(ffcgi.InvalidArgumentError):
        ffcgi.Server(address, limits={ffcgi.LIMIT_PARAMS: -5})
    assert not os.path.exists(address), "a server refused for its limits left its socket"


def test_a_declared_body_over_the_limit_is_answered_413_before_the_app(client, serving,
                                                                       address):
    seen = []

    def handler(request: ffcgi.Request) -> None:
        seen.append(request.env.get("CONTENT_LENGTH"))
        request.print("ok")

    serving.start(handler, server=ffcgi.Server(address, limits={ffcgi.LIMIT_BODY_BYTES: 1000}))
    refused = client.request(address, stdin_random=5000)  # CONTENT_LENGTH 5000
    assert refused.status_line == b"413 Content Too Large"
    assert refused.body == b"413 Content Too Large\n"
    assert client.request(address, stdin=b"x" * 1000).stdout == b"ok"
    assert seen == ["1000"]  # the refused request never reached the app


def test_a_body_growing_past_the_limit_raises_and_the_library_answers_413(client, address):
    with ffcgi.Server(address, limits={ffcgi.LIMIT_BODY_BYTES: 1000}) as server:
        # no declared length (as for a chunked upload): the limit is met while reading
        pending = client.start(address, stdin_random=5000, params=[("CONTENT_LENGTH", "")])
        with accept(server, pending) as request:
            got = b""
            with pytest.raises(ffcgi.LimitExceeded) as raised:
                while chunk := request.read(300):
                    got += chunk
            assert isinstance(raised.value, ValueError)
            assert len(got) <= 1000  # never a byte past the limit
            request.status(400)  # what the app says after that is dropped
            request.print("the app's own answer")
        response = pending.result()
    assert response.status_line == b"413 Content Too Large"
    assert response.body == b"413 Content Too Large\n"


def test_too_many_params_never_reach_the_app(client, serving, address):
    seen = []

    def handler(request: ffcgi.Request) -> None:
        seen.append(len(request.params))
        request.print("ok")

    serving.start(handler, server=ffcgi.Server(address, limits={ffcgi.LIMIT_PARAMS: 5}))
    refused = client.request(address, params=[(f"P{i}", "v") for i in range(10)])
    assert refused.status_line.startswith(b"431")
    assert client.request(address, params=[("P", "v")]).stdout == b"ok"
    assert seen == [2]  # P and FCGI_ROLE


def test_a_stalled_connection_raises_timed_out(serving, client, address):
    outcome = []

    def handler(request: ffcgi.Request) -> None:
        if request.env.get("MODE") == "stall":
            started = time.monotonic()
            try:
                request.read()
            except ffcgi.TimedOut as error:
                outcome.append((time.monotonic() - started, error))
                raise
        request.print("fine")

    server = ffcgi.Server(address, limits={ffcgi.LIMIT_IDLE_MS: 300})
    serving.start(handler, server=server)
    with fc.RawConnection(address) as conn:
        conn.send(fc.request_head([("MODE", "stall")]) + fc.record(fc.STDIN, 1, b"then nothing"))
        response = conn.read_response(timeout=20)
    assert b"Status: 500" in response.stdout
    assert len(outcome) == 1
    waited, error = outcome[0]
    assert 0.25 < waited < 10 and isinstance(error, TimeoutError)
    assert client.request(address).stdout == b"fine"


SERVE_WITH_LIMITS = textwrap.dedent("""
    import sys
    import ffcgi

    def handler(request):
        request.header("Content-Type", "text/plain")
        try:
            request.read()
            request.print("read it all")
        except ffcgi.LimitExceeded:
            request.status(413)
            request.print("refused")

    print("serving", flush=True)
    ffcgi.serve(handler, sys.argv[1], threads=2, limits={ffcgi.LIMIT_BODY_BYTES: 10})
""")


def test_serve_takes_limits(client, processes, address):
    app = processes.start([sys.executable, "-c", SERVE_WITH_LIMITS, address],
                          stdout=subprocess.PIPE)
    assert read_line(app.stdout) == "serving"
    fc.wait_for_listener(address, app)
    assert client.request(address, stdin=b"0123456789").body == b"read it all"
    refused = client.request(address, stdin=b"0123456789x")
    assert (refused.status_line, refused.body) == (b"413 Content Too Large",
                                                   b"413 Content Too Large\n")
    assert processes.stop(app) == 0
