#!/usr/bin/python3
"""test_backoff.py — a crash-looping app is restarted with growing delays,
not in a spin: /bin/false is restarted after 100, 200, 400, 800 ms and then
every 800 ms (--max-backoff-ms 800), the gaps in the log timestamps match
the delays, and the supervisor uses almost no CPU meanwhile. A worker that
then runs stably (--stable-ms) resets the delay to 100 ms. An app that exits
75 (the status of a retired worker) at once, having served nothing, is
backed off like a crash, not replaced in a spin."""
import datetime
import os
import signal
import time

from harness import ENDED, alive, echo_ok, expect, main


def stamp(line):
    """The time of a log line (2025-01-31T12:00:00.123+0000 ...), in seconds."""
    return datetime.datetime.strptime(line.split()[0], "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def crash_loop_backs_off(paths, ws):
    sock = ws.path("false.sock")
    sup = ws.supervise("sup", ["--socket", sock, "--workers", "1", "--max-backoff-ms", "800"],
                       ["/bin/false"])
    sup.wait_log(r"exited with status 1 after [\d.]+ s; restarting in \d+ ms", count=7,
                 timeout=20)
    cpu = cpu_seconds(sup.pid)
    lines = [line for line in sup.log().splitlines() if ENDED.search(line)]
    delays = [int(line.rsplit("restarting in ", 1)[1].split()[0]) for line in lines]
    expect(delays[:7] == [100, 200, 400, 800, 800, 800, 800], "delays %r" % delays)
    for i in range(6):  # the next end comes no sooner than the delay allows
        gap = stamp(lines[i + 1]) - stamp(lines[i])
        expect(gap >= delays[i] / 1000 - 0.01, "gap %.3f s after a %d ms delay" % (gap, delays[i]))
    starts = len(sup.matches(r"worker 1 pid \d+ started"))
    expect(starts <= len(lines) + 1, "%d starts for %d ends: no extra starts" % (starts, len(lines)))
    expect(cpu < 0.5, "the supervisor used %.2f s of CPU over ~3 s" % cpu)
    expect(os.path.exists(sock), "the socket stays while the app crash-loops")
    sup.signal(signal.SIGTERM)
    expect(sup.wait_exit() == 0, "exit status 0 after SIGTERM during a back-off wait")
    expect(not os.path.exists(sock), "socket removed")
    print("# delays %r ms; supervisor CPU %.2f s" % (delays, cpu))


def stable_run_resets_the_delay(paths, ws):
    sock = ws.path("echo.sock")
    ready = ws.path("ready")
    app = ws.path("app.sh")
    with open(app, "w") as f:  # fails until the file `ready` exists
        f.write('#!/bin/sh\n[ -e "%s" ] && exec "%s"\nexit 3\n' % (ready, paths.echo))
    os.chmod(app, 0o755)
    sup = ws.supervise("sup", ["--socket", sock, "--workers", "1", "--max-backoff-ms", "3200",
                               "--stable-ms", "700"], [app])
    sup.wait_log(r"exited with status 3 after [\d.]+ s; restarting in 400 ms")
    open(ready, "w").close()  # the start after the 400 ms delay succeeds
    m = sup.wait_log(r"worker 1 pid (\d+) started", count=4)[-1]
    pid = int(m.group(1))
    time.sleep(1.2)  # longer than --stable-ms
    expect(alive(pid), "the fixed worker %d runs" % pid)
    expect(echo_ok(paths, sock)[0], "the fixed worker answers")
    os.kill(pid, signal.SIGKILL)
    sup.wait_log(r"worker 1 pid %d killed by signal 9 \(SIGKILL\) after [\d.]+ s; "
                 r"restarting in 100 ms" % pid)  # not 800: the stable run reset it
    sup.wait_log(r"worker 1 pid \d+ started", count=5)
    sup.signal(signal.SIGTERM)
    expect(sup.wait_exit() == 0, "exit status 0 after SIGTERM")


def retiring_at_start_backs_off(paths, ws):
    sock = ws.path("exit75.sock")
    sup = ws.supervise("sup", ["--socket", sock, "--workers", "1", "--max-backoff-ms", "400"],
                       ["/bin/sh", "-c", "exit 75"])
    sup.wait_log(r"exited with status 75 after [\d.]+ s; restarting in 400 ms", timeout=20)
    expect(not sup.matches(r"retired \(exit status 75\)"),
           "not taken for a retirement: it served no request")
    sup.signal(signal.SIGTERM)
    expect(sup.wait_exit() == 0, "exit status 0 after SIGTERM")


if __name__ == "__main__":
    main([("a crash-looping app is restarted with growing delays", crash_loop_backs_off),
          ("a stable run resets the back-off", stable_run_resets_the_delay),
          ("an app exiting 75 at start without serving is backed off",
           retiring_at_start_backs_off)])
