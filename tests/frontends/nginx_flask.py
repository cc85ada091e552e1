#!/usr/bin/python3
"""nginx_flask.py — a real Flask app behind a real nginx (CTest nginx_flask).

    /usr/bin/python3 tests/frontends/nginx_flask.py --build-dir BUILD

Starts examples/wsgi_app.py (Flask, Debian's python3-flask) twice through
`BUILD/devenv python3 -m ffcgi.wsgi ... --threads 4`: on a unix socket, and on
127.0.0.1:a free port with --script-name /mounted; then nginx on another free
port with tests/frontends/nginx-flask.conf.in, which sends / (nginx's stock
params: the whole path in SCRIPT_NAME) and /split/ (fastcgi_split_path_info,
as Apache splits) to the first and /mounted/ to the second. Through nginx it
checks: a GET with a UTF-8 query, the URL parts and url_for() links under
each of the three mounts, a POST form, a 6 MiB multipart upload (its SHA-256),
a streamed response whose first line arrives before its last is produced,
four streams served at once by the four threads, the app's 500 page with the
traceback in nginx's error log, three Set-Cookie headers and Flask's 404.
Standard library only on the client side; everything is stopped by PID.
"""
import argparse
import hashlib
import http.client
import json
import os
import re
import sys
import threading
import time
import urllib.parse

import frontend
from frontend import expect, fetch

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATE = os.path.join(HERE, "nginx-flask.conf.in")
APP = os.path.join(frontend.EXAMPLES, "wsgi_app.py")
UPLOAD_SIZE = 6 * 1024 * 1024


def expect_status(resp, status):
    expect(resp.status == status, "status %d, expected %d; body: %r"
           % (resp.status, status, resp.body[:300]))


def json_of(resp):
    expect_status(resp, 200)
    expect(resp.header("Content-Type") == "application/json",
           "Content-Type %r" % resp.header("Content-Type"))
    return json.loads(resp.body)


def stream_lines(port, path, timeout=30):
    """GETs path and reads the body line by line: [(arrival time, line)]."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        expect(resp.status == 200, "status %d for %s" % (resp.status, path))
        lines = []
        while True:
            line = resp.readline()
            if not line:
                return lines
            lines.append((time.time(), line.decode()))
    finally:
        conn.close()


def produced_at(line):
    """The app's own timestamp in a /stream line ("line N produced at T")."""
    return float(line.split()[-1])


def fastcgi_stderr(log):
    """The app's FCGI_STDERR text in nginx's error log, put back together
    (nginx cuts long stderr text into several "FastCGI sent in stderr" lines)."""
    return "".join(re.findall(r'FastCGI sent in stderr: "(.*?)" while ', log, re.DOTALL))


def multipart(fields, files):
    boundary = "ffcgi-%s" % os.urandom(8).hex()
    parts = []
    for name, value in fields.items():
        parts.append(('--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n'
                      % (boundary, name)).encode() + value.encode() + b"\r\n")
    for name, (filename, data) in files.items():
        parts.append(('--%s\r\nContent-Disposition: form-data; name="%s"; filename="%s"\r\n'
                      "Content-Type: application/octet-stream\r\n\r\n"
                      % (boundary, name, filename)).encode() + data + b"\r\n")
    body = b"".join(parts) + ("--%s--\r\n" % boundary).encode()
    return body, "multipart/form-data; boundary=" + boundary


def checks(port, error_log, read):
    def get_with_a_query():
        resp = fetch(port, "GET", "/hello?name=" + urllib.parse.quote("ffcgi \u00e9\u2603")
                     + "&x=1&x=2")
        data = json_of(resp)
        expect(data["hello"] == "ffcgi \u00e9\u2603", "name %r" % data["hello"])
        expect(data["args"] == {"name": ["ffcgi \u00e9\u2603"], "x": ["1", "2"]},
               "args %r" % data["args"])

    def mounts(prefix, script_root):
        def check():
            data = json_of(fetch(port, "GET", prefix + "/hello?name=m"))
            expect((data["script_root"], data["path"], data["url"])
                   == (script_root, "/hello", script_root + "/hello"),
                   "under %r: script_root %r, path %r, url_for %r"
                   % (prefix or "/", data["script_root"], data["path"], data["url"]))
            index = fetch(port, "GET", prefix + "/")
            expect_status(index, 200)
            expect(('href="%s/stream"' % script_root).encode() in index.body,
                   "the index links are not under %r: %r" % (script_root, index.body))
        return check

    def post_a_form():
        body = urllib.parse.urlencode([("name", "ffcgi"), ("tag", "a"), ("tag", "b"),
                                       ("utf", "caf\u00e9")])
        data = json_of(fetch(port, "POST", "/form", body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded"}))
        expect(data["fields"] == {"name": ["ffcgi"], "tag": ["a", "b"], "utf": ["caf\u00e9"]},
               "fields %r" % data["fields"])
        expect(data["content_type"] == "application/x-www-form-urlencoded",
               "content type %r" % data["content_type"])

    def upload_several_mib():
        blob = os.urandom(UPLOAD_SIZE)
        body, content_type = multipart({"note": "caf\u00e9"}, {"file": ("blob.bin", blob)})
        data = json_of(fetch(port, "POST", "/upload", body=body,
                             headers={"Content-Type": content_type}, timeout=60))
        expect(data["size"] == UPLOAD_SIZE, "size %r" % data["size"])
        expect(data["sha256"] == hashlib.sha256(blob).hexdigest(), "the SHA-256 differs")
        expect(data["filename"] == "blob.bin" and data["fields"] == {"note": "caf\u00e9"},
               "filename %r, fields %r" % (data["filename"], data["fields"]))

    def streamed_line_by_line():
        lines = stream_lines(port, "/stream?count=4&delay=0.4")
        expect([line.split(" produced")[0] for _, line in lines]
               == ["line %d" % n for n in range(4)], "lines %r" % lines)
        first_arrival, last_produced = lines[0][0], produced_at(lines[-1][1])
        expect(first_arrival < last_produced,
               "the first line arrived at %.3f, after the last was produced (%.3f): "
               "the response was not streamed" % (first_arrival, last_produced))

    def four_threads_serve_at_once():
        results = [None] * 4

        def one(index):
            try:
                results[index] = [produced_at(line) for _, line in
                                  stream_lines(port, "/stream?count=3&delay=0.5")]
            except Exception as error:  # reported below
                results[index] = error

        workers = [threading.Thread(target=one, args=(i,)) for i in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
        for result in results:
            expect(isinstance(result, list) and len(result) == 3, "a stream failed: %r" % result)
        # Every stream had begun before any had ended: they overlapped.
        latest_start = max(times[0] for times in results)
        earliest_end = min(times[-1] for times in results)
        expect(latest_start < earliest_end,
               "the four streams did not run at once: starts %r, ends %r"
               % ([t[0] for t in results], [t[-1] for t in results]))

    def error_page_and_traceback():
        resp = fetch(port, "GET", "/boom")
        expect_status(resp, 500)
        expect(b"500: something broke" in resp.body, "not the app's 500 page: %r" % resp.body)
        text = "RuntimeError: boom: an error raised on purpose"
        deadline = time.monotonic() + 10
        # nginx trims the whitespace at the edges of each piece it logs, so
        # compare without whitespace: a piece may end right before a space.
        while "".join(text.split()) not in "".join(fastcgi_stderr(read(error_log)).split()):
            expect(time.monotonic() < deadline,
                   "%r is not in what nginx logged as the app's stderr" % text)
            time.sleep(0.05)

    def several_set_cookie_headers():
        resp = fetch(port, "GET", "/cookies")
        expect_status(resp, 200)
        cookies = resp.all("Set-Cookie")
        expect([c.split(";")[0] for c in cookies]
               == ["flavour=chocolate", "session=s3cr3t", "theme=dark"], "cookies %r" % cookies)
        expect("HttpOnly" in cookies[1] and "Max-Age=3600" in cookies[2], "cookies %r" % cookies)

    def not_found():
        resp = fetch(port, "GET", "/no/such/page")
        expect_status(resp, 404)
        expect(b"Not Found" in resp.body, "not Flask's 404 page: %r" % resp.body)

    return [
        ("GET with a UTF-8 query", get_with_a_query),
        ("/ (whole path in SCRIPT_NAME): URL parts and links", mounts("", "")),
        ("/split/ (fastcgi_split_path_info): URL parts and links", mounts("/split", "/split")),
        ("/mounted/ (--script-name): URL parts and links", mounts("/mounted", "/mounted")),
        ("POST form", post_a_form),
        ("upload of %d MiB, SHA-256" % (UPLOAD_SIZE >> 20), upload_several_mib),
        ("streamed response", streamed_line_by_line),
        ("four threads serve four streams at once", four_threads_serve_at_once),
        ("500 page, traceback in the error log", error_page_and_traceback),
        ("three Set-Cookie headers", several_set_cookie_headers),
        ("404", not_found),
    ]


def plan(ws, build_dir):
    apps = frontend.Apps(build_dir)
    nginx_bin = frontend.find_program("nginx", "NGINX")
    frontend.expect(os.access(frontend.FASTCGI_PARAMS, os.R_OK),
                    "%s not found (Debian's nginx-common installs it)" % frontend.FASTCGI_PARAMS)
    argv = [apps.devenv, apps.python, "-m", "ffcgi.wsgi", APP + ":app", "--threads", "4"]
    _, socket_path = ws.start_app("flask-unix", argv, ws.path("flask.sock"))
    _, mounted = ws.start_app("flask-mounted", argv + ["--script-name", "/mounted"],
                              "127.0.0.1:0")
    error_log = os.path.join(ws.logs, "error.log")
    conf = ws.path("nginx.conf")
    values = {"PREFIX": ws.dir, "FASTCGI_PARAMS": frontend.FASTCGI_PARAMS,
              "FLASK_SOCKET": socket_path, "MOUNTED_ADDRESS": mounted}
    _, port = ws.start_server("nginx", TEMPLATE, conf, values,
                              [nginx_bin, "-p", ws.dir + "/", "-c", conf, "-e", error_log,
                               "-g", "daemon off;"], error_log)
    yield from checks(port, error_log, ws.read)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", required=True)
    args = parser.parse_args()
    return frontend.run("nginx-flask", lambda ws: plan(ws, args.build_dir))


if __name__ == "__main__":
    sys.exit(main())
