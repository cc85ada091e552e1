"""frontend.py — what the front-end tests share (tests/frontends/README.md).

A front-end test starts real processes — the example apps and a real web
server (nginx, Apache httpd, lighttpd) — on 127.0.0.1 under a private
temporary directory, talks HTTP to the web server and stops everything it
started by PID. This module holds the pieces every such test needs:

  Workspace   the temporary directory (0755 under /tmp), the processes started
              in it (each with a log file), and their cleanup on every exit path
  Apps        the command lines of the example apps in every language, and
              stage(): copies of them for web servers that drop root (Staged)
  fetch()     one HTTP request with http.client; Response keeps every header
  run()       sets up, runs named checks, prints "ok - …"/"FAIL - …" and the
              closing "N passed, N failed" line, returns the exit status
  main()      the command line of every test (--build-dir) around run()

Standard library only; every wait is bounded.
"""
import argparse
import grp
import http.client
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
EXAMPLES = os.path.join(REPO, "examples")
RENDER = os.path.join(EXAMPLES, "nginx", "render")
FASTCGI_PARAMS = os.environ.get("FASTCGI_PARAMS", "/etc/nginx/fastcgi_params")
LANGUAGES = ("c", "python", "raku", "wsgi", "psgi")  # psgi: Raku on FastCGI::NativeCall::PSGI


class Failure(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise Failure(what)


def find_program(name, env_var=None):
    """The program from $env_var, else from PATH plus /usr/sbin and /sbin
    (Debian puts nginx, apache2 and lighttpd there, off most users' PATH)."""
    if env_var and os.environ.get(env_var):
        return os.environ[env_var]
    path = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
    found = shutil.which(name, path=path)
    if not found:
        raise Failure("%s not found (scripts/deps installs it)" % name)
    return found


def free_ports(count, host="127.0.0.1"):
    """count distinct free ports on host (held together while picking)."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind((host, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def wait_until(what, predicate, alive=None, timeout=10.0):
    """Polls predicate() until it is true; fails after timeout seconds, or at
    once when the process `alive` exits meanwhile."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if alive is not None and alive.poll() is not None:
            raise Failure("%s: the process exited (status %s)" % (what, alive.returncode))
        time.sleep(0.05)
    raise Failure("%s: not within %.0f s" % (what, timeout))


def connectable(host, port):
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def server_user():
    """(user, group) the web servers hand their workers and spawned apps to:
    `nobody`/its group when the test runs as root (Apache refuses to serve as
    root, nginx's workers default to nobody), else the current user."""
    if os.geteuid() == 0:
        entry = pwd.getpwnam("nobody")
    else:
        entry = pwd.getpwuid(os.geteuid())
    return entry.pw_name, grp.getgrgid(entry.pw_gid).gr_name


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # [(name, value)] in order, repeats kept
        self.body = body

    def header(self, name, default=""):
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return default

    def all(self, name):
        return [value for key, value in self.headers if key.lower() == name.lower()]


def fetch(port, method, path, body=None, headers=None, timeout=30, host="127.0.0.1"):
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return Response(resp.status, resp.getheaders(), resp.read())
    finally:
        conn.close()


def answers(port):
    """True once something speaks HTTP on 127.0.0.1:port."""
    try:
        fetch(port, "GET", "/", timeout=1)
        return True
    except (OSError, http.client.HTTPException):
        return False


def stop(proc, name, say):
    """SIGTERM, up to 5 s, then SIGKILL. Every process is started in a
    session of its own (spawn()), so what it leaves behind — nginx's
    workers, the apps Apache or lighttpd spawned — is killed with its process
    group afterwards. Returns the exit status."""
    if proc is None:
        return None
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            say("%s (pid %d) did not stop within 5 s: killing it" % (name, proc.pid))
            proc.kill()
            proc.wait(timeout=5)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass  # nothing left
    return proc.returncode


def running(pid):
    """True if pid exists and is not a zombie (an orphan's zombie lingers
    until init reaps it)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def stop_pid(pid, name, say):
    """Stops a process that is not our child: SIGTERM, up to 5 s, SIGKILL."""
    try:
        if not running(pid):
            return
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        while running(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if running(pid):
            say("%s (pid %d) did not stop within 5 s: killing it" % (name, pid))
            os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # it went meanwhile


class Workspace:
    """A private temporary directory and the processes started in it."""

    def __init__(self, name):
        self.name = name
        # /tmp, not TMPDIR: web server workers (nobody, when run as root) must
        # reach the sockets in it, and unix socket paths must stay short.
        self.dir = tempfile.mkdtemp(prefix="ffcgi-%s." % name, dir="/tmp")
        os.chmod(self.dir, 0o755)
        self.logs = self.path("logs")
        os.mkdir(self.logs)
        os.mkdir(self.path("tmp"))
        self.procs = []  # (name, Popen), in start order
        self.orphans = []  # (name, pid) of processes that are not our children

    def say(self, msg):
        print("%s: %s" % (self.name, msg), flush=True)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def log(self, name):
        return os.path.join(self.logs, name + ".log")

    def read(self, path):
        try:
            with open(path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    @staticmethod
    def give_to_server(*dirs):
        """Makes dirs (created if needed) writable for server_user(): servers
        that drop root create their sockets and logs there as that user."""
        user, group = server_user()
        for d in dirs:
            os.makedirs(d, exist_ok=True)
            if os.geteuid() == 0:
                shutil.chown(d, user, group)

    def spawn(self, name, argv, umask=None, env=None, cwd=None):
        out = open(self.log(name), "ab")
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT, env=env, cwd=cwd,
                                    umask=-1 if umask is None else umask,
                                    start_new_session=True)
        finally:
            out.close()
        self.procs.append((name, proc))
        return proc

    def start_app(self, name, argv, address, timeout=60):
        """Starts an app with --socket address and waits until it listens. A
        unix socket is made under umask 000 (0777: see
        examples/nginx/ffcgi-demo.conf.in for why). For "HOST:0" a free port
        is picked (again, if another process took it meanwhile). The timeout
        leaves Raku room to precompile its modules on a first run. Returns
        (Popen, the address)."""
        host, sep, port = address.rpartition(":")
        for attempt in range(3):
            if sep and port == "0":
                address = "%s:%d" % (host, free_ports(1, host)[0])
            tcp = address.rpartition(":")
            proc = self.spawn(name, argv + ["--socket", address],
                              umask=None if sep else 0)
            if sep:
                ready = lambda: connectable(tcp[0], int(tcp[2]))  # noqa: E731
            else:
                ready = lambda: os.path.exists(address)  # noqa: E731
            try:
                wait_until("%s on %s" % (name, address), ready, proc, timeout)
                return proc, address
            except Failure:
                if not sep or port != "0" or proc.poll() is None or attempt == 2:
                    raise
                self.say("%s could not listen on %s; trying another port" % (name, address))
        raise AssertionError("unreachable")

    def start_server(self, name, template, conf, values, argv, error_log, timeout=20):
        """Renders template into conf with values plus PORT (a free port) and
        starts the web server argv; waits until it answers HTTP. If the port
        was taken meanwhile ("Address already in use" in error_log or the
        server's output), tries another. Returns (Popen, port)."""
        for attempt in range(3):
            (port,) = free_ports(1)
            render(template, conf, dict(values, PORT=port))
            proc = self.spawn(name, argv)
            try:
                wait_until("%s on 127.0.0.1:%d" % (name, port), lambda: answers(port), proc,
                           timeout)
                self.say("%s answers on 127.0.0.1:%d" % (name, port))
                return proc, port
            except Failure:
                clash = "Address already in use" in (self.read(error_log) +
                                                     self.read(self.log(name)))
                if proc.poll() is None or attempt == 2 or not clash:
                    raise
                self.say("port %d was taken meanwhile; trying another" % port)
        raise AssertionError("unreachable")

    def start_nginx(self, template, values):
        """start_server() for nginx, in the foreground with PREFIX (this
        directory) and FASTCGI_PARAMS added to values. Returns (port, the
        error log's path)."""
        nginx = find_program("nginx", "NGINX")
        expect(os.access(FASTCGI_PARAMS, os.R_OK),
               "%s not found (Debian's nginx-common installs it)" % FASTCGI_PARAMS)
        error_log = os.path.join(self.logs, "error.log")
        conf = self.path("nginx.conf")
        values = dict(values, PREFIX=self.dir, FASTCGI_PARAMS=FASTCGI_PARAMS)
        _, port = self.start_server("nginx", template, conf, values,
                                    [nginx, "-p", self.dir + "/", "-c", conf, "-e", error_log,
                                     "-g", "daemon off;"], error_log)
        return port, error_log

    def adopt(self, name, pidfile):
        """Takes over the processes whose PIDs pidfile lists (one a line:
        spawn-fcgi -P); close() stops them. Returns the PIDs."""
        with open(pidfile) as f:
            pids = [int(line) for line in f.read().split()]
        self.orphans += [(name, pid) for pid in pids]
        return pids

    def show_logs(self):
        for root, _, files in os.walk(self.logs):
            for name in sorted(files):
                lines = self.read(os.path.join(root, name)).splitlines()[-25:]
                if lines:
                    print("---- %s (last lines) ----" % name)
                    print("\n".join(lines), flush=True)

    def close(self):
        for name, pid in self.orphans:
            stop_pid(pid, name, self.say)
        for name, proc in reversed(self.procs):
            stop(proc, name, self.say)
        shutil.rmtree(self.dir, ignore_errors=True)


def render(template, output, values):
    """examples/nginx/render: @NAME@ placeholders filled in, none left over."""
    subprocess.run([RENDER, template, output] +
                   ["%s=%s" % (k, v) for k, v in sorted(values.items())],
                   check=True, timeout=10)


class Apps:
    """Command lines of the apps, each run through BUILD/devenv (the build
    tree's libffcgi and Python package): hello and echo from examples/, and
    stream (tests/frontends/apps, the download app) in every language."""

    def __init__(self, build_dir):
        self.build = os.path.abspath(build_dir)
        self.devenv = os.path.join(self.build, "devenv")
        self.python = sys.executable
        expect(os.access(self.devenv, os.X_OK), "%s is missing: build first" % self.devenv)

    def c_binary(self, app):
        if app == "stream":
            return os.path.join(self.build, "tests", "frontends", "frontend_stream")
        return os.path.join(self.build, "examples", app)

    def script(self, app, lang):
        """The source file of a Python, WSGI or Raku app."""
        apps = os.path.join(HERE, "apps")
        name = {("stream", "python"): os.path.join(apps, "stream.py"),
                ("stream", "wsgi"): os.path.join(apps, "stream_wsgi.py"),
                ("stream", "raku"): os.path.join(apps, "stream.raku"),
                ("stream", "psgi"): os.path.join(apps, "stream_psgi.raku"),
                ("echo", "psgi"): os.path.join(EXAMPLES, "echo_psgi.raku"),
                ("hello", "wsgi"): os.path.join(EXAMPLES, "wsgi_app.py"),
                ("echo", "wsgi"): os.path.join(EXAMPLES, "echo_wsgi.py")}.get((app, lang))
        ext = ".raku" if lang in ("raku", "psgi") else ".py"
        return name or os.path.join(EXAMPLES, app + ext)

    def stage(self, dest, wanted):
        """Copies the apps wanted ((app, lang) pairs) and what they need
        under dest; returns a Staged. A Python, WSGI or Raku app's copy is its
        script with this interpreter in the #! line; a WSGI app must serve
        itself when run as a script."""
        staged = Staged(dest)
        os.makedirs(staged.lib)
        shutil.copy(os.path.join(self.build, "src", "libffcgi.so.1"), staged.lib)
        shutil.copytree(os.path.join(self.build, "python", "ffcgi"),
                        os.path.join(staged.pythonpath, "ffcgi"),
                        ignore=shutil.ignore_patterns("*.c", "*.o", "__pycache__"))
        for module in (os.path.join(EXAMPLES, "example_args.py"),  # what the Python apps import
                       os.path.join(EXAMPLES, "echo.py"),
                       os.path.join(HERE, "apps", "stream.py")):
            shutil.copy(module, staged.pythonpath)
        for app, lang in wanted:
            target = os.path.join(dest, "%s-%s" % (app, lang))
            if lang == "c":
                shutil.copy(self.argv(app, lang)[-1], target)
            else:
                interpreter = find_program("raku", "RAKU") if lang == "raku" else self.python
                with open(self.script(app, lang), "rb") as f:
                    source = f.read()
                if source.startswith(b"#!"):
                    source = source[source.index(b"\n") + 1:]
                with open(target, "wb") as f:
                    f.write(b"#!" + interpreter.encode() + b"\n" + source)
            staged.path[(app, lang)] = target
        if any(lang == "raku" for _, lang in wanted):
            shutil.copytree(os.path.join(REPO, "bindings", "raku", "lib"), staged.rakulib,
                            ignore=shutil.ignore_patterns(".precomp"))
            shutil.copy(os.path.join(EXAMPLES, "lib", "EchoContract.rakumod"), staged.rakulib)
            subprocess.run([find_program("raku", "RAKU"), "-e",
                            "use FastCGI::NativeCall; use FastCGI::NativeCall::Async; use EchoContract"],
                           env=dict(os.environ, **dict(staged.env, HOME=staged.home)),
                           check=True, timeout=300)
            shutil.rmtree(staged.home, ignore_errors=True)  # root's cache: USER makes its own
        for root, dirs, files in os.walk(dest):
            for name in dirs + files:
                os.chmod(os.path.join(root, name), 0o755)
        os.mkdir(staged.home)
        Workspace.give_to_server(staged.home)
        return staged

    def argv(self, app, lang):
        """The app's command line, without --socket."""
        if lang == "c":
            path = self.c_binary(app)
            expect(os.access(path, os.X_OK), "%s is missing: build first" % path)
            return [self.devenv, path]
        path = self.script(app, lang)
        expect(os.path.exists(path), "%s is missing" % path)
        if lang == "python":
            return [self.devenv, self.python, path]
        if lang == "wsgi":
            return [self.devenv, self.python, "-m", "ffcgi.wsgi", path + ":application"]
        if lang in ("raku", "psgi"):
            return [self.devenv, find_program("raku", "RAKU"), "-I",
                    os.path.join(REPO, "bindings", "raku", "lib"), path]
        raise Failure("unknown language %r" % lang)


class Staged:
    """Copies of apps that a web server spawns itself (Apache mod_fcgid,
    lighttpd bin-path), made by Apps.stage(). Such apps run as the server's
    user — nobody when the test runs as root — who may not be able to read
    the build tree (a clone under /root is 0700), so, as an install would,
    the test copies what they need into its 0755 temporary directory:
        DEST/lib/libffcgi.so.1, DEST/python/ (the ffcgi package, compiled
        part included, and the examples' modules), DEST/<app>-<lang>
        DEST/raku/ (FastCGI::NativeCall and the Raku examples' EchoContract,
        precompiled here: the server's user cannot write there), DEST/home/
        (that user's $HOME, for Raku)
    path[(app, lang)] is the executable; env are the variables it needs
    (build/devenv sets the same ones for the build tree)."""

    def __init__(self, dest):
        self.dest = dest
        self.lib = os.path.join(dest, "lib")
        self.pythonpath = os.path.join(dest, "python")
        self.rakulib = os.path.join(dest, "raku")
        self.home = os.path.join(dest, "home")  # Raku keeps a cache under $HOME/.raku
        self.path = {}
        self.env = {"LD_LIBRARY_PATH": self.lib,
                    "FFCGI_LIBRARY": os.path.join(self.lib, "libffcgi.so.1"),
                    "PYTHONPATH": self.pythonpath,
                    "PYTHONDONTWRITEBYTECODE": "1",
                    "RAKULIB": self.rakulib,
                    "HOME": self.home}


def run(name, plan):
    """Creates a Workspace and runs plan(ws): a generator that starts what it
    needs and yields (label, check) pairs; each check() runs when yielded.
    Prints one line per check and the closing count, shows the logs on a
    failure, always stops everything and removes the directory. An exception
    from plan itself (setup) ends the run as a failure. Returns the exit
    status."""
    def on_signal(signo, _frame):
        raise SystemExit(128 + signo)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    passed = failed = 0
    ws = None
    try:
        ws = Workspace(name)
        for label, check in plan(ws):
            try:
                check()
                passed += 1
                print("ok - " + label, flush=True)
            except (Failure, OSError, http.client.HTTPException) as e:
                failed += 1
                print("FAIL - %s: %s" % (label, e), flush=True)
    except (Failure, OSError, subprocess.SubprocessError) as e:
        failed += 1
        print("FAIL - %s setup: %s" % (name, e), flush=True)
    finally:
        if ws is not None:
            if failed:
                ws.show_logs()
            ws.close()
    print("%d passed, %d failed" % (passed, failed), flush=True)
    return 1 if failed else 0


def main(doc, name, plan, add_options=None):
    """The command line every test shares: --build-dir BUILD, and what
    add_options(parser) adds. Runs plan(ws, args) with run(); name may be a
    function of args. Returns the exit status."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--build-dir", required=True)
    if add_options:
        add_options(parser)
    args = parser.parse_args()
    return run(name(args) if callable(name) else name, lambda ws: plan(ws, args))
