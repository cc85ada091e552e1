#!/usr/bin/python3
"""test_installed.py — `cmake --install` puts ffcgi-supervisor in bin/ of
the prefix, and the installed program runs from there with the libffcgi
installed beside it (no LD_LIBRARY_PATH): it serves examples/echo and stops
cleanly."""
import os
import signal
import subprocess

from harness import echo_ok, expect, main, wait_until


def installed_supervisor_runs(paths, ws):
    build_dir = os.path.dirname(paths.devenv)
    prefix = ws.path("prefix")
    subprocess.run([paths.cmake, "--install", build_dir, "--prefix", prefix], check=True,
                   stdout=subprocess.DEVNULL, timeout=120)
    program = os.path.join(prefix, "bin", "ffcgi-supervisor")
    expect(os.access(program, os.X_OK), "installed as %s" % program)
    env = {k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}
    ldd = subprocess.run(["ldd", program], capture_output=True, text=True, env=env, timeout=30)
    found = [line.split("=>")[1].split("(")[0].strip() for line in ldd.stdout.splitlines()
             if "libffcgi.so" in line and "=>" in line]
    expect(found and os.path.realpath(found[0]).startswith(os.path.realpath(prefix) + os.sep),
           "uses the libffcgi of the prefix: %s" % ldd.stdout)
    paths.supervisor = program
    sock = ws.path("echo.sock")
    sup = ws.supervise("sup", ["--socket", sock, "--workers", "2"], [paths.echo], env=env)
    sup.wait_log(r"worker \d pid \d+ started", count=2)
    wait_until("the installed supervisor's workers", lambda: echo_ok(paths, sock)[0])
    sup.signal(signal.SIGTERM)
    expect(sup.wait_exit() == 0, "exit status 0")


if __name__ == "__main__":
    main([("the installed ffcgi-supervisor runs from its prefix", installed_supervisor_runs)])
