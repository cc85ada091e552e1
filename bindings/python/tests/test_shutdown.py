"""Shutdown: shutdown() from another thread makes blocked accept() calls
return None (also on a kept-open connection), requests accepted before it
still complete, close() wakes waiters, and SIGTERM/SIGINT to a serving
process let the request in flight finish, then it exits 0 and removes its
socket."""
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import ffcgi
import fcgi_client as fc
from support import accept, read_line

HERE = os.path.dirname(os.path.abspath(__file__))
ANNOUNCE = os.path.join(HERE, "apps", "announce.py")


def blocked_accepts(server: ffcgi.Server, count: int):
    """Starts ``count`` threads blocked in server.accept(); returns them and
    the list each appends (result, time.monotonic()) to."""
    results = []

    def wait() -> None:
        request = server.accept()
        results.append((request, time.monotonic()))

    threads = [threading.Thread(target=wait) for _ in range(count)]
    for thread in threads:
        thread.start()
    time.sleep(0.2)
    assert all(thread.is_alive() for thread in threads), "accept() returned without a request"
    return threads, results


def test_shutdown_from_another_thread_makes_blocked_accepts_return_none(server):
    threads, results = blocked_accepts(server, 3)
    shutdown_at = time.monotonic()
    server.shutdown()
    for thread in threads:
        thread.join(10)
    assert not any(thread.is_alive() for thread in threads)
    assert [request for request, _ in results] == [None, None, None]
    assert max(at for _, at in results) - shutdown_at < 2.0
    assert server.accept() is None  # and every later accept
    server.shutdown()  # idempotent


def test_shutdown_wakes_an_accept_waiting_on_a_kept_open_connection(server, address):
    waiting = threading.Event()
    results = []

    def worker() -> None:
        request = accept(server)
        results.append(request.keep_conn)
        request.print("first")
        waiting.set()
        results.append(server.accept())  # finishes it, then waits on the connection

    thread = threading.Thread(target=worker)
    with fc.RawConnection(address) as conn:
        thread.start()
        conn.send(fc.whole_request([("A", "1")], keep_conn=True))
        assert waiting.wait(10)
        assert conn.read_response().stdout == b"first"
        time.sleep(0.2)
        assert thread.is_alive(), "accept() returned without a request"
        server.shutdown()
        thread.join(10)
        assert not thread.is_alive() and results == [True, None]
        assert conn.closed_by_peer(), "the kept-open connection was not closed at shutdown"


def test_a_request_accepted_before_shutdown_still_completes(server, address):
    with fc.RawConnection(address) as conn:
        # keep_conn: libfcgi's close at finish would wait (up to 2 s) for this
        # single-threaded test to close its end first.
        conn.send(fc.request_head([("A", "1")], keep_conn=True))
        request = accept(server)
        server.shutdown()
        conn.send(fc.stream(fc.STDIN, 1, b"sent after the shutdown"))
        request.print(f"got {request.read()!r}")
        request.finish()
        response = conn.read_response()
    assert response.stdout == b"got b'sent after the shutdown'"
    assert response.protocol_status == 0
    assert server.accept() is None


def test_close_from_another_thread_wakes_blocked_accepts_and_removes_the_socket(address):
    server = ffcgi.Server(address)
    threads, results = blocked_accepts(server, 2)
    server.close()
    for thread in threads:
        thread.join(10)
    assert [request for request, _ in results] == [None, None]
    assert server.closed and not os.path.exists(address)


def test_serve_on_returns_after_shutdown_and_closes(client, serving, address):
    serving.start(lambda request: request.print("ok"), threads=3, address=address)
    assert client.request(address).stdout == b"ok"
    serving.stop()  # shutdown(), then serve_on must return within 30 s and close
    assert not os.path.exists(address)


@pytest.mark.parametrize("signo", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_lets_the_request_in_flight_finish(processes, address, signo):
    app = processes.python_app(ANNOUNCE, "--socket", address, "--threads", "2",
                               stdout=subprocess.PIPE)
    fc.wait_for_listener(address, app)
    conn = fc.RawConnection(address)
    late = None
    try:
        conn.send(fc.request_head([("I", "1")]) + fc.record(fc.STDIN, 1, b"x" * 1000))
        assert read_line(app.stdout) == "begin 1"
        app.send_signal(signo)
        time.sleep(0.5)
        assert app.poll() is None, "the app exited with a request in flight"
        late = fc.RawConnection(address)
        late.send(fc.whole_request([("I", "late")]))
        conn.send(fc.record(fc.STDIN, 1, b"y" * 500) + fc.record(fc.STDIN, 1))
        response = conn.read_response()
        conn.close()  # as a web server does after the END_REQUEST
        assert response.stdout == b"bytes=1500" and response.protocol_status == 0
        assert read_line(app.stdout) == "end 1"
        assert read_line(app.stdout) == "stopped"
        assert app.wait(10) == 0
        with pytest.raises((EOFError, ConnectionResetError)):
            late.read_record(timeout=5)  # never served: the app had stopped accepting
    finally:
        conn.close()
        if late is not None:
            late.close()
    assert not os.path.exists(address)


SIGNAL_RESTORE = textwrap.dedent("""
    import os, signal, sys, threading, time
    import ffcgi

    def mine(signo, frame):
        pass

    signal.signal(signal.SIGTERM, mine)
    server = ffcgi.Server(sys.argv[1])
    threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGTERM)).start()
    ffcgi.serve_on(server, lambda request: None, threads=2)
    print(signal.getsignal(signal.SIGTERM) is mine,
          signal.getsignal(signal.SIGINT) is signal.default_int_handler,
          os.path.exists(sys.argv[1]))
""")


def test_serve_restores_the_signal_handlers_it_replaced(address):
    done = subprocess.run([sys.executable, "-c", SIGNAL_RESTORE, address], capture_output=True,
                          timeout=30)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout == b"True True False\n"
