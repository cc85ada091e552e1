"""checks.py — the HTTP checks the front-end tests run through a web server.

echo_checks() checks an echo app (tests/conformance/ECHO_CONTRACT.md) and
stream_checks() a stream app (tests/frontends/README.md, "The stream app")
behind a web server on 127.0.0.1:port under the URL path loc. Each returns
(label, check) pairs for frontend.run().
"""
import hashlib
import os
import socket
import struct
import time

from frontend import Failure, expect, fetch

POST_SIZE = 3 * 1024 * 1024
DOWNLOAD_SIZE = 5 * 1024 * 1024
ABANDONED_SIZE = 64 * 1024 * 1024  # far more than the socket buffers on the way hold
READ_BEFORE_LEAVING = 1024 * 1024
STATUSES = (201, 404, 503)
WENT_AWAY = "stream: client went away"


def pattern(size):
    """The stream app's body: byte i is i % 251."""
    unit = bytes(range(251))
    return (unit * (size // 251 + 1))[:size]


def expect_line(body, line):
    expect(("\n" + line + "\n").encode() in b"\n" + body,
           "no line %r in the body:\n%s" % (line, body[:2000].decode("ascii", "replace")))


def expect_status(resp, status):
    expect(resp.status == status, "status %d, expected %d; body: %r"
           % (resp.status, status, resp.body[:300]))


def wait_for_text(what, read, text, count_before=0, timeout=10.0):
    """Waits until read() holds text more than count_before times."""
    deadline = time.monotonic() + timeout
    while read().count(text) <= count_before:
        if time.monotonic() > deadline:
            raise Failure("%s: %r did not appear within %.0f s" % (what, text, timeout))
        time.sleep(0.05)


def echo_checks(port, loc, error_log=None, stderr_marker=None, read=None):
    """GET with a query, a 3 MiB POST, non-200 statuses and, when error_log is
    given, the app's FCGI_STDERR in that log on a line with stderr_marker
    (read(path) returns a file's text)."""
    def get_with_query():
        resp = fetch(port, "GET", loc + "?a=1&b=two")
        expect_status(resp, 200)
        expect(resp.header("Content-Type").startswith("text/plain"),
               "Content-Type %r" % resp.header("Content-Type"))
        for line in ("method=GET", "query=a%3D1&b%3Dtwo", "stdin_bytes=0"):
            expect_line(resp.body, line)
        expect(resp.body.endswith(b"\nend\n"), "the body does not end with 'end'")

    def post_body():
        data = os.urandom(POST_SIZE)
        resp = fetch(port, "POST", loc, body=data,
                    headers={"Content-Type": "application/octet-stream"})
        expect_status(resp, 200)
        for line in ("method=POST", "stdin_bytes=%d" % POST_SIZE,
                     "stdin_sha256=" + hashlib.sha256(data).hexdigest(),
                     "CONTENT_LENGTH=%d" % POST_SIZE):
            expect_line(resp.body, line)

    def statuses():
        for status in STATUSES:
            resp = fetch(port, "GET", "%s?status=%d" % (loc, status))
            expect_status(resp, status)
            expect_line(resp.body, "query=status%%3D%d" % status)  # the app's answer

    def stderr_to_log():
        token = "hello-%s" % os.urandom(6).hex()
        expect_status(fetch(port, "GET", loc + "?stderr=" + token), 200)
        wait_for_text("the error log", lambda: read(error_log), token)
        lines = [l for l in read(error_log).splitlines() if token in l]
        expect(any(stderr_marker in l for l in lines),
               "the error log line is not the app's stderr (%r): %r" % (stderr_marker, lines))

    checks = [("GET with a query", get_with_query),
              ("POST of %d MiB (SHA-256)" % (POST_SIZE >> 20), post_body),
              ("statuses %s" % ", ".join(map(str, STATUSES)), statuses)]
    if error_log:
        checks.append(("stderr to the error log", stderr_to_log))
    return [("%s: %s" % (loc, label), fn) for label, fn in checks]


def abandon_download(port, path):
    """Starts a GET of path, reads READ_BEFORE_LEAVING bytes and resets the
    connection (SO_LINGER 0: an RST, as a client that crashes or is killed)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    try:
        sock.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                      % path).encode())
        got = 0
        while got < READ_BEFORE_LEAVING:
            chunk = sock.recv(65536)
            expect(chunk, "the server closed the connection after %d bytes" % got)
            got += len(chunk)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    finally:
        sock.close()


def stream_checks(port, loc, app_log=None, read=None, one_process=False, live_loc=None):
    """A 5 MiB download, three Set-Cookie headers, a non-200 status with a
    body, and a client that goes away in the middle of a 64 MiB download
    (from live_loc, default loc): the process that served it is still alive
    afterwards and the next download is whole. With app_log, the app's
    "client went away" line must show up there (the web server closed the
    connection to the app, and the app noticed). one_process: only one app
    process serves loc, so the next download must come from the same PID."""
    def download():
        resp = fetch(port, "GET", "%s?bytes=%d" % (loc, DOWNLOAD_SIZE))
        expect_status(resp, 200)
        expect(len(resp.body) == DOWNLOAD_SIZE, "got %d bytes, expected %d"
               % (len(resp.body), DOWNLOAD_SIZE))
        expect(resp.body == pattern(DOWNLOAD_SIZE), "the downloaded bytes are wrong")

    def cookies():
        resp = fetch(port, "GET", loc + "?cookies=3&bytes=10")
        expect_status(resp, 200)
        got = resp.all("Set-Cookie")
        expect(got == ["c%d=v%d; Path=/" % (k, k) for k in (1, 2, 3)],
               "Set-Cookie headers: %r" % got)
        expect(resp.body == pattern(10), "body %r" % resp.body)

    def status_with_body():
        resp = fetch(port, "GET", loc + "?status=404&bytes=1000")
        expect_status(resp, 404)
        expect(resp.body == pattern(1000), "the 404's body is not the app's")

    def client_goes_away():
        first = fetch(port, "GET", loc + "?bytes=1")
        expect_status(first, 200)
        pid = int(first.header("X-Stream-Pid", "0"))
        expect(pid > 0, "no X-Stream-Pid header: %r" % first.headers)
        seen = read(app_log).count(WENT_AWAY) if app_log else 0
        abandon_download(port, "%s?bytes=%d" % (live_loc or loc, ABANDONED_SIZE))
        if app_log:
            wait_for_text("the app's log %s" % os.path.basename(app_log),
                          lambda: read(app_log), WENT_AWAY, seen)
        resp = fetch(port, "GET", "%s?bytes=%d" % (loc, DOWNLOAD_SIZE))
        expect_status(resp, 200)
        expect(resp.body == pattern(DOWNLOAD_SIZE), "the next download is wrong")
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            raise Failure("the app process %d is gone" % pid) from None
        if one_process:
            expect(int(resp.header("X-Stream-Pid", "0")) == pid,
                   "the next download came from pid %s, not %d"
                   % (resp.header("X-Stream-Pid"), pid))

    checks = [("download of %d MiB" % (DOWNLOAD_SIZE >> 20), download),
              ("three Set-Cookie headers", cookies),
              ("status 404 with the app's body", status_with_body),
              ("a client that goes away mid-download", client_goes_away)]
    return [("%s: %s" % (loc, label), fn) for label, fn in checks]
