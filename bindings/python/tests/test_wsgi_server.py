"""The WSGI server as a whole: N threads really serving N requests at once
(wsgi.multithread), a client that goes away (the iterable is closed, the
worker goes on), and the command line `python3 -m ffcgi.wsgi MODULE[:APP]`:
file paths and dotted modules, its options, its errors, plain CGI
(wsgi.run_once) and a graceful stop on SIGTERM."""
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
import wsgiref.validate

import pytest

from fcgi_client import (STDIN, STDOUT, ClientError, RawConnection, free_port, request_head,
                         stream, wait_for_listener)
from ffcgi.wsgi import WSGIHandler

PARAMS = [("REQUEST_METHOD", "GET"), ("SERVER_NAME", "localhost"), ("SERVER_PORT", "80"),
          ("SERVER_PROTOCOL", "HTTP/1.1")]
TEXT = [("Content-Type", "text/plain")]
WAIT = 20.0

# An app for the command line tests: answers with its environ's flags as JSON.
FLAGS_APP = textwrap.dedent("""
    import json, os, time

    def report(environ, start_response):
        if environ["QUERY_STRING"] in ("slow", "hang"):
            open(os.environ["SLOW_MARKER"], "w").close()
            time.sleep(1.0 if environ["QUERY_STRING"] == "slow" else 60.0)
        if environ["QUERY_STRING"] == "raise":
            raise ValueError("the app failed on purpose")
        length = environ.get("CONTENT_LENGTH")  # none: read to the end of the body
        body = environ["wsgi.input"].read(int(length) if length else -1)
        keys = ("wsgi.multithread", "wsgi.multiprocess", "wsgi.run_once", "wsgi.url_scheme",
                "SCRIPT_NAME", "PATH_INFO", "REQUEST_METHOD")
        answer = {key: environ.get(key) for key in keys}
        answer["body"] = body.decode("latin-1")
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(answer).encode()]

    class Holder:
        app = staticmethod(report)

    application = report
    not_callable = 42
""")


def test_threads_serve_requests_at_once(serving, client):
    """Four requests meet at a barrier inside the app: only four threads
    serving at the same time get them all through."""
    barrier = threading.Barrier(4, timeout=WAIT)
    flags = []

    def app(environ, start_response):
        flags.append(environ["wsgi.multithread"])
        barrier.wait()
        start_response("200 OK", TEXT)
        return [threading.current_thread().name.encode()]

    address = serving.start(WSGIHandler(wsgiref.validate.validator(app), multithread=True),
                            threads=4)
    pendings = [client.start(address, params=PARAMS) for _ in range(4)]
    responses = [pending.result() for pending in pendings]
    assert [r.stderr for r in responses] == [b""] * 4
    assert len({r.body for r in responses}) == 4  # four different worker threads
    assert flags == [True] * 4


def test_a_client_that_goes_away_closes_the_iterable_and_the_worker_goes_on(serving, client):
    closed = threading.Event()
    produced = []

    def endless(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        if environ["QUERY_STRING"] == "short":
            yield b"short answer"
            return
        try:
            for number in range(4000):  # 256 MiB at most, should the disconnect go unseen
                produced.append(number)
                yield b"x" * 65536
        finally:
            closed.set()

    address = serving.start(WSGIHandler(endless), threads=1)
    with RawConnection(address, timeout=WAIT) as conn:
        conn.send(request_head(PARAMS) + stream(STDIN, 1, b""))
        rtype, _, _ = conn.read_record()
        assert rtype == STDOUT
    assert closed.wait(WAIT), "the iterable was not closed after the client left"
    assert len(produced) < 4000
    response = client.request(address, params=PARAMS, query="short")  # the one worker again
    assert response.protocol_status == 0 and response.body == b"short answer"


# -- the command line --------------------------------------------------------------------


@pytest.fixture
def app_dir(sockdir):
    with open(os.path.join(sockdir, "flags_app.py"), "w") as source:
        source.write(FLAGS_APP)
    return sockdir


def cli(processes, app_dir, *args, **popen):
    """Starts python3 -m ffcgi.wsgi ARGS in ``app_dir``."""
    env = dict(os.environ, SLOW_MARKER=os.path.join(app_dir, "slow.marker"))
    return processes.start([sys.executable, "-m", "ffcgi.wsgi", *args], cwd=app_dir, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen)


@pytest.mark.parametrize("spec, extra, expected", [
    ("flags_app.py", [], {"wsgi.multithread": False, "wsgi.multiprocess": False}),
    ("{dir}/flags_app.py:report", ["--threads", "3"], {"wsgi.multithread": True}),
    ("flags_app:Holder.app", ["--multiprocess"], {"wsgi.multiprocess": True}),
    ("flags_app", ["--script-name", "/mount"], {"SCRIPT_NAME": "/mount", "PATH_INFO": "/x"}),
])
def test_the_command_line_loads_files_and_modules(processes, client, app_dir, spec, extra,
                                                   expected):
    address = os.path.join(app_dir, "cli.sock")
    process = cli(processes, app_dir, spec.format(dir=app_dir), "--socket", address, *extra)
    wait_for_listener(address, process)
    response = client.request(address, params=PARAMS + [("SCRIPT_NAME", "/mount/x")])
    assert response.stderr == b"", response.stderr.decode(errors="replace")
    flags = json.loads(response.body)
    assert flags["wsgi.run_once"] is False
    for key, value in expected.items():
        assert flags[key] == value, key
    assert processes.stop(process) == 0
    assert not os.path.exists(address), "the socket file was left behind"
    assert b"ffcgi.wsgi: serving" in process.stderr.read()


def test_sigterm_lets_the_request_in_flight_finish(processes, client, app_dir):
    address = os.path.join(app_dir, "cli.sock")
    process = cli(processes, app_dir, "flags_app.py", "--socket", address, "--threads", "2")
    wait_for_listener(address, process)
    pending = client.start(address, params=PARAMS, query="slow")
    marker = os.path.join(app_dir, "slow.marker")
    deadline = time.monotonic() + WAIT
    while not os.path.exists(marker):
        assert time.monotonic() < deadline, "the slow request never started"
        time.sleep(0.01)
    process.send_signal(signal.SIGTERM)
    response = pending.result()
    assert response.protocol_status == 0 and json.loads(response.body)["REQUEST_METHOD"] == "GET"
    assert process.wait(WAIT) == 0
    assert not os.path.exists(address)


def test_without_a_listener_it_answers_once_as_cgi(app_dir):
    env = dict(os.environ, GATEWAY_INTERFACE="CGI/1.1", REQUEST_METHOD="POST",
               CONTENT_LENGTH="5", SCRIPT_NAME="/cgi/path", QUERY_STRING="", HTTPS="on")
    done = subprocess.run([sys.executable, "-m", "ffcgi.wsgi", "flags_app.py"], cwd=app_dir,
                          input=b"12345 and more than CONTENT_LENGTH", capture_output=True,
                          env=env, timeout=WAIT)
    assert done.returncode == 0, done.stderr.decode()
    head, _, body = done.stdout.partition(b"\r\n\r\n")
    assert head.split(b"\r\n") == [b"Status: 200 OK", b"Content-Type: application/json"]
    flags = json.loads(body)
    assert flags["wsgi.run_once"] is True and flags["wsgi.multithread"] is False
    assert flags["body"] == "12345"
    assert flags["wsgi.url_scheme"] == "https"
    assert (flags["SCRIPT_NAME"], flags["PATH_INFO"]) == ("", "/cgi/path")
    assert done.stderr == b""


def test_max_body_turns_a_bigger_body_into_413(processes, client, app_dir):
    address = os.path.join(app_dir, "cli.sock")
    process = cli(processes, app_dir, "flags_app.py", "--socket", address, "--max-body", "100")
    wait_for_listener(address, process)
    fits = client.request(address, params=PARAMS, stdin=b"x" * 100)
    assert fits.status_line == b"200 OK" and json.loads(fits.body)["body"] == "x" * 100
    too_big = client.request(address, params=PARAMS, stdin=b"x" * 101)
    assert too_big.status_line == b"413 Content Too Large"
    assert too_big.body == b"413 Content Too Large\n"
    assert too_big.stderr == b""  # CONTENT_LENGTH said so: the app never ran
    # no declared length: wsgi.input raises at the limit, the library answers
    growing = client.request(address, params=PARAMS + [("CONTENT_LENGTH", "")],
                             stdin=b"x" * 101)
    assert growing.status_line == b"413 Content Too Large"
    assert growing.body == b"413 Content Too Large\n"
    assert growing.stderr.startswith(b"ffcgi.wsgi: ") and b"Traceback" not in growing.stderr


@pytest.mark.parametrize("allow, served", [("10.0.0.0/8", False), ("127.0.0.0/8", True)])
def test_allow_restricts_the_peers_of_a_tcp_listener(processes, client, app_dir, allow, served):
    address = f"127.0.0.1:{free_port()}"
    process = cli(processes, app_dir, "flags_app.py", "--socket", address, "--allow", allow,
                  "--allow", "192.0.2.1")
    wait_for_listener(address, process)
    if served:
        assert client.request(address, params=PARAMS).status_line == b"200 OK"
    else:
        with pytest.raises(ClientError):
            client.request(address, params=PARAMS)
    assert processes.stop(process) == 0


@pytest.mark.parametrize("args, status, message", [
    (["missing_module:app"], 1, b"cannot load missing_module:app"),
    (["no/such/file.py"], 1, b"no such file"),
    (["flags_app.py:nothing_here"], 1, b"has no attribute 'nothing_here'"),
    (["flags_app.py:not_callable"], 1, b"not_callable is not callable"),
    (["flags_app.py", "--socket", "/nonexistent-dir/x.sock"], 1, b"/nonexistent-dir/x.sock"),
    (["flags_app.py", "--threads", "0"], 2,
     b"argument --threads: takes a whole number from 1 to 1024, not '0'"),
    (["flags_app.py", "--threads", "100000"], 2,
     b"argument --threads: takes a whole number from 1 to 1024, not '100000'"),
    (["flags_app.py", "--threads", "abc"], 2,
     b"argument --threads: takes a whole number from 1 to 1024, not 'abc'"),
    (["flags_app.py", "--mode", "999"], 2,
     b"argument --mode: takes an octal file mode such as 660, not '999'"),
    (["flags_app.py", "--max-body", "-5"], 2,
     b"argument --max-body: takes a whole number of at least 0, not '-5'"),
    (["flags_app.py", "--idle-timeout", "soon"], 2,
     b"argument --idle-timeout: takes a number of seconds (0 or more), not 'soon'"),
    (["flags_app.py", "--log-level", "loud"], 2,
     b"argument --log-level: 'loud' is not a log level (off, error, warning, info or debug)"),
    (["flags_app.py", "--workers", "2"], 1, b"--workers needs --socket"),
    (["flags_app.py", "--work", "2"], 2, b"unrecognized arguments: --work"),
    (["flags_app.py", "--socket", "unix:x.sock", "--uid", "no-such-user-here"], 1,
     b"--uid: no such user 'no-such-user-here'"),
    (["flags_app.py", "--socket", "unix:x.sock", "--chdir", "/nonexistent-dir"], 1,
     b"/nonexistent-dir"),
    (["flags_app.py", "--socket", "unix:x.sock", "--access-log", "/nonexistent-dir/a.log"], 1,
     b"cannot open the access log '/nonexistent-dir/a.log'"),
    (["flags_app.py", "--socket", "unix:x.sock", "--error-log", "/nonexistent-dir/e.log"], 1,
     b"cannot open the error log '/nonexistent-dir/e.log'"),
    ([], 2, b"usage:"),
])
def test_the_command_line_reports_errors(processes, app_dir, args, status, message):
    process = cli(processes, app_dir, *args)
    _, err = process.communicate(timeout=WAIT)
    assert process.returncode == status
    assert message in err, err.decode(errors="replace")
    assert b"serving" not in err  # said only once the listener is open
    assert b"Traceback" not in err or b"cannot load" in err
    assert not os.path.exists(os.path.join(app_dir, "x.sock"))


def start_hanging_request(processes, client, app_dir, *options):
    """A server with ``options`` and a request of it sleeping in the app;
    returns (process, pending response, error log path)."""
    address = os.path.join(app_dir, "cli.sock")
    errors = os.path.join(app_dir, "errors.log")
    process = cli(processes, app_dir, "flags_app.py", "--socket", address, "--error-log",
                  errors, *options)
    wait_for_listener(address, process)
    pending = client.start(address, params=PARAMS, query="hang")
    marker = os.path.join(app_dir, "slow.marker")
    deadline = time.monotonic() + WAIT
    while not os.path.exists(marker):
        assert time.monotonic() < deadline, "the hanging request never started"
        time.sleep(0.01)
    return process, pending, errors


def test_a_second_sigterm_stops_at_once(processes, client, app_dir):
    process, pending, errors = start_hanging_request(processes, client, app_dir)
    process.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    assert process.poll() is None, "the first SIGTERM must wait for the request in flight"
    process.send_signal(signal.SIGTERM)
    assert process.wait(WAIT) == 1
    with pytest.raises(ClientError):
        pending.result()  # cut off
    with open(errors) as log:
        assert "stopping at once (a second stop signal): 1 worker(s) still busy" in log.read()


def test_grace_bounds_how_long_a_stop_waits(processes, client, app_dir):
    process, pending, errors = start_hanging_request(processes, client, app_dir,
                                                     "--grace", "0.5")
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    assert process.wait(WAIT) == 1
    assert time.monotonic() - started < 10  # not the 60 s the app sleeps
    with open(errors) as log:
        assert "the grace of 0.5 s ran out" in log.read()


def test_logs_chdir_and_pythonpath(processes, client, app_dir, tmp_path):
    address = os.path.join(app_dir, "cli.sock")
    access, errors = str(tmp_path / "access.log"), str(tmp_path / "error.log")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    process = cli(processes, app_dir, "flags_app:report", "--socket", address,
                  "--chdir", str(elsewhere), "--pythonpath", app_dir, "--access-log", access,
                  "--error-log", errors, "--log-level", "info")
    wait_for_listener(address, process)
    ok = client.request(address, params=PARAMS + [("REQUEST_URI", "/fine")])
    assert ok.status_line == b"200 OK"
    failed = client.request(address, params=PARAMS + [("REQUEST_URI", "/boom?raise")],
                            query="raise")
    assert failed.status_line == b"500 Internal Server Error"
    assert processes.stop(process) == 0
    with open(access) as log:
        lines = log.read().splitlines()
    assert len(lines) == 2 and '"GET /fine HTTP/1.1" 200' in lines[0]
    assert '"GET /boom?raise HTTP/1.1" 500' in lines[1]
    with open(errors) as log:
        text = log.read()
    assert 'error: "GET /boom?raise" from - via unix peer pid ' in text
    assert "the application raised an exception:\n  Traceback" in text
    assert "ValueError: the app failed on purpose" in text
    assert "info: shutting down" in text


def test_the_status_page_is_answered_by_the_library(processes, client, app_dir):
    address = os.path.join(app_dir, "cli.sock")
    process = cli(processes, app_dir, "flags_app.py", "--socket", address, "--threads", "2",
                  "--status-path", "/status", "--slow", "0.5")
    wait_for_listener(address, process)
    pending = client.start(address, params=PARAMS + [("REQUEST_URI", "/hanging")],
                           query="slow")
    marker = os.path.join(app_dir, "slow.marker")
    deadline = time.monotonic() + WAIT
    while not os.path.exists(marker):
        assert time.monotonic() < deadline, "the slow request never started"
        time.sleep(0.01)
    page = client.request(address, params=PARAMS + [("REQUEST_URI", "/status?json")],
                          query="json")
    assert page.status_line == b"200 OK"
    status = json.loads(page.body)
    assert status["processes"] == 1 and status["busy_workers"] == 2
    busy = {worker["target"] for worker in status["workers"] if worker["state"] == "busy"}
    assert busy == {"/hanging", "/status?json"}
    pending.result()
    text = client.request(address, params=PARAMS + [("REQUEST_URI", "/status")])
    assert text.body.startswith(b"pid:") and b"\nslow requests:        1\n" in text.body
    assert processes.stop(process) == 0


VERSION_APP = textwrap.dedent("""
    import os
    VERSION = "one"

    def application(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [f"{VERSION} {os.getpid()}".encode()]
""")


class RequestLoop(threading.Thread):
    """Requests one after another until ``count`` or stop(); the answers'
    bodies, and the failures."""

    def __init__(self, client, address, count):
        super().__init__(daemon=True)
        self.client, self.address, self.count = client, address, count
        self.bodies, self.failures = [], []
        self.halt = threading.Event()

    def run(self):
        for _ in range(self.count):
            if self.halt.is_set():
                return
            try:
                response = self.client.request(self.address, params=PARAMS)
                if response.status_line == b"200 OK":
                    self.bodies.append(response.body.decode())
                else:
                    self.failures.append(response.status_line)
            except ClientError as error:
                self.failures.append(error)


def test_sighup_reloads_the_code_without_a_failed_request(processes, client, app_dir):
    with open(os.path.join(app_dir, "version_app.py"), "w") as source:
        source.write(VERSION_APP)
    address = os.path.join(app_dir, "cli.sock")
    errors = os.path.join(app_dir, "errors.log")
    process = cli(processes, app_dir, "version_app.py", "--socket", address, "--threads", "2",
                  "--error-log", errors, "--log-level", "info")
    wait_for_listener(address, process)
    loop = RequestLoop(client, address, 200)
    loop.start()
    while len(loop.bodies) < 20 and loop.is_alive():
        time.sleep(0.01)
    with open(os.path.join(app_dir, "version_app.py"), "w") as source:
        source.write(VERSION_APP.replace('"one"', '"two"'))
    process.send_signal(signal.SIGHUP)
    loop.join(60)
    assert loop.failures == [] and len(loop.bodies) == 200
    versions = [body.split()[0] for body in loop.bodies]
    assert versions[0] == "one" and versions[-1] == "two"
    assert versions == sorted(versions, key=["one", "two"].index)  # never back
    assert {body.split()[1] for body in loop.bodies} == {str(process.pid)}  # exec keeps the pid
    with open(errors) as log:
        assert "SIGHUP: re-executing" in log.read()
    assert os.path.exists(address)
    assert processes.stop(process) == 0
    assert not os.path.exists(address), "the re-executed server left its socket file"


def test_max_requests_replaces_the_process_without_a_failed_request(processes, client,
                                                                     app_dir):
    address = os.path.join(app_dir, "cli.sock")
    errors = os.path.join(app_dir, "errors.log")
    process = cli(processes, app_dir, "flags_app.py", "--socket", address, "--threads", "2",
                  "--max-requests", "20", "--error-log", errors, "--log-level", "info")
    wait_for_listener(address, process)
    loop = RequestLoop(client, address, 100)
    loop.start()
    loop.join(120)
    assert loop.failures == [] and len(loop.bodies) == 100
    with open(errors) as log:
        text = log.read()
    retirements = text.count("retiring: ")
    assert 4 <= retirements <= 5, text  # 20 to 22 requests each
    assert text.count("retired: re-executing") == retirements
    assert processes.stop(process) == 0
    assert not os.path.exists(address)


def test_timeout_answers_504_and_replaces_the_process(processes, client, app_dir):
    address = os.path.join(app_dir, "cli.sock")
    errors = os.path.join(app_dir, "errors.log")
    process = cli(processes, app_dir, "flags_app.py", "--socket", address, "--threads", "2",
                  "--timeout", "0.5", "--error-log", errors, "--log-level", "info")
    wait_for_listener(address, process)
    hung = client.request(address, params=PARAMS + [("REQUEST_URI", "/hang?hang")],
                          query="hang")  # the app sleeps 60 s
    assert hung.status_line == b"504 Gateway Timeout"
    after = client.request(address, params=PARAMS)  # by the re-executed process
    assert after.status_line == b"200 OK" and json.loads(after.body)["REQUEST_METHOD"] == "GET"
    with open(errors) as log:
        text = log.read()
    assert re.search(r'error: "GET /hang\?hang" from - via unix peer pid \d+: running \d+ ms, '
                     r"past FFCGI_LIMIT_REQUEST_MS \(500\): answered 504", text), text
    assert re.search(r"left behind: \d worker thread\(s\), stuck in timed-out requests", text)
    assert "retired: re-executing" in text
    assert processes.stop(process) == 0
    assert not os.path.exists(address)


def test_workers_run_under_the_supervisor(processes, client, app_dir):
    address = os.path.join(app_dir, "cli.sock")
    process = cli(processes, app_dir, "flags_app.py", "--socket", address, "--workers", "2",
                  "--status-path", "/status", "--mode", "660")
    wait_for_listener(address, process)
    assert os.stat(address).st_mode & 0o777 == 0o660
    deadline = time.monotonic() + WAIT
    while True:
        page = client.request(address, params=PARAMS + [("REQUEST_URI", "/status")],
                              query="json")
        status = json.loads(page.body)
        pids = {worker["pid"] for worker in status["workers"]}
        # a process is listed as soon as it starts; its threads once they wait for requests
        if (status["processes"] == 2 and len(pids) == 2) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert status["processes"] == 2
    assert len(pids) == 2
    assert process.pid not in pids  # the supervisor
    assert client.request(address, params=PARAMS).status_line == b"200 OK"
    assert processes.stop(process) == 0
    assert not os.path.exists(address)
    assert b"ffcgi-supervisor" in process.stderr.read()


def test_without_a_socket_on_a_terminal_it_says_what_cgi_mode_does(app_dir):
    main_end, terminal = os.openpty()
    try:
        done = subprocess.run([sys.executable, "-m", "ffcgi.wsgi", "flags_app.py"],
                              cwd=app_dir, stdin=terminal, capture_output=True, timeout=WAIT,
                              env=dict(os.environ, GATEWAY_INTERFACE="CGI/1.1",
                                       CONTENT_LENGTH="0"))
    finally:
        os.close(terminal)
        os.close(main_end)
    assert done.returncode == 0
    assert b"no --socket given and no listener inherited" in done.stderr
    assert b"give --socket ADDRESS" in done.stderr
    assert done.stdout.startswith(b"Status: 200 OK")
