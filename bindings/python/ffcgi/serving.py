"""serve(): run a request handler on N threads until SIGTERM or SIGINT.

Each worker thread accepts on the shared Server with its own request handle;
the GIL is released inside every libffcgi call, so N requests really run at
once. On SIGTERM/SIGINT (when called from the main thread) the server stops
accepting, requests in flight complete, then the server closes. A handler
that raises gets the traceback written to the web server's error log and, if
nothing was sent yet, a 500 response; the worker goes on serving.
"""
import signal
import threading
import traceback
from typing import Any, Callable, List, Optional

from .errors import Error
from .request import Request
from .server import Server

Handler = Callable[[Request], Any]
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _report_failure(request: Request) -> None:
    text = traceback.format_exc()
    try:
        request.stderr(text)
        request.status(500)
        request.header("Content-Type", "text/plain; charset=utf-8")
        request.print("Internal Server Error\n")
    except Error:
        pass  # the response had begun, or the web server is gone


def _work(server: Server, handler: Handler) -> None:
    for request in server:
        try:
            handler(request)
        except Exception:  # one bad request must not stop the worker
            _report_failure(request)
        try:
            request.finish()
        except Error:
            pass  # the web server went away; nothing left to tell it


def serve_on(server: Server, handler: Handler, *, threads: int = 1,
             handle_signals: bool = True) -> None:
    """Serves ``server`` with ``threads`` workers until it is shut down,
    then closes it. With ``handle_signals`` (main thread only) SIGTERM and
    SIGINT shut it down gracefully; the previous handlers are restored."""
    if threads < 1:
        raise ValueError("threads must be at least 1")
    previous = {}
    if handle_signals and threading.current_thread() is threading.main_thread():
        for signo in _STOP_SIGNALS:
            previous[signo] = signal.signal(signo, lambda *_: server.shutdown())
    workers: List[threading.Thread] = [
        threading.Thread(target=_work, args=(server, handler), name=f"ffcgi-worker-{i}",
                         daemon=True)
        for i in range(threads)]
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            while worker.is_alive():
                worker.join(0.2)  # a short wait keeps signal handlers running
    finally:
        server.shutdown()
        for worker in workers:
            if worker.ident is not None:
                worker.join()
        for signo, handler_before in previous.items():
            signal.signal(signo, handler_before)
        server.close()


def serve(handler: Handler, address: Optional[str] = None, *, threads: int = 1,
          backlog: int = 0, mode: Optional[int] = None, handle_signals: bool = True) -> None:
    """Opens a Server (``address`` as for Server(); None inherits fd 0 or
    runs once as CGI) and serves it with ``handler`` on ``threads`` threads
    until SIGTERM/SIGINT (see serve_on)."""
    serve_on(Server(address, backlog=backlog, mode=mode), handler, threads=threads,
             handle_signals=handle_signals)
