"""production_wsgi.py — the WSGI app of the nginx_production test: answers
"VERSION PID PATH_INFO" (the test rewrites VERSION before a reload to see the
new code answer); /sleep sleeps past any --timeout the test sets.
    build/devenv /usr/bin/python3 -m ffcgi.wsgi production_wsgi.py --socket ADDRESS"""
import os
import time

VERSION = "one"


def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    if path == "/sleep":
        time.sleep(60)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [f"{VERSION} {os.getpid()} {path}\n".encode()]
