#!/usr/bin/python3
"""echo.py — the echo contract (tests/conformance/ECHO_CONTRACT.md) in Python.
    build/devenv /usr/bin/python3 examples/echo.py --socket /tmp/echo.sock [--threads N]"""
import hashlib

import example_args
import ffcgi

SAFE = frozenset(range(0x21, 0x7F)) - {ord("%"), ord("=")}


def esc(raw: bytes) -> str:
    return "".join(chr(b) if b in SAFE else f"%{b:02X}" for b in raw)


def query_value(query: bytes, key: bytes) -> bytes:
    """The value of the first `key=` segment, or b""."""
    for segment in query.split(b"&"):
        name, eq, value = segment.partition(b"=")
        if eq and name == key:
            return value
    return b""


def echo(request: ffcgi.Request) -> None:
    env = request.env_bytes
    query = env.get(b"QUERY_STRING", b"")
    message = query_value(query, b"stderr")
    if message:
        request.stderr(message + b"\n")
    digest, count = hashlib.sha256(), 0
    while chunk := request.read(65536):
        digest.update(chunk)
        count += len(chunk)
    status = query_value(query, b"status")
    valid = len(status) == 3 and status.isdigit() and 100 <= int(status) <= 599
    request.status(int(status) if valid else 200)
    request.header("Content-Type", "text/plain")
    lines = sorted(f"{esc(name)}={esc(value)}\n" for name, value in request.params)
    request.print(f"method={esc(env.get(b'REQUEST_METHOD', b''))}\nquery={esc(query)}\n"
                  f"stdin_bytes={count}\nstdin_sha256={digest.hexdigest()}\n"
                  f"param_count={len(lines)}\n" + "".join(lines) + "end\n")


if __name__ == "__main__":
    example_args.serve(echo, __doc__.splitlines()[0])
