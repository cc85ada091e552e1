"""Threads: serve(handler, threads=N) runs N handlers at once, proved from
the [start, end] intervals the handlers record themselves; the GIL is
released while a handler blocks inside the library; and many requests from
parallel clients are all answered correctly.

If the GIL were held during a blocking library call, the tests below that
wait for several handlers to be blocked at once would hang (CTest's timeout
then fails them): nothing else, not even the test's own bound, could run.
"""
import hashlib
import os
import threading
import time

import ffcgi
import fcgi_client as fc

N = 4


class Intervals:
    """[start, end] of each handler run, from time.monotonic(), and the
    worker thread that ran it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.runs = []

    def record(self, start: float, end: float) -> None:
        with self.lock:
            self.runs.append((start, end, threading.current_thread().name))

    def all_overlap(self) -> bool:
        """True if one moment lies inside every interval."""
        return max(start for start, _, _ in self.runs) < min(end for _, end, _ in self.runs)

    def disjoint(self) -> bool:
        ordered = sorted(self.runs)
        return all(later[0] >= earlier[1] for earlier, later in zip(ordered, ordered[1:]))

    def started(self) -> int:
        with self.lock:
            return len(self.runs)


def test_serve_with_n_threads_runs_n_handlers_at_once(client, serving):
    intervals = Intervals()
    meeting = threading.Barrier(N, timeout=20)

    def handler(request: ffcgi.Request) -> None:
        start = time.monotonic()
        meeting.wait()  # returns only when N handlers are inside at once
        request.print(request.env["QUERY_STRING"])
        intervals.record(start, time.monotonic())

    address = serving.start(handler, threads=N)
    pendings = [client.start(address, query=f"n={i}") for i in range(N)]
    assert sorted(p.result().stdout for p in pendings) == [b"n=%d" % i for i in range(N)]
    assert len(intervals.runs) == N
    assert intervals.all_overlap(), intervals.runs
    assert len({name for _, _, name in intervals.runs}) == N


def test_one_thread_runs_one_handler_at_a_time(client, serving):
    """The control for the measure above: with threads=1 the intervals of
    three concurrent requests never overlap."""
    intervals = Intervals()

    def handler(request: ffcgi.Request) -> None:
        start = time.monotonic()
        time.sleep(0.1)
        request.print("ok")
        intervals.record(start, time.monotonic())

    address = serving.start(handler, threads=1)
    pendings = [client.start(address) for _ in range(3)]
    assert [p.result().stdout for p in pendings] == [b"ok"] * 3
    assert intervals.disjoint() and not intervals.all_overlap(), intervals.runs


def test_the_gil_is_released_while_handlers_block_in_the_library(serving, address):
    """N handlers block in request.read() at the same time, waiting for
    bodies the test sends only once all N are blocked there."""
    starts, intervals = Intervals(), Intervals()

    def handler(request: ffcgi.Request) -> None:
        start = time.monotonic()
        starts.record(start, start)
        body = request.read()  # blocks in ffcgi_read until the test sends the body
        request.print(f"{request.env['I']}:{len(body)}")
        intervals.record(start, time.monotonic())

    serving.start(handler, threads=N, address=address)
    connections = [fc.RawConnection(address) for _ in range(N)]
    try:
        for i, conn in enumerate(connections):
            conn.send(fc.request_head([("I", str(i))]))
        deadline = time.monotonic() + 20
        while starts.started() < N and time.monotonic() < deadline:
            time.sleep(0.01)
        assert starts.started() == N, "the handlers did not all start"
        time.sleep(0.1)
        assert intervals.started() == 0, "a handler went on without its body"
        for i, conn in enumerate(connections):
            conn.send(fc.stream(fc.STDIN, 1, b"x" * (i + 1)))
        answers = [conn.read_response().stdout for conn in connections]
    finally:
        for conn in connections:
            conn.close()
    assert answers == [b"%d:%d" % (i, i + 1) for i in range(N)]
    assert intervals.all_overlap(), intervals.runs


def test_parallel_clients_get_correct_answers(client, serving, sockdir):
    clients, repeat = 8, 25
    handled, lock = [], threading.Lock()

    def handler(request: ffcgi.Request) -> None:
        digest = hashlib.sha256()
        while chunk := request.read(4096):
            digest.update(chunk)
        request.header("Content-Type", "text/plain")
        request.print(f"{request.env['QUERY_STRING']} {digest.hexdigest()}")
        with lock:
            handled.append(threading.current_thread().name)

    address = serving.start(handler, threads=N)
    pendings, bodies = [], []
    for i in range(clients):
        bodies.append(os.path.join(sockdir, f"body{i}"))
        pendings.append(client.start(address, query=f"client={i}", stdin_random=10000 + i,
                                     seed=i + 1, save_stdin=bodies[i], repeat=repeat,
                                     keep_conn=i % 2 == 0))
    for i, pending in enumerate(pendings):
        with open(bodies[i], "rb") as f:
            expected = f"client={i} {hashlib.sha256(f.read()).hexdigest()}".encode()
        assert pending.result().body == expected  # and --repeat: all 25 identical
    assert len(handled) == clients * repeat
    assert len(set(handled)) > 1, "one worker thread served everything"
