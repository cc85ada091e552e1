#!/usr/bin/python3
"""hello.py — the smallest ffcgi app in Python: greets and counts requests.
    build/devenv /usr/bin/python3 examples/hello.py --socket /tmp/hello.sock [--threads N]"""
import itertools

import example_args
import ffcgi

counter = itertools.count(1)  # next() on it is atomic under the GIL


def hello(request: ffcgi.Request) -> None:
    request.header("Content-Type", "text/html; charset=utf-8")
    request.print(f"<h1>Hello from ffcgi (Python)!</h1>\n<p>Request number {next(counter)}</p>\n")


if __name__ == "__main__":
    example_args.serve(hello, __doc__.splitlines()[0])
