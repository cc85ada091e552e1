"""benchlib.py — what smoke.py and run_benchmarks share: the apps under test
(how to start each on a unix socket), starting and stopping them, and running
the load generator and reading its RESULT line. Standard library only.

Every process started here is stopped by its pid (SIGTERM, then SIGKILL
after a grace period); every wait is bounded."""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from typing import Dict, List, Optional

SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = os.path.join(SOURCE, "tests", "bench")
PYTHON = "/usr/bin/python3"

PHP_FPM_CONF = """[global]
pid = {dir}/php-fpm.pid
error_log = {dir}/php-fpm.log
daemonize = no

[bench]
{user}listen = {socket}
listen.mode = 0666
pm = static
pm.max_children = {threads}
pm.max_requests = 0
clear_env = no
"""


def app_command(app: str, build: str, address: str, threads: int, workdir: str) -> List[str]:
    """The command line that serves app on address with threads threads (or
    children, or workers). workdir is a private temporary directory."""
    devenv = os.path.join(build, "devenv")
    bench_build = os.path.join(build, "tests", "bench")
    sock = ["--socket", address]
    both = sock + ["--threads", str(threads)]
    if app == "raw":
        return [os.path.join(bench_build, "raw-hello")] + sock
    if app == "raw_body":
        return [os.path.join(bench_build, "raw-hello")] + sock + ["--body"]
    if app == "c":
        return [os.path.join(build, "examples", "hello")] + both
    if app == "c_logged":  # the production features that run on every request
        return [os.path.join(build, "examples", "hello")] + both + [
            "--access-log", os.path.join(workdir, "access.log"), "--status-path", "/status"]
    if app == "c_body":
        return [os.path.join(bench_build, "bench-body")] + both
    if app == "python":
        return [devenv, PYTHON, os.path.join(SOURCE, "examples", "hello.py")] + both
    if app == "python_body":
        return [devenv, PYTHON, os.path.join(BENCH, "apps", "body.py")] + both
    if app in ("wsgi", "wsgi_body"):
        module = "hello_wsgi.py" if app == "wsgi" else "body_wsgi.py"
        return [devenv, PYTHON, "-m", "ffcgi.wsgi",
                os.path.join(BENCH, "apps", module) + ":app"] + both
    if app == "uwsgi":  # the peer of the WSGI rows, as issue 13 runs it
        return ["uwsgi", "--plugin", "python3", "--fastcgi-socket", address, "--wsgi-file",
                os.path.join(BENCH, "apps", "hello_wsgi.py"), "--callable", "app",
                "--disable-logging", "--processes", "1", "--threads", "1", "--die-on-term"]
    if app == "raku":
        return [devenv, "raku", os.path.join(SOURCE, "examples", "hello.raku")] + both
    if app == "raku_async":
        return [devenv, "raku", os.path.join(BENCH, "apps", "hello_async.raku")] + both
    if app == "raku_body":
        return [devenv, "raku", os.path.join(BENCH, "apps", "body.raku")] + sock
    if app == "raku_native":
        return [devenv, "raku", os.path.join(BENCH, "apps", "hello_native.raku")] + sock
    if app == "perl":
        return ["perl", os.path.join(BENCH, "apps", "hello.pl")] + sock
    if app == "php":
        return php_fpm_command(address, threads, workdir)
    if app == "workers":
        return [os.path.join(build, "tools", "supervisor", "ffcgi-supervisor"), "--socket", address,
                "--workers", str(threads), "--", os.path.join(build, "examples", "hello")]
    raise ValueError(f"unknown app {app}")


def php_fpm_command(address: str, children: int, workdir: str) -> List[str]:
    """php-fpm8.2 in the foreground with a config of its own in workdir:
    one static pool of `children` processes on address, serving a copy of
    apps/hello.php that the pool's user can read."""
    os.chmod(workdir, 0o755)
    shutil.copy(os.path.join(BENCH, "apps", "hello.php"), os.path.join(workdir, "hello.php"))
    os.chmod(os.path.join(workdir, "hello.php"), 0o644)
    user = "user = nobody\ngroup = nogroup\n" if os.geteuid() == 0 else ""
    conf = os.path.join(workdir, "php-fpm.conf")
    with open(conf, "w") as f:
        f.write(PHP_FPM_CONF.format(dir=workdir, socket=address, threads=children, user=user))
    return [shutil.which("php-fpm8.2") or "php-fpm8.2", "--nodaemonize", "--fpm-config", conf]


def app_params(app: str, workdir: str) -> List[str]:
    """Extra --param options the app needs from the load generator."""
    if app == "php":
        return ["--param", f"SCRIPT_FILENAME={workdir}/hello.php",
                "--param", "SCRIPT_NAME=/hello.php", "--param", f"DOCUMENT_ROOT={workdir}"]
    return []


def connectable(path: str) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(1)
        try:
            s.connect(path)
            return True
        except OSError:
            return False


class App:
    """One app serving a unix socket in a temporary directory of its own.
    pin: a CPU list for taskset (None: not pinned); wrap: a command that runs
    the app (e.g. valgrind)."""

    def __init__(self, app: str, build: str, threads: int = 1, pin: Optional[str] = None,
                 start_timeout: float = 60, wrap: Optional[List[str]] = None):
        self.name = app
        self.dir = tempfile.mkdtemp(prefix=f"ffcgi-bench-{app}-")
        self.socket = os.path.join(self.dir, "app.sock")
        command = (wrap or []) + app_command(app, build, self.socket, threads, self.dir)
        if pin is not None:
            command = ["taskset", "-c", pin] + command
        self.command = command
        self.params = app_params(app, self.dir)
        self.log_path = os.path.join(self.dir, "app.log")
        self.log = open(self.log_path, "wb")
        # taskset and devenv exec: the pid is the app's.
        self.proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, cwd=self.dir)
        self.pid = self.proc.pid
        deadline = time.monotonic() + start_timeout
        while not (os.path.exists(self.socket) and connectable(self.socket)):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                text = self.log_text()
                self.stop()
                raise RuntimeError(f"{app} did not start: {' '.join(command)}\n{text}")
            time.sleep(0.05)

    def log_text(self) -> str:
        with open(self.log_path, "rb") as f:
            return f.read()[-4000:].decode("utf-8", "replace")

    def stop(self, grace: float = 10) -> None:
        if self.log.closed:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(grace)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "App":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def parse_result(output: str) -> Dict[str, float]:
    """The key=value pairs of the last RESULT line, as numbers."""
    lines = [line for line in output.splitlines() if line.startswith("RESULT ")]
    if not lines:
        raise RuntimeError(f"no RESULT line in the load generator's output:\n{output}")
    return {key: float(value) for key, value in
            (pair.split("=", 1) for pair in lines[-1].split()[1:])}


def loadgen(build: str, app: App, args: List[str], pin: Optional[str] = None,
            timeout: float = 600) -> Dict[str, float]:
    """Runs ffcgi-loadgen against app (its pid as --server-pid) and returns
    its RESULT figures plus 'exit' (its exit status) and 'output'."""
    command = [os.path.join(build, "tests", "bench", "ffcgi-loadgen"), "--socket", app.socket,
               "--server-pid", str(app.pid)] + app.params + args
    if pin is not None:
        command = ["taskset", "-c", pin] + command
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=timeout, check=False)
    output = done.stdout.decode("utf-8", "replace")
    result: Dict = parse_result(output)
    result["exit"] = done.returncode
    result["output"] = output
    return result
