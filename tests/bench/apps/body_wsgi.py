"""body_wsgi.py — the benchmark's body app as a WSGI application (apps/body.c
says what it answers): wsgi.input read in 64 KiB pieces, the download yielded
in 64 KiB pieces.
    build/devenv /usr/bin/python3 -m ffcgi.wsgi tests/bench/apps/body_wsgi.py:app --socket ADDRESS"""
CHUNK = bytes(i % 251 for i in range(65536))


def requested_bytes(query):
    for segment in query.split("&"):
        if segment.startswith("bytes="):
            return int(segment[6:])
    return -1


def download(want):
    while want > 0:
        piece = CHUNK if want >= len(CHUNK) else CHUNK[:want]
        want -= len(piece)
        yield piece


def app(environ, start_response):
    stream, got = environ["wsgi.input"], 0
    while piece := stream.read(65536):
        got += len(piece)
    want = requested_bytes(environ.get("QUERY_STRING", ""))
    start_response("200 OK", [("Content-Type", "application/octet-stream"), ("X-Body-Bytes", str(got))])
    return [b"read\n"] if want < 0 else download(want)
