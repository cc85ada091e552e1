"""Helpers shared by the tests (the fixtures in conftest.py use them)."""
import os
import select
import signal
import subprocess
import sys
import threading
import time
from typing import Callable, List, Optional, Tuple

import ffcgi

WATCHDOG_SECONDS = 60.0


def accept(server: ffcgi.Server, pending=None, timeout: float = WATCHDOG_SECONDS) -> ffcgi.Request:
    """server.accept(), bounded: a watchdog shuts the server down after
    ``timeout`` s, or as soon as ``pending`` (the fcgi_client.Pending whose
    request is expected) exits without an answer; the test fails then."""
    accepted = threading.Event()

    def watch() -> None:
        deadline = time.monotonic() + timeout
        while not accepted.wait(0.05):
            if time.monotonic() > deadline or (pending is not None and pending.exited()):
                server.shutdown()
                return

    watchdog = threading.Thread(target=watch, daemon=True)
    watchdog.start()
    try:
        request = server.accept()
    finally:
        accepted.set()
        watchdog.join()
    if request is None and pending is not None and pending.exited():
        pending.result()  # raises with the client's error message
    assert request is not None, "accept() returned None: shut down, or no request came in time"
    return request


class Serving:
    """Servers run by ffcgi.serve_on() on background threads of the test
    process (handle_signals=False: signals are the test runner's)."""

    def __init__(self, sockdir: str) -> None:
        self.sockdir = sockdir
        self.running: List[Tuple[ffcgi.Server, threading.Thread, List[BaseException]]] = []

    def start(self, handler: Callable[[ffcgi.Request], object], threads: int = 1,
              address: Optional[str] = None, server: Optional[ffcgi.Server] = None) -> str:
        """Serves ``handler`` on ``threads`` threads, on ``server`` or on a
        new Server at ``address`` (default: a fresh unix socket); returns the
        address (None for a given server)."""
        if server is None:
            address = address or os.path.join(self.sockdir, f"serve{len(self.running)}.sock")
            server = ffcgi.Server(address)
        failures: List[BaseException] = []

        def run() -> None:
            try:
                ffcgi.serve_on(server, handler, threads=threads, handle_signals=False)
            except BaseException as error:  # reported by stop()
                failures.append(error)

        thread = threading.Thread(target=run, name="serve_on", daemon=True)
        thread.start()
        self.running.append((server, thread, failures))
        return address

    def stop(self) -> None:
        """Shuts every server down and waits (bounded) for serve_on to return."""
        for server, _thread, _failures in self.running:
            server.shutdown()
        for server, thread, failures in self.running:
            thread.join(30)
            assert not thread.is_alive(), "serve_on did not return within 30 s of shutdown()"
            assert server.closed
            if failures:
                raise failures[0]
        self.running.clear()


class Processes:
    """Child processes of a test, stopped by PID when it ends."""

    def __init__(self) -> None:
        self.started: List[subprocess.Popen] = []

    def start(self, argv: List[str], **popen) -> subprocess.Popen:
        process = subprocess.Popen(argv, **popen)
        self.started.append(process)
        return process

    def python_app(self, script: str, *args: str, **popen) -> subprocess.Popen:
        """Runs a Python app with this interpreter and environment (the build
        tree's ffcgi: the tests run under build/devenv)."""
        return self.start([sys.executable, script, *args], **popen)

    @staticmethod
    def stop(process: subprocess.Popen, signo: int = signal.SIGTERM,
             timeout: float = 10.0) -> int:
        """Sends ``signo`` and waits up to ``timeout`` s; kills it after that
        and fails."""
        if process.poll() is None:
            process.send_signal(signo)
        try:
            return process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise AssertionError(f"process {process.pid} ignored signal {signo} "
                                 f"for {timeout} s and was killed") from None

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.started:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            for stream in (process.stdin, process.stdout, process.stderr):
                if stream is not None:
                    stream.close()


def read_line(stream, timeout: float = 15.0) -> str:
    """One line from a child's stdout pipe, waiting at most ``timeout`` s."""
    deadline = time.monotonic() + timeout
    line = b""
    while not line.endswith(b"\n"):
        ready, _, _ = select.select([stream], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            raise AssertionError(f"no line from the app within {timeout} s (got {line!r})")
        byte = os.read(stream.fileno(), 1)
        if not byte:
            raise AssertionError(f"the app closed its output (got {line!r})")
        line += byte
    return line.decode().rstrip("\n")
