#!/usr/bin/python3
"""test_handover.py — what a worker inherits, as spawn-fcgi and mod_fcgid
hand it over: fd 0 is the listening socket (of the --mode given), fds 1 and 2 are the
supervisor's stdout and stderr, fd 3 the shared scoreboard (a memfd named in
FFCGI_SCOREBOARD=3), no other descriptor (not even one the
supervisor inherited), an empty signal mask
(even when the supervisor itself was started with signals blocked and
SIGHUP ignored, as under nohup, which must not stop SIGHUP from working);
and workers do not outlive a supervisor that is killed."""
import os
import signal

from harness import Failure, alive, echo_ok, expect, main, wait_until


def listening_inode(path):
    """The inode of the listening unix socket bound to `path` (/proc/net/unix)."""
    with open("/proc/net/unix") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            # Num RefCount Protocol Flags Type St Inode Path; flag 0x10000: listening
            if len(fields) >= 8 and fields[7] == path and int(fields[3], 16) & 0x10000:
                return int(fields[6])
    return None


def nohup_like():
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD})
    signal.signal(signal.SIGHUP, signal.SIG_IGN)


def worker_gets_the_socket_on_fd_0_only(paths, ws):
    sock = ws.path("sleep.sock")
    # A descriptor the supervisor inherits without close-on-exec (as from a
    # careless parent) must not reach the workers.
    stray = os.open(ws.path("stray"), os.O_RDWR | os.O_CREAT)
    sup = ws.supervise("sup", ["--socket", sock, "--workers", "2", "--ready-ms", "200",
                               "--mode", "0640"], ["/bin/sleep", "60"], preexec_fn=nohup_like,
                       pass_fds=(stray,))
    os.close(stray)
    sup.wait_log(r"worker \d pid \d+ started", count=2)
    inode = wait_until("the listening socket", lambda: listening_inode(sock))
    mode = os.stat(sock).st_mode & 0o777
    expect(mode == 0o640, "--mode 0640 gave the socket mode %o" % mode)
    for pid in sup.worker_pids().values():
        # sleep's own start-up (the loader, locale files) may hold one for a
        # moment; an inherited descriptor would stay.
        fds = lambda: sorted(int(fd) for fd in os.listdir("/proc/%d/fd" % pid))
        try:
            wait_until("fds 0, 1, 2, 3 only", lambda: fds() == [0, 1, 2, 3], timeout=5)
        except Failure:
            raise Failure("worker %d has fds %r" % (pid, fds()))
        board = os.readlink("/proc/%d/fd/3" % pid)
        expect(board.startswith("/memfd:ffcgi-scoreboard"), "fd 3 is the scoreboard: %s" % board)
        with open("/proc/%d/environ" % pid, "rb") as f:
            environ = f.read().split(b"\0")
        expect(b"FFCGI_SCOREBOARD=3" in environ, "FFCGI_SCOREBOARD=3 in the environment")
        fd0 = os.readlink("/proc/%d/fd/0" % pid)
        expect(fd0 == "socket:[%d]" % inode, "fd 0 is the listener: %s, not %d" % (fd0, inode))
        for fd in (1, 2):
            target = os.readlink("/proc/%d/fd/%d" % (pid, fd))
            expect(target == sup.log_path, "fd %d is the supervisor's: %s" % (fd, target))
        with open("/proc/%d/status" % pid) as f:
            status = dict(line.split(":", 1) for line in f if ":" in line)
        expect(int(status["SigBlk"], 16) == 0, "empty signal mask: SigBlk %s" % status["SigBlk"])
    old = sup.worker_pids()
    sup.signal(signal.SIGHUP)  # ignored by its parent, yet it works
    sup.wait_log(r"rolling restart done")
    expect(not set(sup.worker_pids().values()) & set(old.values()), "replaced after SIGHUP")
    sup.signal(signal.SIGTERM)
    expect(sup.wait_exit() == 0, "exit status 0")


def workers_die_with_the_supervisor(paths, ws):
    sock = ws.path("echo.sock")
    sup = ws.supervise("sup", ["--socket", sock, "--workers", "2"], [paths.echo])
    sup.wait_log(r"worker \d pid \d+ started", count=2)
    wait_until("the socket", lambda: echo_ok(paths, sock)[0])
    pids = list(sup.worker_pids().values())
    sup.proc.kill()  # SIGKILL: the supervisor cannot forward anything
    sup.proc.wait(timeout=10)
    wait_until("the workers to exit", lambda: not any(alive(pid) for pid in pids), timeout=10)


if __name__ == "__main__":
    main([("a worker gets the listener on fd 0, the scoreboard on fd 3, nothing else, "
           "no blocked signal",
           worker_gets_the_socket_on_fd_0_only),
          ("workers do not outlive a killed supervisor", workers_die_with_the_supervisor)])
