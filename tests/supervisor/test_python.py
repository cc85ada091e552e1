#!/usr/bin/python3
"""test_python.py — the supervisor runs apps in other languages: three
workers of examples/echo.py (the Python binding, run with the build tree's
environment from build/devenv) answer the echo contract, a killed one is
restarted, SIGHUP replaces all three with zero failed requests, and SIGTERM
stops them gracefully (each exits 0); the status page of WSGI workers shows
every worker process (the shared scoreboard), also after a restart."""
import json
import os
import signal
import subprocess
import sys

from harness import (RequestLoop, echo_ok, expect, main, request, rolling_restart_under_load,
                     wait_until)


def devenv_environment(paths):
    """The environment build/devenv sets up (PYTHONPATH, LD_LIBRARY_PATH…)."""
    out = subprocess.run([paths.devenv, "/usr/bin/env", "-0"], capture_output=True, check=True,
                         timeout=10).stdout.decode()
    return dict(item.split("=", 1) for item in out.split("\0") if "=" in item)


def python_echo_workers(paths, ws):
    sock = ws.path("echo-py.sock")
    app = [sys.executable, os.path.join(paths.source_dir, "examples", "echo.py")]
    sup = ws.supervise("sup", ["--socket", sock, "--workers", "3", "--ready-ms", "500"], app,
                       env=devenv_environment(paths))
    sup.wait_log(r"worker \d pid \d+ started", count=3)
    wait_until("the Python workers", lambda: echo_ok(paths, sock)[0], timeout=20)
    for i in range(10):
        ok, detail = echo_ok(paths, sock, "python=%d" % i)
        expect(ok, "answer %d: %s" % (i, detail))

    victim = sup.worker_pids()[2]
    os.kill(victim, signal.SIGKILL)
    sup.wait_log(r"worker 2 pid %d killed by signal 9 \(SIGKILL\) after [\d.]+ s; "
                 r"restarting in 100 ms" % victim)
    sup.wait_log(r"worker 2 pid \d+ started", count=2)

    _, _, done = rolling_restart_under_load(paths, ws, sup, sock, loops=2, timeout=40)

    sup.signal(signal.SIGTERM)
    expect(sup.wait_exit(timeout=30) == 0, "exit status 0")
    expect(len(sup.matches(r"exited with status 0 after [\d.]+ s \(stopping\)")) == 3,
           "the Python workers exited 0 at the stop")
    expect(not os.path.exists(sock), "socket removed")
    print("# %d requests to Python workers during a rolling restart, 0 failed" % done)


def status_of(paths, sock):
    """The JSON status page a worker answers, or None."""
    rc, out, _ = request(paths, sock, "json", extra=["--param", "REQUEST_URI=/status"])
    head, _, body = out.replace("\r\n", "\n").partition("\n\n")
    if rc != 0 or "application/json" not in head:
        return None
    return json.loads(body)


def status_page_shows_every_worker(paths, ws):
    sock = ws.path("status.sock")
    app = [sys.executable, "-m", "ffcgi.wsgi",
           os.path.join(paths.source_dir, "examples", "echo_wsgi.py"), "--threads", "2",
           "--status-path", "/status"]
    sup = ws.supervise("sup", ["--socket", sock, "--workers", "3", "--ready-ms", "500"], app,
                       env=devenv_environment(paths))
    sup.wait_log(r"worker \d pid \d+ started", count=3)
    pids = set(sup.worker_pids().values())

    def all_workers_shown():
        status = status_of(paths, sock)
        return status and status["processes"] == 3 and \
            {worker["pid"] for worker in status["workers"]} == set(sup.worker_pids().values())

    wait_until("a status page with the 3 workers", all_workers_shown, timeout=20)
    status = status_of(paths, sock)
    expect(status["busy_workers"] >= 1 and status["requests"] >= 0, "totals: %r" % status)
    victim = sup.worker_pids()[1]
    os.kill(victim, signal.SIGKILL)
    sup.wait_log(r"worker 1 pid \d+ started", count=2)
    wait_until("the restarted worker in place of the killed one", all_workers_shown,
               timeout=20)
    expect(victim not in {w["pid"] for w in status_of(paths, sock)["workers"]},
           "the killed worker's region was freed")
    expect(pids != set(sup.worker_pids().values()), "a new worker")
    sup.signal(signal.SIGTERM)
    expect(sup.wait_exit(timeout=30) == 0, "exit status 0")


def max_requests_replaces_workers(paths, ws):
    sock = ws.path("recycle.sock")
    app = [sys.executable, "-m", "ffcgi.wsgi",
           os.path.join(paths.source_dir, "examples", "echo_wsgi.py"), "--max-requests", "15"]
    sup = ws.supervise("sup", ["--socket", sock, "--workers", "2"], app,
                       env=devenv_environment(paths))
    sup.wait_log(r"worker \d pid \d+ started", count=2)
    wait_until("the WSGI workers", lambda: echo_ok(paths, sock)[0], timeout=20)
    loop = RequestLoop(paths, sock, limit=120)
    loop.start()
    loop.join(120)
    expect(loop.done == 120 and not loop.failures,
           "%d requests, failures: %r" % (loop.done, loop.failures[:3]))
    retired = sup.matches(r"worker \d pid \d+ retired \(exit status 75\) after [\d.]+ s; "
                          r"replacing it now")
    expect(len(retired) >= 4, "workers retired and were replaced: %d" % len(retired))
    expect(not sup.matches(r"restarting in"), "no back-off for a retired worker")
    sup.signal(signal.SIGTERM)
    expect(sup.wait_exit(timeout=30) == 0, "exit status 0")


if __name__ == "__main__":
    main([("Python echo workers: restart, rolling restart, stop", python_echo_workers),
          ("the status page of WSGI workers shows every worker", status_page_shows_every_worker),
          ("--max-requests: retired workers are replaced at once, no request fails",
           max_requests_replaces_workers)])
