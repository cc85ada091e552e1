#!/usr/bin/python3
"""nginx_body_limit.py — the body limit of `python3 -m ffcgi.wsgi --max-body`
behind a real nginx, for a Flask and a Django app (CTest nginx_body_limit).

    /usr/bin/python3 tests/frontends/nginx_body_limit.py --build-dir BUILD

Starts tests/frontends/apps/limit_flask.py and limit_django.py with
`--max-body 1000000 --threads 2` on unix sockets and nginx in front of them
(nginx-body-limit.conf.in). For each app: a 2 MiB upload is answered
`413 Content Too Large` by libffcgi and the app never runs (its /calls
counter stays 0); an upload within the limit then reaches the app whole,
and the counter says 1. Standard library only; everything stopped by PID.
"""
import argparse
import json
import os
import sys

import frontend
from frontend import expect, fetch

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATE = os.path.join(HERE, "nginx-body-limit.conf.in")
MAX_BODY = 1000000
TOO_LARGE = 2 * 1024 * 1024


def uploads(port, prefix):
    resp = fetch(port, "GET", prefix + "/calls")
    expect(resp.status == 200, "%s/calls: status %d, body %r" % (prefix, resp.status, resp.body))
    return json.loads(resp.body)["uploads"]


def checks(port, prefix):
    def over_the_limit_never_reaches_the_app():
        resp = fetch(port, "POST", prefix + "/upload", body=os.urandom(TOO_LARGE),
                     headers={"Content-Type": "application/octet-stream"}, timeout=60)
        expect(resp.status == 413, "status %d, expected 413; body %r" % (resp.status, resp.body))
        expect(resp.body == b"413 Content Too Large\n", "the library's 413 body: %r" % resp.body)
        expect(uploads(port, prefix) == 0, "the app ran for the refused upload")

    def within_the_limit_is_served():
        resp = fetch(port, "POST", prefix + "/upload", body=os.urandom(MAX_BODY),
                     headers={"Content-Type": "application/octet-stream"}, timeout=60)
        expect(resp.status == 200, "status %d; body %r" % (resp.status, resp.body[:300]))
        expect(json.loads(resp.body) == {"size": MAX_BODY}, "answer %r" % resp.body)
        expect(uploads(port, prefix) == 1, "the app ran once")

    name = prefix.strip("/").capitalize()
    return [("%s: 2 MiB over --max-body %d is a 413 from the library" % (name, MAX_BODY),
             over_the_limit_never_reaches_the_app),
            ("%s: %d bytes are served, the app runs" % (name, MAX_BODY),
             within_the_limit_is_served)]


def plan(ws, build_dir):
    apps = frontend.Apps(build_dir)
    sockets = {}
    for name in ("flask", "django"):
        app = os.path.join(HERE, "apps", "limit_%s.py" % name)
        argv = [apps.devenv, apps.python, "-m", "ffcgi.wsgi", app + ":app", "--threads", "2",
                "--max-body", str(MAX_BODY), "--script-name", "/" + name]
        _, sockets[name] = ws.start_app(name, argv, ws.path("%s.sock" % name))
    port, _ = ws.start_nginx(TEMPLATE, {"FLASK_SOCKET": sockets["flask"],
                                        "DJANGO_SOCKET": sockets["django"]})
    yield from checks(port, "/flask")
    yield from checks(port, "/django")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", required=True)
    args = parser.parse_args()
    return frontend.run("nginx-body-limit", lambda ws: plan(ws, args.build_dir))


if __name__ == "__main__":
    sys.exit(main())
