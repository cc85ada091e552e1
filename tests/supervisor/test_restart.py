#!/usr/bin/python3
"""test_restart.py — a worker that dies is restarted and nothing else is
lost: three examples/echo workers; each original worker in turn is killed
with SIGKILL while requests flow; the log says why it ended and a new pid
takes its slot; not one request fails. Then all three are killed at once:
the listener stays open in the supervisor, so the requests made while no
worker exists wait in its queue and are answered by the new workers."""
import os
import signal
import threading

from harness import (ENDED, RequestLoop, echo_ok, expect, expect_no_failed_requests, main,
                     wait_until)


def killed_workers_are_restarted(paths, ws):
    sock = ws.path("echo.sock")
    sup = ws.supervise("sup", ["--socket", sock, "--workers", "3"], [paths.echo])
    sup.wait_log(r"worker \d pid \d+ started", count=3)
    wait_until("the socket", lambda: echo_ok(paths, sock)[0])
    original = sup.worker_pids()
    expect(sorted(original) == [1, 2, 3], "three slots: %r" % original)
    expect(sorted(original.values()) == sup.children(),
           "workers %r are the supervisor's children %r" % (original, sup.children()))

    # The loop holds `gate` during each request; killing with the gate held
    # means no request of the loop is inside the worker at that instant (a
    # request in flight on a SIGKILLed process is lost by definition). The
    # requests right after the kill are what must not fail.
    gate = threading.Lock()
    loop = RequestLoop(paths, sock, limit=2000, gate=gate)
    loop.start()
    for slot, pid in sorted(original.items()):
        loop.wait_for(20)
        with gate:
            os.kill(pid, signal.SIGKILL)
        line = sup.wait_log(r"worker %d pid %d killed by signal 9 \(SIGKILL\) after [\d.]+ s; "
                            r"restarting in (\d+) ms" % (slot, pid))[0]
        expect(line.group(1) == "100", "first restart after 100 ms: %s" % line.group(0))
        new = sup.wait_log(r"worker %d pid (\d+) started" % slot, count=2)[-1]
        expect(int(new.group(1)) != pid, "slot %d has a new pid" % slot)
    loop.wait_for(30)
    expect_no_failed_requests([loop])
    now = sup.worker_pids()
    expect(not set(now.values()) & set(original.values()), "all pids replaced: %r" % now)
    expect(sorted(now.values()) == sup.children(), "the new workers are the live children")
    ended = [m for m in ENDED.finditer(sup.log())]
    expect(len(ended) == 3, "one end line per kill, got %d" % len(ended))

    with gate:  # no worker at all for ~100 ms
        for pid in now.values():
            os.kill(pid, signal.SIGKILL)
    sup.wait_log(r"worker \d pid \d+ started", count=9)
    loop.wait_for(30)
    loop.stop()
    expect_no_failed_requests([loop])
    expect(len(sup.children()) == 3, "three workers again: %r" % sup.children())

    sup.signal(signal.SIGTERM)
    expect(sup.wait_exit() == 0, "exit status 0 after SIGTERM")
    print("# %d requests, 0 failed, while 3 workers were killed and restarted" % loop.done)


if __name__ == "__main__":
    main([("killed workers are restarted, no request fails", killed_workers_are_restarted)])
