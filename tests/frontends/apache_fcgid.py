#!/usr/bin/python3
"""apache_fcgid.py — the apps under Apache httpd and mod_fcgid (CTest apache_fcgid).

    /usr/bin/python3 tests/frontends/apache_fcgid.py --build-dir BUILD

mod_fcgid starts each app itself, with its listening socket on fd 0, as the
user Apache's workers run as (nobody when the test runs as root). The test
copies the echo and stream apps in C, Python, Raku and WSGI into its temporary
directory (frontend.Apps.stage: nobody may not read the build tree), renders
examples/apache/ffcgi-fcgid.conf.in, starts `apache2 -f CONF -DFOREGROUND` on
a free 127.0.0.1 port and checks, for each language (tests/frontends/checks.py):
a GET with a query, a 3 MiB POST (its SHA-256), statuses 201/404/503, the
app's stderr in Apache's error log ("mod_fcgid: stderr:"), a 5 MiB download,
three Set-Cookie headers, a 404 with the app's body, and a client that resets
the connection mid-download (mod_fcgid closes the connection to the app, the
app logs that the client went away, its process survives and the next
download is whole). Standard library only.
"""
import os
import sys

import checks
import frontend

TEMPLATE = os.path.join(frontend.EXAMPLES, "apache", "ffcgi-fcgid.conf.in")
MODULES = os.environ.get("APACHE_MODULES", "/usr/lib/apache2/modules")
LANGS = ("c", "python", "raku", "wsgi")


def plan(ws, args):
    apps = frontend.Apps(args.build_dir)
    apache = frontend.find_program("apache2", "APACHE2")
    frontend.expect(os.path.exists(os.path.join(MODULES, "mod_fcgid.so")),
                    "%s/mod_fcgid.so not found (scripts/deps installs libapache2-mod-fcgid)"
                    % MODULES)
    staged = apps.stage(ws.path("apps"), [(app, lang) for lang in LANGS
                                          for app in ("echo", "stream")])
    os.mkdir(ws.path("htdocs"))
    os.mkdir(ws.path("run"))
    user, group = frontend.server_user()
    error_log = os.path.join(ws.logs, "error.log")
    conf = ws.path("httpd.conf")
    values = {"PREFIX": ws.dir, "MODULES": MODULES, "USER": user, "GROUP": group,
              "APPS": staged.dest, "LIBRARY_PATH": staged.lib,
              "PYTHONPATH": staged.pythonpath, "RAKULIB": staged.rakulib,
              "HOME": staged.home}
    _, port = ws.start_server("apache2", TEMPLATE, conf, values,
                              [apache, "-f", conf, "-DFOREGROUND"], error_log)
    for lang in LANGS:
        yield from checks.echo_checks(port, "/%s/echo" % lang, error_log, "mod_fcgid: stderr:",
                                      ws.read)
        # mod_fcgid gives the apps Apache's error log as their stderr.
        yield from checks.stream_checks(port, "/%s/stream" % lang, app_log=error_log,
                                        read=ws.read)


if __name__ == "__main__":
    sys.exit(frontend.main(__doc__, "apache-fcgid", plan))
