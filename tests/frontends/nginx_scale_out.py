#!/usr/bin/python3
"""nginx_scale_out.py — nginx spreading requests over three app processes,
and losing one of them (CTest nginx_scale_out).

    /usr/bin/python3 tests/frontends/nginx_scale_out.py --build-dir BUILD

Starts three C echo apps on 127.0.0.2, 127.0.0.3 and 127.0.0.4 (free ports;
Linux routes all of 127/8 to lo) and nginx with
examples/nginx/scale-out.conf.in: one `upstream` of the three, round robin,
`fastcgi_next_upstream error timeout`, an access log with $upstream_addr.
It checks (every answer must echo its own request):
  - spread: 30 GETs in a row; the access log shows every backend served some;
  - a backend dies: four clients send GETs without pause while one backend
    is killed (SIGKILL, like a crash); not one request fails, and the log
    shows nginx passing a request on from the dead backend to another;
  - POSTs after that all succeed, and once the dead backend's fail_timeout
    is over one is passed on from it (it refuses the connection, so even a
    non-idempotent request is passed on);
  - recovery: the backend restarted on its address gets requests again once
    its fail_timeout is over.
Standard library only.
"""
import os
import re
import signal
import sys
import threading
import time

import checks
import frontend

TEMPLATE = os.path.join(frontend.EXAMPLES, "nginx", "scale-out.conf.in")
HOSTS = ("127.0.0.2", "127.0.0.3", "127.0.0.4")
LOG_LINE = re.compile(r'"(?:GET|POST) (\S+) HTTP/[0-9.]+" (\d+) upstream="([^"]*)"')


def log_entries(ws, marker, count=0):
    """(path, status, [upstream addresses tried]) of the access log lines
    whose path contains marker; waits (up to 5 s) for at least count of them:
    nginx logs a request just after it answered it."""
    deadline = time.monotonic() + 5
    while True:
        entries = []
        for line in ws.read(os.path.join(ws.logs, "access.log")).splitlines():
            m = LOG_LINE.search(line)
            if m and marker in m.group(1):
                entries.append((m.group(1), int(m.group(2)),
                                [a.strip() for a in m.group(3).split(",") if a.strip()]))
        if len(entries) >= count or time.monotonic() > deadline:
            return entries
        time.sleep(0.05)


def ask(port, query, method="GET", body=None):
    """One request to the echo behind nginx; fails unless the answer is a 200
    that echoes this very query (and body size)."""
    resp = frontend.fetch(port, method, "/scale?" + query, body=body, timeout=10)
    checks.expect_status(resp, 200)
    checks.expect_line(resp.body, "query=" + query.replace("=", "%3D"))
    checks.expect_line(resp.body, "stdin_bytes=%d" % len(body or b""))


def plan(ws, args):
    apps = frontend.Apps(args.build_dir)
    echo = apps.argv("echo", "c")
    backends = {}  # address -> Popen
    for i, host in enumerate(HOSTS, 1):
        proc, address = ws.start_app("echo-%d" % i, echo, host + ":0")
        backends[address] = proc
    addresses = list(backends)
    port, _ = ws.start_nginx(TEMPLATE, {"BACKEND_%d" % i: a
                                        for i, a in enumerate(addresses, 1)})
    victim = addresses[1]
    killed_at = []

    def spread():
        for n in range(30):
            ask(port, "spread=%d" % n)
        served = {a: 0 for a in addresses}
        for _, status, tried in log_entries(ws, "spread=", 30):
            frontend.expect(status == 200 and len(tried) == 1, "retried or failed: %r" % tried)
            served[tried[0]] += 1
        ws.say("30 requests served per backend: %r" % served)
        frontend.expect(sum(served.values()) == 30, "the log lists %r" % served)
        frontend.expect(all(n >= 5 for n in served.values()),
                        "round robin should give each backend about 10: %r" % served)

    def backend_dies():
        errors, done = [], []
        stop = threading.Event()

        def client(c):
            n = 0
            while not stop.is_set() and not errors:
                try:
                    ask(port, "load=%d-%d" % (c, n))
                    done.append(1)
                except Exception as e:  # noqa: BLE001 — any failure is the finding
                    errors.append("client %d request %d: %s" % (c, n, e))
                n += 1

        threads = [threading.Thread(target=client, args=(c,)) for c in range(4)]
        for t in threads:
            t.start()
        try:
            time.sleep(0.5)
            before = len(done)
            os.kill(backends[victim].pid, signal.SIGKILL)
            killed_at.append(time.monotonic())
            backends[victim].wait(timeout=5)
            ws.say("killed the backend on %s after %d requests" % (victim, before))
            time.sleep(1.0)
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=30)
        frontend.expect(not errors, "requests were lost: %s" % errors[:3])
        frontend.expect(before >= 20 and len(done) >= before + 20,
                        "too little load to prove anything: %d, %d" % (before, len(done)))
        entries = log_entries(ws, "load=", len(done))
        frontend.expect(len(entries) == len(done) and
                        all(status == 200 for _, status, _ in entries),
                        "the log lists %d requests, %d of them answered 200; %d were sent"
                        % (len(entries), sum(e[1] == 200 for e in entries), len(done)))
        retried = [tried for _, _, tried in entries if len(tried) > 1]
        ws.say("%d requests under load, %d passed on to another backend: %r"
               % (len(done), len(retried), retried[:3]))
        frontend.expect(any(tried[0] == victim for tried in retried),
                        "no request was passed on from the dead backend %s" % victim)

    def post_after_death():
        # Once fail_timeout (3 s, counted in whole seconds) is over nginx
        # tries the dead backend again; it refuses the connection, the POST
        # never reached it, so nginx passes it on too.
        time.sleep(max(0.0, killed_at[0] + 4.5 - time.monotonic()))
        data = os.urandom(256 * 1024)
        for n in range(len(HOSTS) * 2):
            ask(port, "post=%d" % n, "POST", data)
        posts = log_entries(ws, "post=", len(HOSTS) * 2)
        retried = [tried for _, _, tried in posts if len(tried) > 1]
        frontend.expect(any(tried[0] == victim for tried in retried),
                        "no POST was passed on from the dead backend: %r" % posts)

    def recovery():
        proc, _ = ws.start_app("echo-2-again", echo, victim)
        backends[victim] = proc
        deadline = time.monotonic() + 20
        n = 0
        while True:
            ask(port, "again=%d" % n)
            n += 1
            if any(tried[-1] == victim for _, _, tried in log_entries(ws, "again=", n)):
                break
            frontend.expect(time.monotonic() < deadline,
                            "the restarted backend got no request within 20 s")
            time.sleep(0.1)
        ws.say("the restarted backend answered again after %d requests" % n)

    yield "requests are spread over all three backends", spread
    yield "a backend killed under load loses no request", backend_dies
    yield "a POST after the loss reaches a live backend", post_after_death
    yield "a restarted backend gets requests again", recovery


if __name__ == "__main__":
    sys.exit(frontend.main(__doc__, "nginx-scale-out", plan))
