#!/usr/bin/python3
"""test_python.py — the supervisor runs apps in other languages: three
workers of examples/echo.py (the Python binding, run with the build tree's
environment from build/devenv) answer the echo contract, a killed one is
restarted, SIGHUP replaces all three with zero failed requests, and SIGTERM
stops them gracefully (each exits 0)."""
import os
import signal
import subprocess
import sys

from harness import echo_ok, expect, main, rolling_restart_under_load, wait_until


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


if __name__ == "__main__":
    main([("Python echo workers: restart, rolling restart, stop", python_echo_workers)])
