#!/usr/bin/python3
"""nginx_apps.py — one language's apps behind a private nginx (CTest nginx_<lang>).

    /usr/bin/python3 tests/frontends/nginx_apps.py --build-dir BUILD --lang c|python|raku|wsgi|psgi

Starts, through BUILD/devenv, the language's echo app and stream app (the
download app of tests/frontends/apps), each twice: on a unix socket and on
127.0.0.1:a free port; then nginx on another free port with
examples/nginx/ffcgi-apps.conf.in, which routes /echo and /stream to the unix
sockets and /tcp/echo and /tcp/stream to TCP. Through both transports it
checks (tests/frontends/checks.py): a GET with a query, a 3 MiB POST (its
SHA-256), statuses 201/404/503, the app's stderr in nginx's error log, a 5 MiB
download, three Set-Cookie headers, a 404 with the app's body, and a client
that resets the connection mid-download (from the unbuffered /stream/live:
the app logs that the client went away, survives, and serves the next
download), and at the end that every app exits 0 on SIGTERM. Standard library
only.
"""
import os
import sys

import checks
import frontend

TEMPLATE = os.path.join(frontend.EXAMPLES, "nginx", "ffcgi-apps.conf.in")


def plan(ws, args):
    apps, lang = frontend.Apps(args.build_dir), args.lang
    values = {}
    procs = {}
    for app in ("echo", "stream"):
        argv = apps.argv(app, lang)
        name = "%s-%s" % (lang, app)
        procs[app + "-unix"], values[app.upper() + "_SOCKET"] = ws.start_app(
            name + "-unix", argv, ws.path(app + ".sock"))
        procs[app + "-tcp"], values[app.upper() + "_ADDRESS"] = ws.start_app(
            name + "-tcp", argv, "127.0.0.1:0")
    port, error_log = ws.start_nginx(TEMPLATE, values)
    for prefix, transport in (("", "unix"), ("/tcp", "tcp")):
        yield from checks.echo_checks(port, prefix + "/echo", error_log,
                                      "FastCGI sent in stderr", ws.read)
        yield from checks.stream_checks(port, prefix + "/stream",
                                        app_log=ws.log("%s-stream-%s" % (lang, transport)),
                                        read=ws.read, one_process=True,
                                        live_loc=prefix + "/stream/live")

    def apps_exit_cleanly():
        for name, proc in sorted(procs.items()):
            status = frontend.stop(proc, name, ws.say)
            frontend.expect(status == 0, "the %s app exited with %s on SIGTERM" % (name, status))
    yield "every app exits 0 on SIGTERM", apps_exit_cleanly


if __name__ == "__main__":
    sys.exit(frontend.main(
        __doc__, lambda args: "nginx-" + args.lang, plan,
        lambda parser: parser.add_argument("--lang", required=True, choices=frontend.LANGUAGES)))
