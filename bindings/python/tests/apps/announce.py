#!/usr/bin/python3
"""A test app that tells its test what it is doing, on its standard output:
"begin I" when a request (param I) starts, before it reads the body; "end I"
when the handler returns; "stopped" when serve() has returned. It answers
with the size of the body: "bytes=N".
    announce.py --socket ADDRESS [--threads N]"""
import argparse

import ffcgi


def handler(request: ffcgi.Request) -> None:
    name = request.env.get("I", "")
    print(f"begin {name}", flush=True)
    size = 0
    while chunk := request.read(65536):
        size += len(chunk)
    request.print(f"bytes={size}")
    print(f"end {name}", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--socket", required=True)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    ffcgi.serve(handler, args.socket, threads=args.threads)
    print("stopped", flush=True)
