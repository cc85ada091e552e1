#!/usr/bin/python3
"""body.py — the benchmark's body app with the Request API (apps/body.c says
what it answers): the body read in 64 KiB pieces, the download written so.
    build/devenv /usr/bin/python3 tests/bench/apps/body.py --socket ADDRESS [--threads N]"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "examples"))
import example_args  # noqa: E402  (examples/: the command line every example shares)

CHUNK = bytes(i % 251 for i in range(65536))


def requested_bytes(query: str) -> int:
    for segment in query.split("&"):
        if segment.startswith("bytes="):
            return int(segment[6:])
    return -1


def body(request) -> None:
    got = 0
    buffer = bytearray(65536)
    while (n := request.readinto(buffer)) > 0:
        got += n
    want = requested_bytes(request.env.get("QUERY_STRING", ""))
    request.header("Content-Type", "application/octet-stream")
    request.header("X-Body-Bytes", str(got))
    if want < 0:
        request.write(b"read\n")
    while want > 0:
        piece = CHUNK if want >= len(CHUNK) else CHUNK[:want]
        request.write(piece)
        want -= len(piece)


if __name__ == "__main__":
    example_args.serve(body, __doc__.splitlines()[0])
