#!/usr/bin/python3
"""stream.py — the download app of the front-end tests in Python (see stream.c
and tests/frontends/README.md, "The stream app").
    build/devenv /usr/bin/python3 tests/frontends/apps/stream.py [--socket ADDRESS] [--threads N]"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                                "examples"))
import example_args  # noqa: E402  (examples/example_args.py)
import ffcgi  # noqa: E402

PATTERN = 251
CHUNK = bytes(i % PATTERN for i in range(PATTERN * 256))


def query_number(query: str, key: str, fallback: int) -> int:
    for segment in query.split("&"):
        name, eq, value = segment.partition("=")
        if eq and name == key:
            return int(value) if value.isdigit() else fallback
    return fallback


def stream(request: ffcgi.Request) -> None:
    query = request.env.get("QUERY_STRING", "")
    size = query_number(query, "bytes", 0)
    status = query_number(query, "status", 200)
    request.status(status if 100 <= status <= 599 else 200)
    request.header("Content-Type", "application/octet-stream")
    request.header("Content-Length", str(size))
    request.header("X-Stream-Pid", str(os.getpid()))
    for k in range(1, min(query_number(query, "cookies", 0), 100) + 1):
        request.header("Set-Cookie", f"c{k}=v{k}; Path=/")
    sent = 0
    try:
        while sent < size:
            n = min(size - sent, len(CHUNK))
            request.write(CHUNK[:n] if n < len(CHUNK) else CHUNK)
            sent += n
    except (ffcgi.Disconnected, ffcgi.ConnectionIOError) as error:
        print(f"stream: client went away after {sent} of {size} bytes ({error})",
              file=sys.stderr, flush=True)


if __name__ == "__main__":
    args = example_args.parse(__doc__.splitlines()[0])
    ffcgi.serve(stream, args.socket, threads=args.threads)
