"""stream_wsgi.py — the download app of the front-end tests as a WSGI
application (see stream.c and tests/frontends/README.md, "The stream app").
    build/devenv /usr/bin/python3 -m ffcgi.wsgi tests/frontends/apps/stream_wsgi.py --socket ADDRESS"""
import os
import sys
from http import HTTPStatus

from stream import CHUNK, query_number  # stream.py beside it: the same body and query rules


def body(size):
    sent = 0  # counts the chunk being yielded, so the last one never looks cut short
    try:
        while sent < size:
            n = min(size - sent, len(CHUNK))
            sent += n
            yield CHUNK[:n] if n < len(CHUNK) else CHUNK
    except GeneratorExit:  # the server closes the body early when the client went away
        if sent < size:
            print(f"stream: client went away after {sent} of {size} bytes", file=sys.stderr,
                  flush=True)
        raise


def application(environ, start_response):
    query = environ.get("QUERY_STRING", "")
    size = query_number(query, "bytes", 0)
    status = query_number(query, "status", 200)
    status = status if 100 <= status <= 599 else 200
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    headers = [("Content-Type", "application/octet-stream"), ("Content-Length", str(size)),
               ("X-Stream-Pid", str(os.getpid()))]
    headers += [("Set-Cookie", f"c{k}=v{k}; Path=/")
                for k in range(1, min(query_number(query, "cookies", 0), 100) + 1)]
    start_response(f"{status} {reason}", headers)
    return body(size)


if __name__ == "__main__":
    import example_args  # examples/example_args.py (stream.py put examples/ on the path)
    import ffcgi.wsgi

    args = example_args.parse(__doc__.splitlines()[0])
    ffcgi.wsgi.serve(application, args.socket, threads=args.threads)
