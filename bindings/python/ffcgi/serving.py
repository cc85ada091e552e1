"""serve(): run a request handler on N threads until SIGTERM or SIGINT.

Each worker thread accepts on the shared Server with its own request handle;
the GIL is released inside every libffcgi call, so N requests really run at
once. On SIGTERM/SIGINT (when called from the main thread) the server stops
accepting, requests in flight complete, then the server closes.

A handler that raises an Exception gets the traceback written to the web
server's error log (FCGI_STDERR) and, if no byte of the response was sent
yet, a 500 response; the worker goes on serving. A BaseException that is not
an Exception (SystemExit, KeyboardInterrupt), or a failure of accept()
itself, stops the whole server; serve() re-raises it once every worker has
stopped and the server is closed.

SIGHUP, and the library retiring the server (a recycling limit such as
LIMIT_MAX_REQUESTS), call the ``reload`` given to serve_on() once the
requests in flight are done (ffcgi.wsgi re-executes itself there, keeping
the listener, or under ffcgi-supervisor exits to be replaced).

A stop waits for the requests in flight; with ``grace`` at most that many
seconds, and a second SIGTERM or SIGINT ends the wait at once. Requests
still running then are abandoned: the error log says how many, and the
process exits with status 1 at once (os._exit: a thread stuck in app code
cannot be stopped any other way).
"""
import os
import signal
import sys
import threading
import time
import traceback
from typing import Any, Callable, Dict, Iterable, Mapping, NoReturn, Optional, Union

from .errors import Error
from .request import Request
from .server import Address, Server

Handler = Callable[[Request], Any]
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _report_failure(request: Request) -> None:
    text = traceback.format_exc()
    try:
        request.log("error", "the handler raised an exception:\n" + text)
        request.stderr(text)
        request.status(500)
        request.header("Content-Type", "text/plain; charset=utf-8")
        request.print("Internal Server Error\n")
    except Error:
        pass  # the response had begun, or the web server is gone


class _Workers:
    """The worker threads of one serve_on() call and the first fatal
    exception any of them met."""

    def __init__(self, server: Server, handler: Handler, threads: int) -> None:
        self.server = server
        self.handler = handler
        self.fatal: Optional[BaseException] = None
        self.stop_requested: Optional[float] = None  # time.monotonic() when the stop began
        self.stop_now = False  # a second stop signal
        self.reload_requested = False  # SIGHUP
        self.threads = [threading.Thread(target=self.work, name=f"ffcgi-worker-{i}", daemon=True)
                        for i in range(threads)]

    def work(self) -> None:
        # Stop signals go to the main thread, whose handler shuts the server
        # down; a worker inside libfcgi's read or write is never interrupted.
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS + (signal.SIGHUP,))
        try:
            for request in self.server:
                try:
                    self.handler(request)
                except Exception:  # one bad request must not stop the worker
                    _report_failure(request)
                finally:
                    try:
                        request.finish()
                    except Error:
                        pass  # the web server went away; nothing left to tell it
        except BaseException as error:  # SystemExit, or accept() failing for good
            if self.fatal is None:
                self.fatal = error
            self.server.shutdown()

    def _begin_stop(self) -> None:
        if self.stop_requested is None:
            self.stop_requested = time.monotonic()
            self.server.shutdown()

    def stop_signal(self) -> None:
        """A stop signal arrived (on the main thread): the first stops
        accepting, a second ends the grace at once."""
        if self.stop_requested is None:
            self._begin_stop()
        else:
            self.stop_now = True

    def reload_signal(self) -> None:
        """SIGHUP: stop accepting; serve_on's reload takes over once the
        requests in flight are done."""
        self.reload_requested = True
        self._begin_stop()

    def _grace_over(self, grace: Optional[float]) -> bool:
        if self.stop_requested is None and self.server.retired:
            self.stop_requested = time.monotonic()  # retired by the library: a stop too
        if self.stop_requested is None:
            return False
        return self.stop_now or (grace is not None
                                 and time.monotonic() - self.stop_requested > grace)

    def run(self, grace: Optional[float]) -> bool:
        """Runs the workers until they end; False if the stop's grace ran
        out first (workers are still busy then)."""
        finished = False
        try:
            for thread in self.threads:
                thread.start()
            for thread in self.threads:
                while thread.is_alive():
                    thread.join(0.2)  # short waits keep the main thread's signal handlers running
                    if self._grace_over(grace) or self._only_timed_out_left():
                        return False
            finished = True
            return True
        finally:
            self.server.shutdown()
            if finished:
                for thread in self.threads:
                    if thread.ident is not None:
                        thread.join()

    def _only_timed_out_left(self) -> bool:
        """Retired for a timeout, and every request not timed out is done:
        the threads still busy are stuck in requests the library answered,
        and nothing is gained by waiting for them."""
        return self.server.retired == "timeout" and self.server.in_flight == 0

    def busy(self) -> int:
        return sum(thread.is_alive() for thread in self.threads)

    def cut_off(self, grace: Optional[float]) -> str:
        """Logs the requests a stop is about to cut off; returns why."""
        if self._only_timed_out_left():
            self.server.log("error", f"left behind: {self.busy()} worker thread(s), stuck in "
                                     f"timed-out requests (or just ending)")
            return "timed out"
        why = "a second stop signal" if self.stop_now else f"the grace of {grace:g} s ran out"
        self.server.log("error", f"stopping at once ({why}): {self.busy()} worker(s) still "
                                 f"busy; their requests are cut off")
        return why


def _exit_now(status: int) -> NoReturn:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def _catch_signals(workers: _Workers, reload: bool) -> Dict[int, Any]:
    """Installs handlers that stop (and with ``reload``, on SIGHUP,
    reload) ``workers``; returns the old ones."""
    previous = {}
    handlers = {signo: lambda *_: workers.stop_signal() for signo in STOP_SIGNALS}
    if reload:
        handlers[signal.SIGHUP] = lambda *_: workers.reload_signal()
    for signo, handler in handlers.items():
        previous[signo] = signal.signal(signo, handler)
        # SA_RESTART: no thread inside the library may see EINTR.
        signal.siginterrupt(signo, False)
    return previous


Reload = Callable[[Server, str], NoReturn]


def serve_on(server: Server, handler: Handler, *, threads: int = 1,
             handle_signals: bool = True, grace: Optional[float] = None,
             reload: Optional[Reload] = None) -> None:
    """Serves ``server`` with ``handler(request)`` on ``threads`` worker
    threads until it is shut down (``server.shutdown()`` from anywhere, or a
    stop signal), then closes it. Each request is finished after its handler
    returns. With ``handle_signals`` and when called from the main thread,
    SIGTERM and SIGINT shut the server down gracefully (requests in flight
    complete, for at most ``grace`` seconds if given; a second signal stops
    at once: see the module docstring); the previous handlers are restored
    on return. Re-raises a fatal exception of a worker.

    ``reload(server, why)`` replaces the process, keeping the listener
    open (it never returns): it is called instead of closing the server
    when SIGHUP arrived (why "SIGHUP") or the library retired the server (a
    recycling limit: why "retired"), once the requests in flight are done
    or the grace ran out. Without it SIGHUP keeps its default action."""
    if threads < 1:
        server.close()
        raise ValueError("threads must be at least 1")
    workers = _Workers(server, handler, threads)
    previous: Dict[int, Any] = {}
    try:
        if handle_signals and threading.current_thread() is threading.main_thread():
            previous = _catch_signals(workers, reload is not None)
        finished = workers.run(grace)
        replace = workers.reload_requested or bool(server.retired)
        if reload is not None and replace and workers.fatal is None and not workers.stop_now:
            if not finished:
                workers.cut_off(grace)
            reload(server, "SIGHUP" if workers.reload_requested else "retired")
        if not finished:
            _exit_now(0 if workers.cut_off(grace) == "timed out" and server.retired else 1)
    finally:
        for signo, handler_before in previous.items():
            # None: the old handler was not set from Python; default it is.
            signal.signal(signo, signal.SIG_DFL if handler_before is None else handler_before)
        server.close()
    if workers.fatal is not None:
        raise workers.fatal


def serve(handler: Handler, address: Optional[Address] = None, *, threads: int = 1,
          backlog: int = 0, mode: Optional[int] = None,
          limits: Optional[Mapping[int, int]] = None,
          allow: Union[str, Iterable[str], None] = None, handle_signals: bool = True) -> None:
    """Opens a Server (``address``, ``backlog``, ``mode``, ``limits`` and
    ``allow`` as for Server(); no address inherits the listener from the
    parent, or runs
    once as plain CGI) and serves it with ``handler`` on ``threads`` threads
    until SIGTERM/SIGINT (see serve_on).

        def hello(request):
            request.header("Content-Type", "text/plain")
            request.print("Hello\\n")

        ffcgi.serve(hello, "/run/hello.sock", threads=8)
    """
    if threads < 1:
        raise ValueError("threads must be at least 1")
    serve_on(Server(address, backlog=backlog, mode=mode, limits=limits, allow=allow), handler,
             threads=threads, handle_signals=handle_signals)


__all__ = ["Handler", "Reload", "STOP_SIGNALS", "serve", "serve_on"]
