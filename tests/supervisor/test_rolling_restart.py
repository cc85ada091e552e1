#!/usr/bin/python3
"""test_rolling_restart.py — SIGHUP replaces every worker, one at a time,
while requests keep being served: three echo workers and three request
loops; after the rolling restart every pid is new, each old worker exited 0
after SIGTERM, and not one request failed. A rolling restart to an app that
does not start stops after the first attempt and keeps the old workers."""
import os
import signal

from harness import (RequestLoop, alive, echo_ok, expect, expect_no_failed_requests, main,
                     rolling_restart_under_load, wait_until)


def write_app(ws, body):
    """The app is a shell script that execs the real one (or fails): a new
    version is deployed by replacing the script, as a deploy would."""
    path = ws.path("app.sh")
    with open(path + ".new", "w") as f:
        f.write("#!/bin/sh\n" + body + "\n")
    os.chmod(path + ".new", 0o755)
    os.rename(path + ".new", path)
    return path


def start(paths, ws):
    sock = ws.path("echo.sock")
    app = write_app(ws, 'exec "%s"' % paths.echo)
    sup = ws.supervise("sup", ["--socket", sock, "--workers", "3", "--ready-ms", "300"], [app])
    sup.wait_log(r"worker \d pid \d+ started", count=3)
    wait_until("the socket", lambda: echo_ok(paths, sock)[0])
    return sup, sock


def stop(sup):
    sup.signal(signal.SIGTERM)
    expect(sup.wait_exit() == 0, "exit status 0 after SIGTERM")


def sighup_replaces_every_worker(paths, ws):
    sup, sock = start(paths, ws)
    old, new, done = rolling_restart_under_load(paths, ws, sup, sock, loops=3)
    expect(sorted(new.values()) == sup.children(), "the new workers are the live children")
    for pid in old.values():
        expect(not alive(pid), "old worker %d is gone" % pid)
    # One at a time: each new worker starts after the previous old one exited.
    log = sup.log().splitlines()
    order = [i for i, line in enumerate(log) if "(rolling restart: to replace" in line
             or "(replaced)" in line]
    kinds = ["start" if "to replace" in log[i] else "exit" for i in order]
    expect(kinds == ["start", "exit"] * 3, "started and replaced alternately: %r" % kinds)
    stop(sup)
    print("# %d requests, 0 failed, during a rolling restart of 3 workers" % done)


def failed_new_version_keeps_old_workers(paths, ws):
    sup, sock = start(paths, ws)
    old = sup.worker_pids()
    write_app(ws, "echo 'app.sh: broken deploy' >&2; exit 3")
    loop = RequestLoop(paths, sock, limit=5000)
    loop.start()
    sup.signal(signal.SIGHUP)
    m = sup.wait_log(r"worker 1 pid \d+ exited with status 3 after [\d.]+ s, before it was "
                     r"ready; rolling restart stopped, pid (\d+) keeps serving")[0]
    expect(int(m.group(1)) == old[1], "the old worker 1 keeps serving: %s" % m.group(0))
    loop.wait_for(30)
    loop.stop()
    expect_no_failed_requests([loop])
    expect(sorted(old.values()) == sup.children(), "the old workers %r still serve, as %r"
           % (old, sup.children()))
    expect("rolling restart done" not in sup.log(), "the rolling restart did not go on")
    # Fixed, and a second SIGHUP replaces them all.
    write_app(ws, 'exec "%s"' % paths.echo)
    sup.signal(signal.SIGHUP)
    sup.wait_log(r"rolling restart done", timeout=30)
    new = sup.worker_pids()
    expect(not set(new.values()) & set(old.values()), "replaced after the fix: %r" % new)
    expect(echo_ok(paths, sock)[0], "the new workers answer")
    stop(sup)


if __name__ == "__main__":
    main([("SIGHUP replaces every worker with zero failed requests", sighup_replaces_every_worker),
          ("a new version that does not start keeps the old workers",
           failed_new_version_keeps_old_workers)])
