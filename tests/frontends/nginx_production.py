#!/usr/bin/python3
"""nginx_production.py — the production features of `python3 -m ffcgi.wsgi`
behind a real nginx (CTest nginx_production).

    /usr/bin/python3 tests/frontends/nginx_production.py --build-dir BUILD

Two servers of tests/frontends/apps/production_wsgi.py (a copy in the
workspace) behind nginx (nginx-production.conf.in):

- /reload/: one process, 4 threads, --access-log, --error-log,
  --status-path, --timeout 1. SIGHUP while 200 requests are in flight: none
  fails and the rewritten code answers afterwards; a request sleeping past
  --timeout is answered 504 with an error-log line naming it, and the next
  request is served; the access log has one correct line per request; the
  status page's JSON counts what was served.
- /recycle/: --workers 2 --max-requests 50 (ffcgi-supervisor): 500 requests
  with none failed while the workers retire and are replaced.
- /raku/: apps/production.raku (examples/production.raku's serving)
  --max-requests=40 --timeout=1 with its access log, error log and status
  page under ffcgi-supervisor --workers 2: a rolling restart (SIGHUP to the
  supervisor) and retirements during 300 requests, none failed; the access
  log has a line for each; the status page is answered; a request past the
  timeout is a 504 with a log line, the next is served and the worker is
  replaced.

Standard library only; everything stopped by PID.
"""
import json
import os
import re
import shutil
import signal
import sys
import threading
import time

import frontend
from frontend import expect, fetch, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATE = os.path.join(HERE, "nginx-production.conf.in")
LOAD_THREADS = 8


class Load:
    """`count` GETs of `path` through nginx from LOAD_THREADS threads: the
    bodies of the 200 answers, and every other outcome as a failure."""

    def __init__(self, port, path, count):
        self.port, self.path, self.left = port, path, count
        self.lock = threading.Lock()
        self.bodies, self.failures = [], []
        self.threads = [threading.Thread(target=self.run, daemon=True)
                        for _ in range(LOAD_THREADS)]

    def run(self):
        while True:
            with self.lock:
                if self.left == 0:
                    return
                self.left -= 1
            try:
                resp = fetch(self.port, "GET", self.path, timeout=60)
                outcome = resp.body.decode() if resp.status == 200 else resp.status
            except OSError as error:
                outcome = error
            with self.lock:
                (self.bodies if isinstance(outcome, str) else self.failures).append(outcome)

    def start(self):
        for thread in self.threads:
            thread.start()
        return self

    def done(self):
        with self.lock:
            return len(self.bodies) + len(self.failures)

    def join(self):
        for thread in self.threads:
            thread.join(120)
        expect(not any(t.is_alive() for t in self.threads), "the load finished")
        expect(not self.failures, "%d failed: %r" % (len(self.failures), self.failures[:3]))


def load_across_a_new_version(port, path, count, before, source_file, change, pid):
    """`count` GETs of `path`; once `before` are answered, `change` (old,
    new) is made in source_file and SIGHUP sent to pid. Returns the Load,
    joined (no failure)."""
    load = Load(port, path, count).start()
    wait_until("%d answers" % before, lambda: load.done() >= before, timeout=120)
    with open(source_file) as f:
        source = f.read()
    with open(source_file, "w") as f:
        f.write(source.replace(*change))
    os.kill(pid, signal.SIGHUP)
    load.join()
    return load


def plan(ws, build_dir):
    apps = frontend.Apps(build_dir)
    app = ws.path("production_wsgi.py")
    shutil.copy(os.path.join(HERE, "apps", "production_wsgi.py"), app)
    access, errors = ws.path("logs", "app-access.log"), ws.path("logs", "app-errors.log")
    python = [apps.devenv, apps.python, "-m", "ffcgi.wsgi", app]
    reload_app, reload_sock = ws.start_app(
        "reload", python + ["--threads", "4", "--script-name", "/reload",
                            "--access-log", access, "--error-log", errors, "--log-level", "info",
                            "--status-path", "/reload/status", "--timeout", "1"],
        ws.path("reload.sock"))
    _, recycle_sock = ws.start_app(
        "recycle", python + ["--workers", "2", "--threads", "2", "--max-requests", "50",
                             "--script-name", "/recycle"], ws.path("recycle.sock"))
    raku_sock, raku_access = ws.path("raku.sock"), ws.path("logs", "raku-access.log")
    raku_errors = ws.path("logs", "raku-errors.log")
    raku_app = ws.path("production.raku")
    shutil.copy(os.path.join(HERE, "apps", "production.raku"), raku_app)
    raku = ws.spawn("raku", [apps.devenv, os.path.join(apps.build, "tools", "supervisor",
                                                       "ffcgi-supervisor"),
                             "--socket", raku_sock, "--workers", "2", "--ready-ms", "2000", "--",
                             "raku", raku_app,
                             "--threads=2", "--max-requests=40", "--access-log=" + raku_access,
                             "--error-log=" + raku_errors, "--status-path=/raku/status",
                             "--timeout=1"], umask=0)
    port, _ = ws.start_nginx(TEMPLATE, {"RELOAD_SOCKET": reload_sock,
                                        "RECYCLE_SOCKET": recycle_sock,
                                        "RAKU_SOCKET": raku_sock})
    served = []  # the paths /reload/ answered, for the access log

    def sighup_loses_no_request():
        load = load_across_a_new_version(port, "/reload/x", 200, 50, app,
                                         ('VERSION = "one"', 'VERSION = "two"'), reload_app.pid)
        served.extend(["/reload/x"] * 200)
        expect(len(load.bodies) == 200, "200 answers: %d" % len(load.bodies))
        wait_until("the reload in the error log",
                   lambda: "SIGHUP: re-executing" in ws.read(errors), timeout=30)

        def new_code_answers():  # the old process may still answer a moment
            after = fetch(port, "GET", "/reload/after")
            served.append("/reload/after")
            expect(after.status == 200, "after the reload: %d" % after.status)
            return after.body.startswith(b"two ")
        wait_until("the new code answers", new_code_answers, timeout=30)

    def timeout_is_a_504_and_the_next_request_is_served():
        resp = fetch(port, "GET", "/reload/sleep", timeout=30)
        served.append("/reload/sleep")
        expect(resp.status == 504, "status %d, body %r" % (resp.status, resp.body))
        expect(re.search(r'error: "GET /reload/sleep" from 127\.0\.0\.1 via unix peer pid \d+: '
                         r"running \d+ ms, past FFCGI_LIMIT_REQUEST_MS \(1000\): answered 504",
                         ws.read(errors)), "the error log names the request")
        nxt = fetch(port, "GET", "/reload/next", timeout=30)
        served.append("/reload/next")
        expect(nxt.status == 200 and nxt.body.endswith(b" /next\n"), "next: %r" % nxt.body)

    def status_page_counts_what_was_served():
        # the timeout replaced the process (same pid: re-executed); /next may
        # have been served by either, so count from a first page of the new one
        base = json.loads(fetch(port, "GET", "/reload/status?json").body)["requests"]
        served.append("/reload/status")
        for i in range(5):
            expect(fetch(port, "GET", "/reload/count%d" % i).status == 200, "served")
            served.append("/reload/count%d" % i)
        pages = []  # a thread is listed once it has called accept: on a busy
        for _ in range(100):  # machine one may not have yet, so ask again
            resp = fetch(port, "GET", "/reload/status?json")
            served.append("/reload/status")
            expect(resp.status == 200 and resp.header("Content-Type") == "application/json",
                   "status %d, %r" % (resp.status, resp.header("Content-Type")))
            pages.append(json.loads(resp.body))
            if len(pages[-1]["workers"]) == 4:
                break
            time.sleep(0.1)
        status = pages[-1]
        expected = base + 1 + 5 + len(pages) - 1  # the status pages are requests too
        expect(status["requests"] == expected,
               "requests: %d, expected %d" % (status["requests"], expected))
        expect(status["processes"] == 1 and len(status["workers"]) == 4,
               "4 workers listed: %r" % status)
        busy = [w for w in status["workers"] if w["state"] == "busy"]
        expect([w["target"] for w in busy] == ["/reload/status?json"],
               "only the status request is busy: %r" % busy)
        expect(status["timeouts"] == 0 and status["accepted_connections"] >= 6, "totals")

    def access_log_has_one_line_per_request():
        wait_until("the access log's lines",
                   lambda: len(ws.read(access).splitlines()) >= len(served), timeout=10)
        lines = ws.read(access).splitlines()
        expect(len(lines) == len(served), "%d lines for %d requests" % (len(lines), len(served)))
        pattern = re.compile(r'^127\.0\.0\.1 - - \[[^]]+\] "GET (\S+) HTTP/1\.1" (\d{3}) '
                             r'(\d+|-) "-" "[^"]*" \d+$')
        seen = []
        for line in lines:
            match = pattern.match(line)
            expect(match, "a Combined Log Format line: %r" % line)
            seen.append(match.group(1).split("?")[0])
            expect(match.group(2) == ("504" if match.group(1) == "/reload/sleep" else "200"),
                   "status of %r" % line)
        expect(sorted(seen) == sorted(served), "one line per request served")

    def max_requests_replaces_workers_without_a_failure():
        load = Load(port, "/recycle/y", 500).start()
        load.join()
        expect(len(load.bodies) == 500, "500 answers")
        # each worker serves 50 to 55 requests (jitter), and perhaps one its
        # second thread had begun: of 500, 2 live workers hold at most 112,
        # so at least 7 lifetimes ended
        pids = {body.split()[1] for body in load.bodies}
        expect(len(pids) >= 7, "the workers were replaced: %d pids" % len(pids))
        wait_until("7 retirements in the supervisor's log",
                   lambda: ws.read(ws.log("recycle")).count("retired (exit status 75)") >= 7,
                   timeout=10)
        expect("restarting in" not in ws.read(ws.log("recycle")),
               "every retired worker replaced at once, none backed off")

    def raku_under_the_supervisor():
        wait_until("the Raku workers", lambda: ws.read(ws.log("raku")).count("started") >= 2,
                   timeout=60)
        status = fetch(port, "GET", "/raku/status", timeout=120)
        expect(status.status == 200 and b"processes:" in status.body,
               "the status page: %d %r" % (status.status, status.body[:80]))
        def status_of_both():  # a worker is listed once its interpreter has started
            nonlocal status
            status = json.loads(fetch(port, "GET", "/raku/status?json").body)
            return status["processes"] == 2
        wait_until("both Raku workers on the status page", status_of_both, timeout=120)
        pids = {int(m) for m in re.findall(r"worker \d pid (\d+) started",
                                             ws.read(ws.log("raku")))}
        expect(status["processes"] == 2 and {w["pid"] for w in status["workers"]} <= pids and
               status["requests"] == sum(w["requests"] for w in status["workers"]) and
               status["requests"] >= 1, "the status JSON: the supervisor's workers and their "
               "totals: %r" % status)
        load = load_across_a_new_version(port, "/raku/z", 300, 30, raku_app,
                                         ("VERSION = 'one'", "VERSION = 'two'"), raku.pid)
        expect(len(load.bodies) == 300 and all(b.startswith("Hello from ffcgi (Raku)")
                                               for b in load.bodies), "300 greetings")
        log = ws.read(ws.log("raku"))
        expect("rolling restart" in log, "the supervisor began a rolling restart")
        expect("retired (exit status 75)" in log, "workers retired and were replaced")
        wait_until("302 access-log lines (the status pages' and the load's)",
                   lambda: len(ws.read(raku_access).splitlines()) >= 302, timeout=10)  # at least
        line = re.compile(r'^127\.0\.0\.1 - - \[[^]]+\] "GET (\S+) HTTP/1\.1" 200 \d+ "-" "[^"]*" \d+$')
        targets = [line.match(text) for text in ws.read(raku_access).splitlines()]
        expect(all(targets), "Combined Log Format lines, all 200")
        expect([m.group(1) for m in targets].count("/raku/z") == 300, "a line for each of the 300")
        wait_until("the new code answers after the rolling restart",
                   lambda: fetch(port, "GET", "/raku/new").body.startswith(
                       b"Hello from ffcgi (Raku) two"), timeout=60)
        resp = fetch(port, "GET", "/raku/sleep", timeout=60)
        expect(resp.status == 504, "past --timeout=1: status %d" % resp.status)
        expect(re.search(r'error: "GET /raku/sleep" from 127\.0\.0\.1 via unix peer pid \d+: '
                         r"running \d+ ms, past FFCGI_LIMIT_REQUEST_MS \(1000\): answered 504",
                         ws.read(raku_errors)), "the error log names the request")
        nxt = fetch(port, "GET", "/raku/next", timeout=60)
        expect(nxt.status == 200 and nxt.body.startswith(b"Hello from ffcgi (Raku)"),
               "the next request is served: %d" % nxt.status)
        wait_until("the timed-out worker replaced at once",
                   lambda: ws.read(ws.log("raku")).count("retired (exit status 75)") >
                   log.count("retired (exit status 75)"), timeout=30)

    yield "SIGHUP during 200 requests: none fails, the new code answers", sighup_loses_no_request
    yield ("a request past --timeout is a 504 with a log line; the next is served",
           timeout_is_a_504_and_the_next_request_is_served)
    yield "the status page's JSON counts what was served", status_page_counts_what_was_served
    yield "the access log has one correct line per request", access_log_has_one_line_per_request
    yield ("--workers 2 --max-requests 50: 500 requests, none failed, workers replaced",
           max_requests_replaces_workers_without_a_failure)
    yield ("Raku under ffcgi-supervisor: SIGHUP and --max-requests=40 during 300 requests, "
           "none failed; --timeout=1 is a 504", raku_under_the_supervisor)


if __name__ == "__main__":
    sys.exit(frontend.main(__doc__, "nginx-production", lambda ws, args: plan(ws, args.build_dir)))
