#!/usr/bin/python3
"""nginx_echo.py — build/examples/echo behind a private nginx (CTest nginx_c_echo).

    /usr/bin/python3 tests/frontends/nginx_echo.py --build-dir BUILD

Starts two echo apps (through BUILD/devenv): one on a unix socket, one on
127.0.0.1:a free port, and nginx on another free 127.0.0.1 port with
tests/frontends/nginx-echo.conf.in (rendered by examples/nginx/render), which
routes /echo to the unix one and /tcp/echo to the TCP one. Through both it
checks (see tests/conformance/ECHO_CONTRACT.md for the body):
  - GET ?a=1            -> 200, method=GET, query=a%3D1
  - POST 3 MiB random   -> stdin_bytes=3145728 and the right stdin_sha256
  - GET ?status=404     -> HTTP 404
  - GET ?stderr=hello-… -> the text shows up in nginx's error log
Standard library only. Everything is stopped by PID and the temporary
directory removed on every exit path; every wait is bounded.
"""
import argparse
import hashlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
TEMPLATE = os.path.join(HERE, "nginx-echo.conf.in")
RENDER = os.path.join(REPO, "examples", "nginx", "render")
FASTCGI_PARAMS = os.environ.get("FASTCGI_PARAMS", "/etc/nginx/fastcgi_params")
BODY_SIZE = 3 * 1024 * 1024


class Failure(Exception):
    pass


def log(msg):
    print("nginx_echo: " + msg, flush=True)


def find_nginx():
    env = os.environ.get("NGINX")
    if env:
        return env
    path = os.environ.get("PATH", "") + os.pathsep + "/usr/sbin" + os.pathsep + "/sbin"
    found = shutil.which("nginx", path=path)
    if not found:
        raise Failure("nginx not found (scripts/deps installs it)")
    return found


def free_ports(count):
    """count distinct free 127.0.0.1 ports (held together while picking)."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def wait_until(what, predicate, alive=None, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if alive is not None and alive.poll() is not None:
            raise Failure("%s: the process exited (status %s)" % (what, alive.returncode))
        time.sleep(0.05)
    raise Failure("%s: not within %.0f s" % (what, timeout))


def connectable(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def stop(proc, name):
    """SIGTERM, up to 5 s, then SIGKILL (with its children: nginx's workers)."""
    if proc is None or proc.poll() is not None:
        return
    children = []
    try:
        out = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True,
                             text=True, timeout=5).stdout
        children = [int(p) for p in out.split()]
    except (OSError, subprocess.SubprocessError, ValueError):
        pass
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        log("%s (pid %d) did not stop within 5 s: killing it" % (name, proc.pid))
        for pid in [proc.pid] + children:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        proc.wait(timeout=5)


class Harness:
    def __init__(self, build_dir):
        self.build_dir = build_dir
        self.devenv = os.path.join(build_dir, "devenv")
        self.echo = os.path.join(build_dir, "examples", "echo")
        for path in (self.devenv, self.echo):
            if not os.access(path, os.X_OK):
                raise Failure("%s is missing: build first" % path)
        if not os.access(FASTCGI_PARAMS, os.R_OK):
            raise Failure("%s not found (Debian's nginx-common installs it)" % FASTCGI_PARAMS)
        self.nginx_bin = find_nginx()
        self.procs = []  # (name, Popen), in start order
        self.nginx = None
        # /tmp, not TMPDIR: nginx's workers (nobody, when run as root) must
        # reach the socket, and its path must stay short.
        self.tmp = tempfile.mkdtemp(prefix="ffcgi-nginx-echo.", dir="/tmp")
        os.chmod(self.tmp, 0o755)
        self.logs = os.path.join(self.tmp, "logs")
        os.mkdir(self.logs)
        os.mkdir(os.path.join(self.tmp, "tmp"))
        self.error_log = os.path.join(self.logs, "error.log")
        self.socket = os.path.join(self.tmp, "echo.sock")
        self.port = None
        self.tcp_address = None

    def spawn(self, name, argv, umask=None):
        out = open(os.path.join(self.logs, name + ".log"), "ab")
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT,
                                    umask=-1 if umask is None else umask)
        finally:
            out.close()
        self.procs.append((name, proc))
        return proc

    def start_apps(self):
        # umask 000: the socket is 0777 so that nginx's workers can connect.
        app = self.spawn("echo-unix", [self.devenv, self.echo, "--socket", self.socket], umask=0)
        wait_until("echo on unix:" + self.socket, lambda: os.path.exists(self.socket), app)
        for attempt in range(3):
            (tcp_port,) = free_ports(1)
            self.tcp_address = "127.0.0.1:%d" % tcp_port
            app = self.spawn("echo-tcp", [self.devenv, self.echo, "--socket", self.tcp_address])
            try:
                wait_until("echo on " + self.tcp_address, lambda: connectable(tcp_port), app)
                return
            except Failure:
                if app.poll() is None or attempt == 2:
                    raise
                log("echo could not listen on %s; trying another port" % self.tcp_address)

    def start_nginx(self):
        conf = os.path.join(self.tmp, "nginx.conf")
        for attempt in range(3):
            (self.port,) = free_ports(1)
            subprocess.run([RENDER, TEMPLATE, conf, "PREFIX=" + self.tmp,
                            "PORT=%d" % self.port, "FASTCGI_PARAMS=" + FASTCGI_PARAMS,
                            "ECHO_UNIX_SOCKET=" + self.socket,
                            "ECHO_TCP_ADDRESS=" + self.tcp_address],
                           check=True, timeout=10)
            open(self.error_log, "w").close()
            self.nginx = self.spawn("nginx", [self.nginx_bin, "-p", self.tmp + "/", "-c", conf,
                                              "-e", self.error_log, "-g", "daemon off;"])
            try:
                wait_until("nginx on 127.0.0.1:%d" % self.port, self.answers, self.nginx)
                log("nginx answers on 127.0.0.1:%d" % self.port)
                return
            except Failure:
                if self.nginx.poll() is None or attempt == 2 or \
                        "Address already in use" not in self.read_error_log():
                    raise
                log("port %d was taken meanwhile; trying another" % self.port)

    def answers(self):
        try:
            self.request("GET", "/", timeout=1)
            return True
        except OSError:
            return False

    def request(self, method, path, body=None, headers=None, timeout=30):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, resp.getheader("Content-Type", ""), resp.read()
        finally:
            conn.close()

    def read_error_log(self):
        try:
            with open(self.error_log, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def show_logs(self):
        for name in sorted(os.listdir(self.logs)):
            path = os.path.join(self.logs, name)
            with open(path, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()[-20:]
            if lines:
                print("---- %s (last lines) ----" % name)
                print("\n".join(lines), flush=True)

    def close(self):
        if self.nginx is not None:
            stop(self.nginx, "nginx")
        for name, proc in self.procs:
            stop(proc, name)
        shutil.rmtree(self.tmp, ignore_errors=True)


def expect(cond, what):
    if not cond:
        raise Failure(what)


def expect_line(body, line):
    expect(("\n" + line + "\n").encode() in b"\n" + body,
           "no line %r in the body:\n%s" % (line, body.decode("ascii", "replace")))


def check_get(h, loc):
    status, ctype, body = h.request("GET", loc + "?a=1")
    expect(status == 200, "status %d, expected 200" % status)
    expect(ctype.startswith("text/plain"), "Content-Type %r" % ctype)
    expect_line(body, "method=GET")
    expect_line(body, "query=a%3D1")
    expect_line(body, "stdin_bytes=0")
    expect(body.endswith(b"\nend\n"), "the body does not end with 'end'")


def check_post(h, loc):
    data = os.urandom(BODY_SIZE)
    digest = hashlib.sha256(data).hexdigest()
    status, _, body = h.request("POST", loc, body=data,
                                headers={"Content-Type": "application/octet-stream"})
    expect(status == 200, "status %d, expected 200" % status)
    expect_line(body, "method=POST")
    expect_line(body, "stdin_bytes=%d" % BODY_SIZE)
    expect_line(body, "stdin_sha256=" + digest)
    expect_line(body, "CONTENT_LENGTH=%d" % BODY_SIZE)


def check_status(h, loc):
    status, _, body = h.request("GET", loc + "?status=404")
    expect(status == 404, "status %d, expected 404" % status)
    expect_line(body, "query=status%3D404")


def check_stderr(h, loc):
    token = "hello-%s-%s" % (loc.strip("/").replace("/", "-"), os.urandom(6).hex())
    status, _, _ = h.request("GET", loc + "?stderr=" + token)
    expect(status == 200, "status %d, expected 200" % status)
    deadline = time.monotonic() + 5
    while token not in h.read_error_log():
        if time.monotonic() > deadline:
            raise Failure("%r is not in nginx's error log within 5 s" % token)
        time.sleep(0.05)
    lines = [l for l in h.read_error_log().splitlines() if token in l]
    expect(any("FastCGI sent in stderr" in l for l in lines),
           "the error log line is not from FastCGI stderr: %r" % lines)


CHECKS = [
    ("GET with a query", check_get),
    ("POST of 3 MiB", check_post),
    ("status 404", check_status),
    ("stderr to the error log", check_stderr),
]


def on_signal(signo, _frame):
    raise SystemExit(128 + signo)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", required=True)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    passed = failed = 0
    h = None
    try:
        h = Harness(os.path.abspath(args.build_dir))
        h.start_apps()
        h.start_nginx()
        for loc, via in (("/echo", "unix socket"), ("/tcp/echo", "TCP " + h.tcp_address)):
            for name, check in CHECKS:
                label = "%s (%s): %s" % (loc, via, name)
                try:
                    check(h, loc)
                    passed += 1
                    print("ok - " + label, flush=True)
                except (Failure, OSError, http.client.HTTPException) as e:
                    failed += 1
                    print("FAIL - %s: %s" % (label, e), flush=True)
    except (Failure, OSError, subprocess.SubprocessError) as e:
        failed += 1
        print("FAIL - setup: %s" % e, flush=True)
    finally:
        if h is not None:
            if failed:
                h.show_logs()
            h.close()
    print("%d passed, %d failed" % (passed, failed), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
