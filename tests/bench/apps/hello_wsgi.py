"""hello_wsgi.py — the benchmark's hello app as a WSGI application: greets and
counts requests, as examples/hello.py does with the Request API.
    build/devenv /usr/bin/python3 -m ffcgi.wsgi tests/bench/apps/hello_wsgi.py:app --socket ADDRESS [--threads N]"""
import itertools

counter = itertools.count(1)  # next() on it is atomic under the GIL


def app(environ, start_response):
    body = f"<h1>Hello from ffcgi (WSGI)!</h1>\n<p>Request number {next(counter)}</p>\n".encode()
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
    return [body]
