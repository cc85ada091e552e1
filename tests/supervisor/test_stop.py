#!/usr/bin/python3
"""test_stop.py — SIGTERM and SIGINT stop the supervisor gracefully: the
socket file goes at once (new connections are refused), a slow request in
flight completes, every worker exits 0, the supervisor exits 0. A worker
that outlives --grace-ms is killed; a second signal kills at once. A
worker answers a connection it accepted just before its SIGTERM, even when
the request's bytes come after the signal (what a rolling restart needs)."""
import os
import signal
import socket
import struct
import subprocess
import time

from harness import echo_ok, expect, main, request, wait_until


def start(paths, ws, grace_ms):
    sock = ws.path("slow.sock")
    sup = ws.supervise("sup", ["--socket", sock, "--workers", "3", "--grace-ms", str(grace_ms)],
                       [paths.slow_app])
    sup.wait_log(r"worker \d pid \d+ started", count=3)
    wait_until("the socket", lambda: request(paths, sock, "sleep_ms=0")[0] == 0)
    return sup, sock


def slow_request(paths, ws, sup, sock, ms):
    """Starts a request that sleeps `ms` in the app; returns it once the app
    has logged that it sleeps (so it is in flight), with the worker's pid."""
    out = open(ws.path("slow.out"), "w+b")
    proc = subprocess.Popen([paths.client, "--socket", sock, "--query", "sleep_ms=%d" % ms,
                             "--timeout", "30000"], stdout=out, stderr=subprocess.STDOUT)
    m = sup.wait_log(r"slow_app pid (\d+): sleeping %d ms" % ms)[0]
    return proc, out, int(m.group(1))


def sigterm_lets_requests_in_flight_finish(paths, ws):
    sup, sock = start(paths, ws, 10000)
    proc, out, _ = slow_request(paths, ws, sup, sock, 1500)
    t0 = time.monotonic()
    sup.signal(signal.SIGTERM)
    wait_until("the socket file to go", lambda: not os.path.exists(sock), timeout=1.0)
    rc, _, err = request(paths, sock, "sleep_ms=0", timeout_ms=2000)
    expect(rc == 1 and "connect" in err.lower(), "a new connection is refused: rc=%d %r" % (rc, err))
    expect(proc.wait(timeout=10) == 0, "the request in flight completed")
    out.seek(0)
    body = out.read().decode()
    expect("slept 1500 ms" in body, "its answer is whole: %r" % body)
    expect(sup.wait_exit() == 0, "exit status 0")
    took = time.monotonic() - t0
    expect(1.0 < took < 8.0, "the stop waited for the request (%.1f s)" % took)
    ends = sup.matches(r"worker \d pid \d+ exited with status 0 after [\d.]+ s \(stopping\)")
    expect(len(ends) == 3, "all three workers exited 0: %d" % len(ends))
    expect(sup.log().rstrip().endswith("stopped"), "the last line says stopped")


def sigint_stops_too(paths, ws):
    sup, sock = start(paths, ws, 10000)
    sup.signal(signal.SIGINT)
    expect(sup.wait_exit() == 0, "exit status 0 after SIGINT")
    expect(not os.path.exists(sock), "socket removed")
    expect(len(sup.matches(r"exited with status 0 after [\d.]+ s \(stopping\)")) == 3,
           "all three workers exited 0")


def grace_period_ends_with_sigkill(paths, ws):
    sup, sock = start(paths, ws, 500)
    proc, _, pid = slow_request(paths, ws, sup, sock, 20000)
    t0 = time.monotonic()
    sup.signal(signal.SIGTERM)
    expect(sup.wait_exit() == 0, "exit status 0")
    took = time.monotonic() - t0
    expect(took < 5.0, "stopped %.1f s after SIGTERM, not after the 20 s request" % took)
    sup.wait_log(r"worker \d pid %d still running 500 ms after SIGTERM: sending SIGKILL" % pid)
    sup.wait_log(r"worker \d pid %d killed by signal 9 \(SIGKILL\) after [\d.]+ s \(stopping\)"
                 % pid)
    expect(proc.wait(timeout=10) != 0, "the killed request failed, as it must")
    expect(not os.path.exists(sock), "socket removed")


def second_signal_kills_at_once(paths, ws):
    sup, sock = start(paths, ws, 60000)
    proc, _, pid = slow_request(paths, ws, sup, sock, 20000)
    t0 = time.monotonic()
    sup.signal(signal.SIGTERM)
    sup.wait_log(r"stopping: SIGTERM sent to 3 workers")
    sup.signal(signal.SIGINT)
    expect(sup.wait_exit() == 0, "exit status 0")
    expect(time.monotonic() - t0 < 5.0, "the second signal did not wait for the grace period")
    sup.wait_log(r"stopping now: SIGKILL sent to \d workers?")  # 1, and any not reaped yet
    sup.wait_log(r"worker \d pid %d killed by signal 9" % pid)
    proc.wait(timeout=10)


def record(kind, content):
    return struct.pack(">BBHHBx", 1, kind, 1, len(content), 0) + content


def open_sockets(pid):
    """The sockets process `pid` holds, as their "socket:[inode]" names."""
    names = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            names.add(os.readlink("/proc/%d/fd/%s" % (pid, fd)))
        except OSError:  # closed meanwhile
            pass
    return {name for name in names if name.startswith("socket:")}


def connection_accepted_before_sigterm_is_answered(paths, ws):
    """examples/echo alone: a client connects and waits until the app has
    accepted, the app gets SIGTERM, then the client sends its request."""
    sock = ws.path("accepted.sock")
    app = subprocess.Popen([paths.echo, "--socket", sock], stdin=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    client = socket.socket(socket.AF_UNIX)
    try:
        # One answered request first: every descriptor the app keeps is open.
        wait_until("the app to answer", lambda: echo_ok(paths, sock)[0])
        before = open_sockets(app.pid)
        client.settimeout(10)
        client.connect(sock)
        wait_until("the app to accept", lambda: open_sockets(app.pid) - before)
        app.send_signal(signal.SIGTERM)
        time.sleep(0.2)
        client.sendall(record(1, struct.pack(">HB5x", 1, 0)) + record(4, b"") + record(5, b""))
        answer = b""
        while True:  # the request does not keep the connection: read to its close
            chunk = client.recv(65536)
            if not chunk:
                break
            answer += chunk
        expect(b"\x01\x03\x00\x01" in answer, "an FCGI_END_REQUEST came: %r" % answer[:200])
        expect(b"Content-Type: text/plain" in answer, "the echo answered: %r" % answer[:200])
        expect(app.wait(timeout=10) == 0, "the app exited 0 after answering")
    finally:
        client.close()
        if app.poll() is None:
            app.kill()
            app.wait(timeout=10)


if __name__ == "__main__":
    main([("SIGTERM: requests in flight finish, socket removed, exit 0",
           sigterm_lets_requests_in_flight_finish),
          ("SIGINT stops gracefully too", sigint_stops_too),
          ("a worker that outlives --grace-ms is killed", grace_period_ends_with_sigkill),
          ("a second stop signal kills at once", second_signal_kills_at_once),
          ("a connection accepted just before SIGTERM is answered",
           connection_accepted_before_sigterm_is_answered)])
