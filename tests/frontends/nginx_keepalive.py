#!/usr/bin/python3
"""nginx_keepalive.py — nginx keeping 64 connections open to an app with 2
threads (CTest nginx_keepalive).

    /usr/bin/python3 tests/frontends/nginx_keepalive.py --build-dir BUILD

Starts the C echo app with --threads 2 and nginx with
examples/nginx/keepalive.conf.in (fastcgi_keep_conn on, upstream keepalive
64). 64 clients send 40 GETs each at once, every answer checked against
its own request: zero errors and no timeout (a library that gave each kept
connection a thread stalls here: nginx holds more idle kept connections
than the app has threads). It then checks that the app really held more
kept connections than it has threads (its open sockets, from /proc).
Standard library only.
"""
import os
import sys
import threading

import checks
import frontend

TEMPLATE = os.path.join(frontend.EXAMPLES, "nginx", "keepalive.conf.in")
CLIENTS = 64
REQUESTS = 40


def sockets_of(pid):
    """How many sockets process pid has open."""
    fd_dir = "/proc/%d/fd" % pid
    count = 0
    for fd in os.listdir(fd_dir):
        try:
            count += os.readlink(os.path.join(fd_dir, fd)).startswith("socket:")
        except OSError:
            pass
    return count


def plan(ws, args):
    apps = frontend.Apps(args.build_dir)
    app, address = ws.start_app("echo", apps.argv("echo", "c") + ["--threads", "2"],
                                ws.path("app.sock"))
    port, _ = ws.start_nginx(TEMPLATE, {"APP_SOCKET": address})
    held = []

    def load():
        errors, done = [], []
        start = threading.Barrier(CLIENTS)

        def client(c):
            start.wait()
            for n in range(REQUESTS):
                query = "c=%d-%d" % (c, n)
                try:
                    resp = frontend.fetch(port, "GET", "/keep?" + query, timeout=10)
                    checks.expect_status(resp, 200)
                    checks.expect_line(resp.body, "query=" + query.replace("=", "%3D"))
                    done.append(1)
                except Exception as e:  # noqa: BLE001 — any failure is the finding
                    errors.append("client %d request %d: %s" % (c, n, e))
                    return
                if n == REQUESTS // 2 and c == 0:
                    held.append(sockets_of(app.pid))

        threads = [threading.Thread(target=client, args=(c,)) for c in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        frontend.expect(not errors, "%d errors: %s" % (len(errors), errors[:3]))
        frontend.expect(len(done) == CLIENTS * REQUESTS,
                        "%d of %d requests answered" % (len(done), CLIENTS * REQUESTS))
        ws.say("%d clients x %d requests, all answered" % (CLIENTS, REQUESTS))

    def connections_were_kept():
        after = sockets_of(app.pid)
        ws.say("the app's sockets: %d mid-load, %d after (2 threads)" % (held[0], after))
        # the listener is one socket; the rest are nginx's kept connections
        frontend.expect(max(held[0], after) - 1 > 2,
                        "nginx kept no more connections than the app has threads")

    yield "64 clients through 64 kept connections to an app with 2 threads, no error", load
    yield "the app held more kept connections than threads", connections_were_kept


if __name__ == "__main__":
    sys.exit(frontend.main(__doc__, "nginx-keepalive", plan))
