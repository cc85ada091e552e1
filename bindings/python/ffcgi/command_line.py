"""The command line of the Python servers (``python3 -m ffcgi.wsgi``,
``ffcgi.wsgi.run()``): the options, their checks, and what is done with them
around serving — the process set up before the app is loaded, the listener
and its logs opened, privileges dropped after the bind.

Every usage error names the option and says what it takes (exit status 2,
argparse's); a listener or log that cannot be opened is one line and exit
status 1, printed before "serving ... on ..." ever is.
"""
import argparse
import grp
import os
import pwd
import shutil
import stat
import sys
from typing import Callable, List, NoReturn, Optional, Tuple

from .errors import Error
from .server import (EXIT_RETIRED, LIMIT_BODY_BYTES, LIMIT_IDLE_MS, LIMIT_MAX_REQUESTS,
                     LIMIT_MAX_RSS_BYTES, LIMIT_REQUEST_MS, LIMIT_SLOW_MS, Server, log_level)

# Threads per process. Each is an interpreter thread with its own stack and
# request handle; past a few hundred a process only queues more work behind
# the GIL. For more concurrency run more processes (ffcgi-supervisor).
MAX_THREADS = 1024
# Processes under ffcgi-supervisor (--workers): its own limit.
MAX_WORKERS = 1024
# The options that become the supervisor's, not the workers' (--workers).
SUPERVISOR_OPTIONS = ("--workers", "--socket", "--mode", "--backlog")
# How long a stop waits for the requests in flight (--grace).
DEFAULT_GRACE_SECONDS = 30.0
# A re-executed server finds its listener here (and forgets it at once, so
# that the app's own child processes never see it): the descriptor, and the
# identity of the unix socket file the first process created, so the last
# one removes that file and nothing else.
LISTEN_FD_ENV = "FFCGI_REEXEC_LISTEN_FD"
SOCKET_FILE_ENV = "FFCGI_REEXEC_SOCKET_FILE"
# Set by ffcgi-supervisor in its workers (the shared scoreboard).
SUPERVISOR_ENV = "FFCGI_SCOREBOARD"
_START_DIRECTORY = os.getcwd()


def whole_number(minimum: int, maximum: Optional[int] = None) -> Callable[[str], int]:
    """An argparse type: a decimal integer in [minimum, maximum]."""
    span = f"from {minimum} to {maximum}" if maximum is not None else f"of at least {minimum}"

    def convert(text: str) -> int:
        try:
            value = int(text, 10)
        except ValueError:
            value = None
        if value is None or value < minimum or (maximum is not None and value > maximum):
            raise argparse.ArgumentTypeError(f"takes a whole number {span}, not {text!r}")
        return value

    return convert


def seconds(text: str) -> float:
    """An argparse type: a number of seconds, 0 or more (fractions allowed)."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < 1e9:
        raise argparse.ArgumentTypeError(f"takes a number of seconds (0 or more), not {text!r}")
    return value


def file_mode(text: str) -> int:
    """An argparse type: an octal file mode such as 660 or 0660."""
    try:
        value = int(text, 8)
    except ValueError:
        value = -1
    if not 0 <= value <= 0o7777:
        raise argparse.ArgumentTypeError(f"takes an octal file mode such as 660, not {text!r}")
    return value


def level_name(text: str) -> str:
    """An argparse type: a log level name, as the library knows them."""
    try:
        log_level(text)
    except Error as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def add_server_options(parser: argparse.ArgumentParser) -> None:
    """The options every Python server takes."""
    add = parser.add_argument
    add("--socket", metavar="ADDRESS",
        help="unix socket path or host:port (default: inherit a listener from systemd or fd 0, "
             "else answer one request as CGI)")
    add("--threads", type=whole_number(1, MAX_THREADS), default=1, metavar="N",
        help=f"requests served at once, 1 to {MAX_THREADS} (default 1)")
    add("--workers", type=whole_number(1, MAX_WORKERS), default=1, metavar="N",
        help="processes (each with --threads threads), run by ffcgi-supervisor: rolling "
             "restart on SIGHUP, a crashed one restarted (default 1: this process alone)")
    add("--backlog", type=whole_number(0), default=0, metavar="N",
        help="listen backlog (default: the system's maximum)")
    add("--mode", type=file_mode, metavar="OCTAL",
        help="file mode of a unix socket, e.g. 660 (default: from the umask)")
    add("--max-body", type=whole_number(0), metavar="BYTES",
        help="answer request bodies larger than this with 413 (default: no limit)")
    add("--idle-timeout", type=seconds, metavar="SECONDS",
        help="close a connection that stalls mid-request, or sits idle between requests, "
             "this long (default 60)")
    add("--allow", action="append", metavar="PEER",
        help="a peer address or prefix a TCP listener accepts, e.g. 127.0.0.1 or 10.0.0.0/8 "
             "(repeatable; default: everyone)")
    add("--access-log", metavar="FILE",
        help="one line per request (Combined Log Format + microseconds) to FILE, or - for "
             "standard output (default: none)")
    add("--error-log", metavar="FILE", default="-",
        help="refused peers, protocol errors, limit refusals, app exceptions... to FILE "
             "(default -: standard error)")
    add("--log-level", type=level_name, default="warning", metavar="LEVEL",
        help="error, warning, info, debug or off (default warning)")
    add("--status-path", metavar="PATH",
        help="answer requests for PATH (e.g. /status) with the status page: every worker's "
             "state and request, and the totals; ?json for JSON (default: none)")
    add("--slow", type=seconds, metavar="SECONDS",
        help="log a request that takes longer (warning) and count it as slow on the status "
             "page (default: none)")
    add("--timeout", type=seconds, metavar="SECONDS",
        help="a request running longer is answered 504 by the library (if nothing was sent "
             "yet), logged, and the process replaced, as uWSGI's harakiri (default: none)")
    add("--max-requests", type=whole_number(0), metavar="N",
        help="after about N requests (plus up to 10 %% at random) the process is replaced "
             "by a fresh one, the requests in flight finished first (default: never)")
    add("--max-rss", type=whole_number(0), metavar="MIB",
        help="once resident memory passes MIB mebibytes the process is replaced the same way "
             "(default: never)")
    add("--grace", type=seconds, default=DEFAULT_GRACE_SECONDS, metavar="SECONDS",
        help="at a stop (SIGTERM, SIGINT), how long requests in flight may still run; a second "
             f"signal stops at once (default {DEFAULT_GRACE_SECONDS:g})")
    add("--chdir", metavar="DIR", help="change to DIR before loading the app")
    add("--pythonpath", action="append", metavar="DIR",
        help="put DIR first on the module search path before loading the app (repeatable)")
    add("--uid", metavar="USER", help="after opening the socket, run as USER (name or number)")
    add("--gid", metavar="GROUP",
        help="after opening the socket, run as GROUP (default with --uid: USER's group)")


def prepare_process(args: argparse.Namespace) -> None:
    """--chdir and --pythonpath: before the app is loaded. Raises OSError."""
    if args.chdir:
        os.chdir(args.chdir)
    for directory in reversed(args.pythonpath or []):
        sys.path.insert(0, os.path.abspath(directory))


def _user_and_group(args: argparse.Namespace) -> Tuple[Optional[int], Optional[int]]:
    uid = gid = None
    if args.uid is not None:
        try:
            entry = pwd.getpwuid(int(args.uid)) if args.uid.isdigit() else pwd.getpwnam(args.uid)
        except (KeyError, ValueError):
            raise ValueError(f"--uid: no such user {args.uid!r}") from None
        uid, gid = entry.pw_uid, entry.pw_gid
    if args.gid is not None:
        try:
            gid = int(args.gid) if args.gid.isdigit() else grp.getgrnam(args.gid).gr_gid
        except KeyError:
            raise ValueError(f"--gid: no such group {args.gid!r}") from None
    return uid, gid


def check_privileges(args: argparse.Namespace) -> None:
    """Before anything is opened: --uid/--gid name real ids, and changing to
    them is possible. Raises ValueError."""
    uid, gid = _user_and_group(args)
    if (uid is not None and uid != os.getuid()) or (gid is not None and gid != os.getgid()):
        if os.geteuid() != 0:
            raise ValueError("--uid/--gid need the server to be started as root")


def drop_privileges(args: argparse.Namespace) -> None:
    """--uid/--gid: after the socket is open. Group first, then user, and
    the supplementary groups cleared, so nothing of root is kept."""
    uid, gid = _user_and_group(args)
    if gid is not None and os.geteuid() == 0:
        os.setgroups([])
        os.setgid(gid)
    if uid is not None and os.geteuid() == 0:
        os.setuid(uid)


def open_server(args: argparse.Namespace) -> Server:
    """The listener of --socket (or the inherited one), with the limits,
    allow-list and logs of the options. Raises ffcgi.Error."""
    limits = {}
    if args.max_body is not None:
        limits[LIMIT_BODY_BYTES] = args.max_body
    if args.idle_timeout is not None:
        limits[LIMIT_IDLE_MS] = int(args.idle_timeout * 1000)
    if args.slow is not None:
        limits[LIMIT_SLOW_MS] = int(args.slow * 1000)
    if args.timeout:
        limits[LIMIT_REQUEST_MS] = max(1, int(args.timeout * 1000))
    if args.max_requests:
        limits[LIMIT_MAX_REQUESTS] = args.max_requests
    if args.max_rss:
        limits[LIMIT_MAX_RSS_BYTES] = args.max_rss << 20
    options = dict(limits=limits, allow=args.allow, access_log=args.access_log,
                   error_log=args.error_log, log_level=args.log_level,
                   status_path=args.status_path)
    inherited = os.environ.pop(LISTEN_FD_ENV, None)
    args.socket_file = os.environ.pop(SOCKET_FILE_ENV, None)
    if inherited is not None:  # re-executed: the listener stayed open
        return Server.from_fd(int(inherited), **options)
    server = Server(args.socket, backlog=args.backlog, mode=args.mode, **options)
    path = _unix_path(args.socket)
    if path is not None:
        st = os.stat(path)
        args.socket_file = f"{st.st_dev}:{st.st_ino}:{path}"
    return server


def _unix_path(address: Optional[str]) -> Optional[str]:
    if not address:
        return None
    path = address[5:] if address.startswith("unix:") else address
    return path if path.startswith("/") or address.startswith("unix:") else None


def remove_socket_file(args: argparse.Namespace) -> None:
    """After the last stop of a re-executed server: removes the socket file
    the first process created, if it is still that file (the library does
    it for a server that was never re-executed)."""
    if not getattr(args, "socket_file", None):
        return
    dev, ino, path = args.socket_file.split(":", 2)
    try:
        st = os.lstat(path)
        if stat.S_ISSOCK(st.st_mode) and (st.st_dev, st.st_ino) == (int(dev), int(ino)):
            os.unlink(path)
    except OSError:
        pass  # gone already


def find_supervisor() -> str:
    """ffcgi-supervisor: $FFCGI_SUPERVISOR, else on PATH, else beside the
    libffcgi this process loaded (PREFIX/lib -> PREFIX/bin, or the build
    tree). Raises FileNotFoundError."""
    named = os.environ.get("FFCGI_SUPERVISOR")
    if named:
        return named
    found = shutil.which("ffcgi-supervisor")
    if found:
        return found
    with open("/proc/self/maps") as maps:
        libraries = {line.split()[-1] for line in maps if "libffcgi.so" in line}
    for library in sorted(libraries):
        base = os.path.dirname(library)
        for candidate in (os.path.join(base, "..", "bin", "ffcgi-supervisor"),
                          os.path.join(base, "..", "tools", "supervisor", "ffcgi-supervisor")):
            if os.access(candidate, os.X_OK):
                return os.path.normpath(candidate)
    raise FileNotFoundError("--workers needs ffcgi-supervisor, installed with libffcgi: it is "
                            "not on PATH nor beside libffcgi (set FFCGI_SUPERVISOR to its path)")


def _without_options(argv: List[str], names: Tuple[str, ...]) -> List[str]:
    """argv without the options `names` and their values."""
    kept, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg in names:
            skip = True
        elif not arg.startswith(tuple(name + "=" for name in names)):
            kept.append(arg)
    return kept


def run_workers(args: argparse.Namespace) -> NoReturn:
    """--workers N: replaces this process by ffcgi-supervisor, which opens
    the listener and runs N copies of this very command (without the
    supervisor's options), each inheriting the listener on fd 0. The pid
    stays, so SIGHUP (rolling restart) and SIGTERM (graceful stop) go to
    the supervisor."""
    command = [find_supervisor(), "--socket", args.socket, "--workers", str(args.workers),
               "--grace-ms", str(int(args.grace * 1000))]
    if args.mode is not None:
        command += ["--mode", f"{args.mode:o}"]
    if args.backlog:
        command += ["--backlog", str(args.backlog)]
    command += ["--", sys.executable] + _without_options(sys.orig_argv[1:], SUPERVISOR_OPTIONS)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(command[0], command)


def replace_process(server: Server, why: str, args: argparse.Namespace) -> NoReturn:
    """serve_on()'s reload: under ffcgi-supervisor a retired worker exits
    with EXIT_RETIRED and the supervisor starts a fresh one at once;
    otherwise the process re-executes itself with the same command line,
    keeping the listener open (connections wait in its queue meanwhile), so
    a reload or a recycling loses no request. The new process loads the
    app's code afresh."""
    sys.stdout.flush()
    sys.stderr.flush()
    if why != "SIGHUP" and os.environ.get(SUPERVISOR_ENV):
        server.log("info", f"retired ({server.retired}): exiting with status {EXIT_RETIRED} "
                           f"for ffcgi-supervisor to start a fresh worker")
        os._exit(EXIT_RETIRED)
    fd = server.fileno()
    os.set_inheritable(fd, True)
    os.environ[LISTEN_FD_ENV] = str(fd)
    if getattr(args, "socket_file", None):
        os.environ[SOCKET_FILE_ENV] = args.socket_file
    server.log("info", f"{why}: re-executing {' '.join(sys.orig_argv)} with the listener "
                       f"kept open")
    os.chdir(_START_DIRECTORY)  # relative paths of the command line mean what they meant
    os.execv(sys.executable, sys.orig_argv)


def cgi_notice(prog: str) -> List[str]:
    """What to tell a person who started the server by hand without
    --socket: it is waiting to answer one CGI request."""
    return [f"{prog}: no --socket given and no listener inherited (systemd, fd 0): answering "
            f"one request as plain CGI from the environment and standard input.",
            f"{prog}: to serve FastCGI, give --socket ADDRESS (e.g. --socket /tmp/app.sock or "
            f"--socket 127.0.0.1:9000); --help lists the options."]


__all__ = ["DEFAULT_GRACE_SECONDS", "MAX_THREADS", "add_server_options", "cgi_notice",
           "check_privileges", "drop_privileges", "file_mode", "find_supervisor", "level_name",
           "open_server", "prepare_process", "remove_socket_file", "replace_process",
           "run_workers", "seconds", "whole_number"]
