#!/usr/bin/python3
"""test_errors.py — clear errors: usage errors exit 2 with a message that
names the problem; a listener that cannot be opened (a path where a live
server listens, a path that is not a socket, a bad address) or an app that
cannot be run exits 1, says why, and leaves nothing behind; --help exits 0."""
import os
import signal
import subprocess

from harness import echo_ok, expect, main, wait_until


def run(paths, argv, timeout=10):
    r = subprocess.run([paths.supervisor] + argv, stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=timeout)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def usage_errors_exit_2(paths, ws):
    sock = ws.path("x.sock")
    cases = [
        ([], "--socket ADDRESS is required"),
        (["--socket", sock], "no app given"),
        (["--socket", sock, "--"], "no app given"),
        (["--socket", sock, "/bin/true"], "'/bin/true': expected an option, or '--' before the app"),
        (["--socket"], "--socket needs a value"),
        (["--socket", sock, "--workers", "0", "--", "/bin/true"],
         "--workers: '0' is not a number from 1 to 1024"),
        (["--socket", sock, "--workers=3x", "--", "/bin/true"], "--workers: '3x' is not"),
        (["--socket", sock, "--mode", "0999", "--", "/bin/true"], "--mode: '0999' is not an octal"),
        (["--socket", sock, "--max-backoff-ms", "50", "--", "/bin/true"],
         "--max-backoff-ms: '50' is not a number of milliseconds from 100"),
        (["--socket", sock, "--grace-ms", "-1", "--", "/bin/true"], "--grace-ms: '-1' is not"),
        (["--socket", sock, "--frobnicate", "--", "/bin/true"], "unknown option '--frobnicate'"),
    ]
    for argv, message in cases:
        rc, out, err = run(paths, argv)
        expect(rc == 2, "%r: exit status %d, not 2 (%r)" % (argv, rc, err))
        expect(message in err and "Try 'ffcgi-supervisor --help'." in err,
               "%r: %r not in %r" % (argv, message, err))
        expect(out == "", "%r: nothing on stdout" % argv)
        expect(not os.path.exists(sock), "%r: no socket was created" % argv)
    rc, out, err = run(paths, ["--help"])
    expect(rc == 0 and out.startswith("usage: ffcgi-supervisor --socket ADDRESS") and err == "",
           "--help: %d %r %r" % (rc, out[:80], err))
    for option in ("--workers", "--mode", "--backlog", "--max-backoff-ms", "--stable-ms",
                   "--grace-ms", "--ready-ms"):
        expect(option in out, "--help names %s" % option)


def occupied_socket_is_refused(paths, ws):
    sock = ws.path("echo.sock")
    first = ws.supervise("first", ["--socket", sock, "--workers", "1"], [paths.echo])
    wait_until("the first supervisor", lambda: echo_ok(paths, sock)[0])
    rc, _, err = run(paths, ["--socket", sock, "--workers", "1", "--", paths.echo])
    expect(rc == 1, "exit status %d, not 1" % rc)
    expect("cannot listen on %s: a server is already listening on '%s'" % (sock, sock) in err,
           "says why: %r" % err)
    expect("started" not in err, "no worker was started: %r" % err)
    expect(echo_ok(paths, sock)[0], "the first supervisor still serves")
    first.signal(signal.SIGTERM)
    expect(first.wait_exit() == 0, "the first one stops normally")


def path_that_is_not_a_socket_is_left_alone(paths, ws):
    path = ws.path("data.txt")
    with open(path, "w") as f:
        f.write("precious\n")
    rc, _, err = run(paths, ["--socket", path, "--", paths.echo])
    expect(rc == 1, "exit status %d, not 1" % rc)
    expect("refusing to replace '%s': it exists and is not a socket" % path in err,
           "says why: %r" % err)
    with open(path) as f:
        expect(f.read() == "precious\n", "the file is untouched")


def bad_address_is_refused(paths, ws):
    rc, _, err = run(paths, ["--socket", "127.0.0.1:99999", "--", paths.echo])
    expect(rc == 1 and "cannot listen on 127.0.0.1:99999" in err, "%d %r" % (rc, err))


def app_that_cannot_run_is_refused(paths, ws):
    sock = ws.path("x.sock")
    missing = ws.path("no-such-app")
    rc, _, err = run(paths, ["--socket", sock, "--", missing, "--flag"])
    expect(rc == 1, "exit status %d, not 1" % rc)
    expect("cannot start %s: No such file or directory" % missing in err, "says why: %r" % err)
    expect(not os.path.exists(sock), "the socket file was removed")
    not_executable = ws.path("app.txt")
    open(not_executable, "w").close()
    rc, _, err = run(paths, ["--socket", sock, "--", not_executable])
    expect(rc == 1 and "cannot start %s: Permission denied" % not_executable in err,
           "%d %r" % (rc, err))
    rc, _, err = run(paths, ["--socket", sock, "--", "no-such-app-on-path-ffcgi"])
    expect(rc == 1 and "No such file or directory" in err, "searched in PATH: %d %r" % (rc, err))
    expect(not os.path.exists(sock), "the socket file was removed")


if __name__ == "__main__":
    main([("usage errors exit 2 and say what is wrong", usage_errors_exit_2),
          ("a socket path where a server listens is refused", occupied_socket_is_refused),
          ("a path that is not a socket is left alone", path_that_is_not_a_socket_is_left_alone),
          ("a bad address is refused", bad_address_is_refused),
          ("an app that cannot run is refused", app_that_cannot_run_is_refused)])
