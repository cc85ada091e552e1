#!/usr/bin/python3
"""lighttpd_fastcgi.py — the apps under lighttpd, started by lighttpd itself
("bin-path") and by spawn-fcgi (CTest lighttpd_fastcgi).

    /usr/bin/python3 tests/frontends/lighttpd_fastcgi.py --build-dir BUILD

The echo and stream apps in C, Python, Raku and WSGI are copied into the temporary
directory (frontend.Apps.stage: lighttpd drops root for nobody before it
starts them). spawn-fcgi starts four more, before lighttpd:
  - the C echo and stream, each with `spawn-fcgi -n -s SOCKET` (spawn-fcgi
    execs the app in the foreground: its PID is the app's), on unix sockets;
  - the Python echo and stream, each with `spawn-fcgi -F 2 -P PIDFILE -a
    127.0.0.1 -p PORT`: two processes accepting on one TCP listener,
    spawn-fcgi exits, the test stops them by the PIDs in PIDFILE.
Run as root, spawn-fcgi makes the sockets as root, hands them to nobody
(-U/-G) and runs the apps as nobody (-u/-g). Then lighttpd -D with
examples/lighttpd/ffcgi-fastcgi.conf.in, which starts the bin-path apps itself
(one process each, listening socket on fd 0). Through every app it checks
(tests/frontends/checks.py): a GET with a query, a 3 MiB POST (its SHA-256),
statuses 201/404/503, the app's stderr in lighttpd's error log
("FastCGI-stderr"), a 5 MiB download, three Set-Cookie headers, a 404 with
the app's body, and a client that resets the connection mid-download (from
/…/stream/live, which lighttpd streams at the client's pace: the app notices,
survives, and serves the next download). Standard library only.
"""
import os
import sys

import checks
import frontend

TEMPLATE = os.path.join(frontend.EXAMPLES, "lighttpd", "ffcgi-fastcgi.conf.in")
LANGS = ("c", "python", "raku", "wsgi")


def spawn_fcgi(ws, staged, spawner, app, lang, where, extra):
    """Starts the staged app through spawn-fcgi; where and extra are its
    options (address, -n or -F/-P)."""
    argv = [spawner] + where + extra
    if os.geteuid() == 0:
        user, group = frontend.server_user()
        argv += ["-u", user, "-g", group]
        if where[0] == "-s":
            argv += ["-U", user, "-G", group, "-M", "0660"]
    env = dict(os.environ, **staged.env)
    name = "spawned-%s-%s" % (app, lang)
    return ws.spawn(name, argv + ["--", staged.path[(app, lang)]], env=env)


def plan(ws, args):
    apps = frontend.Apps(args.build_dir)
    lighttpd = frontend.find_program("lighttpd", "LIGHTTPD")
    spawner = frontend.find_program("spawn-fcgi", "SPAWN_FCGI")
    staged = apps.stage(ws.path("apps"), [(app, lang) for lang in LANGS
                                          for app in ("echo", "stream")])
    var = os.path.join(ws.logs, "lighttpd")  # shown with the logs on a failure
    ws.give_to_server(var)
    user, group = frontend.server_user()
    values = {"PREFIX": ws.dir, "VAR": var, "USER": user, "GROUP": group,
              "APPS": staged.dest, "LIBRARY_PATH": staged.lib,
              "PYTHONPATH": staged.pythonpath, "RAKULIB": staged.rakulib,
              "HOME": staged.home}

    for app in ("echo", "stream"):
        socket = os.path.join(var, "spawned-%s-c.sock" % app)
        proc = spawn_fcgi(ws, staged, spawner, app, "c", ["-s", socket], ["-n"])
        frontend.wait_until("spawn-fcgi -n with the C %s" % app,
                            lambda: os.path.exists(socket), proc)
        for attempt in range(3):
            (port,) = frontend.free_ports(1)
            pidfile = os.path.join(var, "spawned-%s-python.pid" % app)
            proc = spawn_fcgi(ws, staged, spawner, app, "python",
                              ["-a", "127.0.0.1", "-p", str(port)], ["-F", "2", "-P", pidfile])
            frontend.wait_until("spawn-fcgi -F 2 with the Python %s" % app,
                                lambda: proc.poll() is not None)
            if proc.returncode == 0:
                break
            frontend.expect(attempt < 2, "spawn-fcgi failed (exit %d)" % proc.returncode)
            ws.say("spawn-fcgi could not bind 127.0.0.1:%d; trying another port" % port)
        pids = ws.adopt("spawned-%s-python" % app, pidfile)
        frontend.expect(len(pids) == 2, "spawn-fcgi -F 2 wrote %r" % pids)
        frontend.wait_until("the Python %s on 127.0.0.1:%d" % (app, port),
                            lambda: frontend.connectable("127.0.0.1", port), timeout=30)
        values["PY_%s_PORT" % app.upper()] = port

    error_log = os.path.join(var, "error.log")
    conf = ws.path("lighttpd.conf")
    _, port = ws.start_server("lighttpd", TEMPLATE, conf, values,
                              [lighttpd, "-D", "-f", conf], error_log)
    for prefix in ["/" + lang for lang in LANGS] + ["/spawned/c", "/spawned/python"]:
        yield from checks.echo_checks(port, prefix + "/echo", error_log, "FastCGI-stderr",
                                      ws.read)
        # Where the app's own stderr goes: lighttpd's (bin-path), spawn-fcgi's
        # (-n: it is the app), nowhere (-F: spawn-fcgi gives it /dev/null).
        app_log = {"/spawned/c": ws.log("spawned-stream-c"),
                   "/spawned/python": None}.get(prefix, ws.log("lighttpd"))
        yield from checks.stream_checks(port, prefix + "/stream", app_log=app_log, read=ws.read,
                                        one_process=prefix != "/spawned/python",
                                        live_loc=prefix + "/stream/live")


if __name__ == "__main__":
    sys.exit(frontend.main(__doc__, "lighttpd", plan))
