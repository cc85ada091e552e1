"""harness.py — what the ffcgi-supervisor tests share.

Every test starts ffcgi-supervisor on a unix socket in its own temporary
directory, talks FastCGI to it with the project's client CLI
(tests/client/fcgi-client), reads the supervisor's log (its stderr, which
its workers share) and stops every process it started by PID.

  args()        the command line every test takes (paths from CMake)
  Workspace     the temporary directory and the supervisors started in it;
                cleanup on every exit path
  Supervisor    one supervisor process: its log, the workers it reports,
                signals, a bounded wait for its exit
  request()     one FastCGI request through fcgi-client
  RequestLoop   requests in a loop on a thread, counting failures
  expect_no_failed_requests()  zero failures
  rolling_restart_under_load()  SIGHUP with requests flowing, and its checks
  run()         runs named checks, prints "ok - …"/"FAIL - …" and a summary

Standard library only; every wait is bounded.
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback

# "worker 2 pid 1234 started", "worker 2 pid 1234 killed by signal 9 (SIGKILL)
# after 1.234 s; restarting in 100 ms": the supervisor's log lines (README.md).
STARTED = re.compile(r"worker (\d+) pid (\d+) started")
ENDED = re.compile(r"worker (\d+) pid (\d+) (exited with status \d+|"
                   r"killed by signal \d+ \(\w+\)(?:, core dumped)?) after ([\d.]+) s(.*)")


class Failure(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise Failure(what)


def args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--supervisor", required=True)
    p.add_argument("--echo", required=True, help="examples/echo (C)")
    p.add_argument("--client", required=True, help="fcgi-client")
    p.add_argument("--slow-app", required=True, help="tests/supervisor/slow_app.c")
    p.add_argument("--devenv", required=True, help="build/devenv")
    p.add_argument("--source-dir", required=True)
    p.add_argument("--cmake", default="cmake")
    return p.parse_args()


def wait_until(what, predicate, timeout=10.0, step=0.02):
    """Polls predicate() until it returns something true, which is returned;
    fails after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise Failure("timed out after %.1f s waiting for %s" % (timeout, what))
        time.sleep(step)


def alive(pid):
    """True while pid exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class Supervisor:
    """ffcgi-supervisor OPTIONS -- APP..., its stderr (and stdout) in a log
    file of the workspace."""

    def __init__(self, ws, name, options, app, env=None, preexec_fn=None, pass_fds=()):
        self.ws, self.name = ws, name
        self.log_path = os.path.join(ws.dir, name + ".log")
        self.socket = None
        if "--socket" in options:
            self.socket = options[options.index("--socket") + 1]
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen([ws.paths.supervisor] + list(options) + ["--"] + list(app),
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         env=env, preexec_fn=preexec_fn, pass_fds=pass_fds)
        ws.supervisors.append(self)

    @property
    def pid(self):
        return self.proc.pid

    def log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def tail(self, lines=25):
        return "\n".join(self.log().splitlines()[-lines:])

    def matches(self, pattern):
        return [m for m in re.finditer(pattern, self.log())]

    def wait_log(self, pattern, count=1, timeout=10.0):
        """Waits until the log matches `pattern` at least `count` times;
        returns the matches. Fails at once if the supervisor exits."""
        def found():
            ms = self.matches(pattern)
            if len(ms) >= count:
                return ms
            if self.proc.poll() is not None:
                raise Failure("supervisor exited (%s) before %r x%d appeared; log:\n%s"
                              % (self.proc.returncode, pattern, count, self.tail()))
            return None
        try:
            return wait_until("%r x%d in the log" % (pattern, count), found, timeout)
        except Failure as e:
            if "timed out" in str(e):
                raise Failure("%s; log:\n%s" % (e, self.tail()))
            raise

    def worker_pids(self):
        """{slot: pid} of the latest worker started in each slot."""
        return {int(m.group(1)): int(m.group(2)) for m in STARTED.finditer(self.log())}

    def all_worker_pids(self):
        return [int(m.group(2)) for m in STARTED.finditer(self.log())]

    def children(self):
        """Pids of the supervisor's live child processes, from /proc."""
        kids = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open("/proc/%s/stat" % entry) as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == self.pid and fields[0] != "Z":
                    kids.append(int(entry))
        return sorted(kids)

    def signal(self, signo):
        self.proc.send_signal(signo)

    def wait_exit(self, timeout=15.0):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise Failure("supervisor still running %.0f s later; log:\n%s" % (timeout, self.tail()))

    def kill_all(self):
        """Cleanup: SIGKILL the supervisor and every worker it reported, by PID."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        for pid in self.all_worker_pids():
            if alive(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass


class Workspace:
    def __init__(self, paths):
        self.paths = paths
        self.dir = tempfile.mkdtemp(prefix="ffcgi-supervisor-")
        self.supervisors = []

    def path(self, name):
        return os.path.join(self.dir, name)

    def supervise(self, name, options, app, env=None, preexec_fn=None, pass_fds=()):
        return Supervisor(self, name, options, app, env, preexec_fn, pass_fds)

    def cleanup(self):
        for s in self.supervisors:
            s.kill_all()
        shutil.rmtree(self.dir, ignore_errors=True)


def request(paths, socket_path, query="", timeout_ms=10000, extra=()):
    """One request: (exit status of fcgi-client, stdout text, stderr text)."""
    cmd = [paths.client, "--socket", socket_path, "--query", query, "--method", "GET",
           "--timeout", str(timeout_ms)] + list(extra)
    try:
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=timeout_ms / 1000 + 10)
    except subprocess.TimeoutExpired:
        return 124, "", "fcgi-client did not return"
    return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")


def echo_answer(paths, socket_path, query="n=1"):
    """A request to the echo contract app: (answered correctly?, rc, stdout, stderr)."""
    rc, out, err = request(paths, socket_path, query)
    lines = out.splitlines()
    ok = (rc == 0 and lines[:1] == ["Status: 200 OK"] and "method=GET" in lines
          and "query=" + query.replace("=", "%3D") in lines and lines[-1:] == ["end"])
    return ok, rc, out, err


def echo_ok(paths, socket_path, query="n=1"):
    """A request to the echo contract app answered correctly? (bool, detail)"""
    ok, rc, out, err = echo_answer(paths, socket_path, query)
    return ok, "rc=%d out=%r err=%r" % (rc, out[:200], err[:200])


class RequestLoop(threading.Thread):
    """Echo requests one after another until stop() or `limit` requests.
    `gate` (a Lock) is held during each request, so that a test can act
    between two requests of this loop. failures: (rc, stdout, stderr) each."""

    def __init__(self, paths, socket_path, limit=3000, gate=None, name="loop"):
        super().__init__(daemon=True)
        self.paths, self.socket_path, self.limit = paths, socket_path, limit
        self.gate = gate or threading.Lock()
        self.tag = name
        self.done = 0
        self.failures = []
        self._halt = threading.Event()

    def run(self):
        while not self._halt.is_set() and self.done < self.limit:
            with self.gate:
                ok, rc, out, err = echo_answer(self.paths, self.socket_path,
                                               "%s=%d" % (self.tag, self.done))
            self.done += 1
            if not ok:
                self.failures.append((rc, out[:200], err[:200]))

    def wait_for(self, count, timeout=30.0):
        start = self.done
        wait_until("%d more requests" % count, lambda: self.done >= start + count
                   or not self.is_alive(), timeout)

    def stop(self, timeout=30.0):
        self._halt.set()
        self.join(timeout)
        expect(not self.is_alive(), "request loop did not stop")


def expect_no_failed_requests(loops):
    """No request of `loops` failed."""
    failures = [f for loop in loops for f in loop.failures]
    done = sum(loop.done for loop in loops)
    expect(not failures, "%d of %d requests failed: %s" % (len(failures), done, failures[:3]))


def rolling_restart_under_load(paths, ws, sup, sock, loops=3, timeout=30.0):
    """SIGHUP while `loops` request loops run; waits for the rolling restart
    to finish and checks what every rolling restart must give: no failed
    request, every worker replaced, each old one exited 0 after its SIGTERM.
    Returns (old pids, new pids, requests made), pids as {slot: pid}."""
    old = sup.worker_pids()
    running = [RequestLoop(paths, sock, limit=5000, name="loop%d" % i) for i in range(loops)]
    for loop in running:
        loop.start()
    running[0].wait_for(20)
    sup.signal(signal.SIGHUP)
    sup.wait_log(r"rolling restart done", timeout=timeout)
    for loop in running:
        loop.wait_for(10)
        loop.stop()
    expect_no_failed_requests(running)
    new = sup.worker_pids()
    expect(sorted(new) == sorted(old), "the same slots: %r -> %r" % (old, new))
    expect(not set(new.values()) & set(old.values()), "every pid replaced: %r -> %r" % (old, new))
    for slot, pid in old.items():
        sup.wait_log(r"worker %d pid %d exited with status 0 after [\d.]+ s \(replaced\)"
                     % (slot, pid))
    return old, new, sum(loop.done for loop in running)


def run(checks):
    """Runs each (name, function(paths, ws)) in its own workspace; prints the
    outcome of each; returns the exit status."""
    paths = args()
    failed = 0
    for name, check in checks:
        ws = Workspace(paths)
        try:
            check(paths, ws)
            print("ok - %s" % name, flush=True)
        except Exception as e:  # a failed check must not stop the others
            failed += 1
            detail = str(e) if isinstance(e, Failure) else traceback.format_exc()
            print("FAIL - %s: %s" % (name, detail), flush=True)
            for sup in ws.supervisors:
                print("# the last lines of %s's log:\n%s" % (sup.name, sup.tail(40)), flush=True)
        finally:
            ws.cleanup()
    print("%d passed, %d failed" % (len(checks) - failed, failed))
    return 1 if failed else 0


def main(checks):
    sys.exit(run(checks))
