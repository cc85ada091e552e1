#!/usr/bin/python3
"""driver.py — the cross-language conformance suite (see README.md here).

    driver.py --build-dir BUILD --client-lib LIB --language L [--language L]...
              [--transport unix|tcp] [--threads N] [--case GLOB]... [--cross-language]

Starts the echo app of each language (apps.conf) on a unix socket or on
127.0.0.1:a free port, runs every case of cases/*.case against it, and after
each case checks that the app is alive and answers a probe request correctly
on a new connection. Responses are checked against ECHO_CONTRACT.md as
computed by contract.py. With --cross-language, the answers of all the
languages named must also be byte-identical. Exits 0 when everything passed.
Every process started is stopped by PID on every exit path, and every wait
is bounded (--request-timeout per exchange, --deadline for the whole run).
"""
import argparse
import ctypes
import fnmatch
import os
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from typing import Dict, List, NamedTuple, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import casefile  # noqa: E402
import contract  # noqa: E402
from fcgi_ctypes import (ERR_TIMEOUT, RECORD_TYPES, Client, Param, Request,  # noqa: E402
                         Response, WireError)

END_REQUEST, STDOUT, STDERR = (RECORD_TYPES[t] for t in ("END_REQUEST", "STDOUT", "STDERR"))
GET_VALUES, GET_VALUES_RESULT = RECORD_TYPES["GET_VALUES"], RECORD_TYPES["GET_VALUES_RESULT"]


KNOWN_FAILURE_TIMEOUT = 5.0  # seconds per exchange in a case marked known_failure


class Failure(Exception):
    """A language cannot be run (its app is missing or does not start)."""


class DeadlineExceeded(BaseException):
    """--deadline passed: like KeyboardInterrupt, no handler swallows it,
    and the finally clauses stop every app on the way out."""


def log(text: str) -> None:
    print(text, flush=True)


# ---- the apps -----------------------------------------------------------------

def load_apps(path: str) -> Dict[str, str]:
    apps = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                name, _, command = line.partition("=")
                apps[name.strip()] = command.strip()
    return apps


class App:
    """One echo app process, listening at address."""

    def __init__(self, language: str, argv: List[str], address: str, log_path: str):
        self.language, self.address, self.log_path = language, address, log_path
        env = dict(os.environ, HTTP_CONFORMANCE_CANARY="process-environment-must-not-leak")
        with open(log_path, "ab") as log_file:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log_file,
                                         stderr=subprocess.STDOUT, env=env,
                                         preexec_fn=_die_with_parent)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def wait_listening(self, client: Client, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise Failure(f"{self.language}: the app exited with status "
                              f"{self.proc.returncode} before listening\n{self.log_tail()}")
            try:
                os.close(client.connect(self.address))
                return
            except WireError:
                time.sleep(0.05)
        raise Failure(f"{self.language}: nothing listens on {self.address} after "
                      f"{timeout:.0f} s\n{self.log_tail()}")

    def stop(self, grace: float = 10.0) -> Optional[int]:
        """SIGTERM by PID, then SIGKILL after grace seconds; the exit status
        (None when it had to be killed)."""
        if self.alive():
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                return self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
                return None
        return self.proc.returncode

    def log_tail(self, lines: int = 30) -> str:
        try:
            with open(self.log_path, "rb") as f:
                text = f.read().decode(errors="replace").splitlines()[-lines:]
        except OSError:
            return ""
        return "\n".join(f"  | {line}" for line in text) if text else "  (the app printed nothing)"


def _die_with_parent() -> None:
    """In the child: SIGKILL when the driver dies, whatever kills it."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def app_argv(command: str, args: argparse.Namespace, language: str) -> List[str]:
    words = [w.format(build=args.build_dir, source=args.source_dir, python=args.python)
             for w in shlex.split(command)]
    for word in words:
        for tree in (args.build_dir, args.source_dir):
            path = word[2:] if word.startswith("-I") else word
            if path.startswith(tree + os.sep) and not os.path.exists(path):
                raise Failure(f"{language}: {os.path.relpath(path, tree)} does not exist in "
                              f"{tree}: the {language} echo app is missing, so its conformance "
                              f"cannot be shown")
    if not shutil.which(words[0]):
        raise Failure(f"{language}: {words[0]} is not installed")
    return [os.path.join(args.build_dir, "devenv")] + words


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(language: str, command: str, args: argparse.Namespace, client: Client,
              tmp: str) -> App:
    argv = app_argv(command, args, language)
    for attempt in range(3):  # a free TCP port may be taken before the app binds it
        address = (os.path.join(tmp, f"{language}.sock") if args.transport == "unix"
                   else f"127.0.0.1:{free_port()}")
        app = App(language, argv + ["--socket", address, "--threads", str(args.threads)],
                  address, os.path.join(tmp, f"{language}.log"))
        try:
            app.wait_listening(client, args.start_timeout)
            return app
        except Failure:
            app.stop()
            if args.transport == "unix" or attempt == 2:
                raise
    raise AssertionError("unreachable")


# ---- running one case -----------------------------------------------------------

class Result(NamedTuple):
    problems: List[str]
    observations: List[Tuple]   # what must be identical in every language


def observe(resp: Response) -> Tuple:
    return ("response", resp.stdout, resp.stderr, resp.app_status, resp.protocol_status)


def run_requests(client: Client, address: str, case: casefile.Case, timeout_ms: int) -> Result:
    """A plain case: repeat requests on each of `connections` parallel
    clients, one connection each with keep_conn, else one per request;
    every answer checked against its own request."""
    problems: List[str] = []
    observations: Dict[Tuple[int, int], Tuple] = {}
    lock = threading.Lock()

    def one_client(conn: int) -> None:
        fd = -1
        try:
            for req in range(case.repeat):
                request = case.request(conn, req)
                want = contract.expected(request)
                where = f"connection {conn}, request {req}"
                if fd < 0:
                    fd = client.connect(address)
                try:
                    resp = client.roundtrip(fd, request, timeout_ms)
                except WireError as e:
                    with lock:
                        problems.append(f"{where}: {e}")
                    return
                found = contract.problems(want, resp)
                with lock:
                    problems.extend(f"{where}: {p}" for p in found)
                    observations[(conn, req)] = observe(resp)
                if not case.keep_conn:
                    os.close(fd)
                    fd = -1
        except Exception as e:  # noqa: BLE001 — a thread must report, not vanish
            with lock:
                problems.append(f"connection {conn}: {type(e).__name__}: {e}")
        finally:
            if fd >= 0:
                os.close(fd)

    if case.connections == 1:
        one_client(0)
    else:
        threads = [threading.Thread(target=one_client, args=(c,), daemon=True)
                   for c in range(case.connections)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return Result(problems, [observations[k] for k in sorted(observations)])


class Script:
    """A scripted case: its send/expect/read/shutdown/close steps on one
    connection, in order."""

    def __init__(self, client: Client, address: str, case: casefile.Case, timeout_ms: int):
        self.client, self.case, self.timeout_ms = client, case, timeout_ms
        self.request = case.request()
        self.fd = client.connect(address)
        self.peer_closed = ""
        self.problems: List[str] = []
        self.observations: List[Tuple] = []

    def run(self) -> Result:
        try:
            for step in self.case.steps:
                getattr(self, "do_" + step.action)(step)
                if self.problems:
                    self.problems = [f"line {step.line} ({step.action}: {step.what}): {p}"
                                     for p in self.problems]
                    break
        finally:
            if self.fd >= 0:
                os.close(self.fd)
        return Result(self.problems, self.observations)

    # -- send ------------------------------------------------------------

    def stream_bytes(self, type_: int, data: bytes, options: Dict[str, str]) -> bytes:
        chunk = int(options.get("chunk", 0)) or (
            self.request.params_chunk if type_ == RECORD_TYPES["PARAMS"]
            else self.request.stdin_chunk) or 65535
        padding, end_padding = int(options.get("padding", 0)), int(options.get("end_padding", 0))
        rid = int(options.get("id", self.request.id))
        out = b"".join(self.client.record(type_, rid, data[i:i + chunk], padding)
                       for i in range(0, len(data), chunk))
        if options.get("end", "yes") == "yes":
            out += self.client.record(type_, rid, b"", end_padding)
        return out

    def send_bytes(self, step: casefile.Step) -> bytes:
        req, o = self.request, step.options
        if step.what == "request":
            data = self.client.encode_request(req) * int(o.get("times", 1))
            return data[:int(o["bytes"])] if "bytes" in o else data
        if step.what == "begin":
            role = casefile.role_number(o.get("role", str(req.role)))
            flags = int(o.get("flags", casefile.begin_flags(self.case)))
            body = struct.pack(">HB5x", role, flags)
            return self.client.record(RECORD_TYPES["BEGIN_REQUEST"], int(o.get("id", req.id)),
                                      body, int(o.get("padding", 0)))
        if step.what == "params":
            return self.stream_bytes(RECORD_TYPES["PARAMS"],
                                     self.client.encode_params(req.params), o)
        if step.what == "stdin":
            return self.stream_bytes(RECORD_TYPES["STDIN"], req.stdin, o)
        if step.what == "data":
            return self.stream_bytes(RECORD_TYPES["DATA"], req.data or b"", o)
        if step.what == "record":
            content = casefile.decode(o.get("content", ""))
            return struct.pack(">BBHHBB", int(o.get("version", 1)),
                               casefile.record_type(o["type"]), int(o.get("id", req.id)),
                               int(o.get("length", len(content))), int(o.get("padding", 0)), 0) \
                + content + bytes(int(o.get("padding", 0)))
        if step.what == "bytes":
            return casefile.decode(" ".join(step.words))
        if step.what == "pattern":
            return casefile.pattern(int(step.words[0]), int(o.get("seed", 1)))
        if step.what == "get_values":
            names = [Param(w.encode(), b"") for w in step.words]
            return self.client.record(GET_VALUES, 0, self.client.encode_params(names),
                                      int(o.get("padding", 0)))
        raise AssertionError(step.what)

    def do_send(self, step: casefile.Step) -> None:
        data = self.send_bytes(step)
        if self.peer_closed:
            return  # the outcome that follows decides whether that was right
        try:
            self.client.write_all(self.fd, data)
        except WireError as e:
            if not e.closed:
                self.problems.append(str(e))
            self.peer_closed = str(e)

    def do_shutdown(self, step: casefile.Step) -> None:
        with socket.socket(fileno=os.dup(self.fd)) as s:
            try:
                s.shutdown(socket.SHUT_WR)
            except OSError as e:
                self.peer_closed = str(e)

    def do_close(self, step: casefile.Step) -> None:
        if step.what == "reset":  # RST instead of FIN: ECONNRESET on the app's next write
            with socket.socket(fileno=os.dup(self.fd)) as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        os.close(self.fd)
        self.fd = -1

    def do_read(self, step: casefile.Step) -> None:
        """Reads (and drops) N bytes of whatever the app sends."""
        want, got = int(step.what), 0
        with socket.socket(fileno=os.dup(self.fd)) as s:
            s.settimeout(self.timeout_ms / 1000)
            while got < want:
                try:
                    chunk = s.recv(min(65536, want - got))
                except OSError as e:
                    self.problems.append(f"after {got} bytes: {e}")
                    return
                if not chunk:
                    self.problems.append(f"the app closed the connection after {got} bytes")
                    return
                got += len(chunk)

    # -- expect ----------------------------------------------------------

    def do_expect(self, step: casefile.Step) -> None:
        outcomes = casefile.parse_outcomes(step.what)
        extent = max(_EXTENT[o.kind] for o in outcomes)
        end_ids = {int(o.options.get("id", self.request.id)) for o in outcomes
                   if o.kind in ("response", "end_request")}
        records, eof = [], False
        while True:
            if extent == 1 and records:
                break
            try:
                rec = self.client.read_record(self.fd, self.timeout_ms)
            except WireError as e:
                if not e.closed:
                    self.problems.append(("no answer within the timeout"
                                          if e.status == ERR_TIMEOUT else str(e))
                                         + f" after {describe(records)}")
                    return
                eof = True
                break
            records.append(rec)
            if extent == 2 and rec.type == END_REQUEST and rec.request_id in end_ids:
                break
        why = []
        for o in outcomes:
            found, observation = self.judge(o, records, eof)
            if not found:
                self.observations.append(observation)
                return
            why.append(f"not {o.kind}: " + "; ".join(found))
        self.problems.append(f"received {describe(records)}{', then EOF' if eof else ''}\n    "
                             + "\n    ".join(why))

    def judge(self, o: casefile.Outcome, records: List, eof: bool) -> Tuple[List[str], Tuple]:
        """Why records (and eof) are not outcome o (empty if they are), and
        what of them every language must answer alike."""
        if o.kind == "eof":
            return ([] if eof and not records else ["records came" if records else "no EOF"],
                    ("eof",))
        if o.kind == "drain":  # anything, so nothing to compare
            return [] if eof else ["the app did not close the connection"], ("drain",)
        if o.kind in ("record", "values"):
            if len(records) != 1:
                return ["no record"], ()
            rec = records[0]
            if o.kind == "values":
                if (rec.type, rec.request_id) != (GET_VALUES_RESULT, 0):
                    return ["not an FCGI_GET_VALUES_RESULT for request id 0"], ()
                want = sorted(tuple(w.encode().split(b"=", 1)) for w in o.words)
                got = sorted(self.client.decode_params(rec.content))
                return [] if got == want else [f"values {got}, expected {want}"], ("values", got)
            want_rec = (1, casefile.record_type(o.options["type"]), int(o.options["id"]),
                        casefile.decode(o.options["content"]) if "content" in o.options
                        else rec.content)
            got_rec = rec[:3] + (rec.content,)
            return [] if got_rec == want_rec else [f"expected {want_rec}"], ("record",) + got_rec
        # response or end_request: the records up to an END_REQUEST
        rid = int(o.options.get("id", self.request.id))
        if not records or records[-1].type != END_REQUEST or records[-1].request_id != rid:
            return [f"no FCGI_END_REQUEST for request {rid}"], ()
        resp = assemble(records, rid)
        if isinstance(resp, str):
            return [resp], ()
        if o.kind == "response":
            return contract.problems(contract.expected(self.request), resp), observe(resp)
        if not o.words:  # any END_REQUEST, whatever came before: nothing to compare
            return [], ("end_request",)
        status = casefile.protocol_status(o.words[0])
        if resp.protocol_status != status or resp.stdout or resp.stderr:
            return [f"protocolStatus {resp.protocol_status} with {len(resp.stdout)} stdout "
                    f"bytes, expected {status} alone"], ()
        return [], ("end_request", rid, status)


_EXTENT = {"record": 1, "values": 1, "response": 2, "end_request": 2, "eof": 3, "drain": 3}
_TYPE_NAMES = {v: k for k, v in RECORD_TYPES.items()}


def describe(records: List) -> str:
    if not records:
        return "no records"
    return ", ".join(f"{_TYPE_NAMES.get(r.type, r.type)}(id {r.request_id}, "
                     f"{len(r.content)} B)" for r in records[:12]) + \
        (f" and {len(records) - 12} more" if len(records) > 12 else "")


def assemble(records: List, rid: int):
    """The response to request rid in records (ending with its
    END_REQUEST), or a text saying what is wrong with the records."""
    out, err = bytearray(), bytearray()
    closed = {STDOUT: False, STDERR: False}
    others = 0
    for rec in records[:-1]:
        if rec.version != 1:
            return f"a record of version {rec.version}"
        if rec.request_id != rid:
            others += 1
        elif rec.type in closed:
            if closed[rec.type]:
                return f"{_TYPE_NAMES[rec.type]} after its stream ended"
            closed[rec.type] = not rec.content
            (out if rec.type == STDOUT else err).extend(rec.content)
        else:
            return f"an unexpected {_TYPE_NAMES.get(rec.type, rec.type)} record"
    end = records[-1].content
    if len(end) != 8:
        return f"FCGI_END_REQUEST with {len(end)} content bytes"
    app_status, protocol_status = struct.unpack(">IB3x", end)
    return Response(bytes(out), bytes(err), app_status, protocol_status, closed[STDOUT],
                    closed[STDERR], others)


# ---- the probe after every case ------------------------------------------------------

PROBE = Request(id=1, role=1, params=(
    Param(b"REQUEST_METHOD", b"POST"),
    Param(b"QUERY_STRING", b"probe=1&status=201&stderr=probe-ok"),
    Param(b"CONTENT_LENGTH", b"3000"),
    Param(b"HTTP_X_PROBE", b"caf\xc3\xa9 %=")),
    stdin=casefile.pattern(3000, 99), stdin_chunk=1000)


def probe(client: Client, app: App, timeout_ms: int) -> List[str]:
    """The app still serves a new connection correctly."""
    try:
        fd = client.connect(app.address)
        try:
            resp = client.roundtrip(fd, PROBE, timeout_ms)
        finally:
            os.close(fd)
    except WireError as e:
        found = [str(e)]
    else:
        found = contract.problems(contract.expected(PROBE), resp)
    if not app.alive():
        found.insert(0, f"the app died (exit status {app.proc.returncode})")
    return found


# ---- a whole run ---------------------------------------------------------------------

class Summary:
    def __init__(self) -> None:
        self.failed: List[str] = []
        self.known: List[str] = []
        self.passed = 0


def run_case(client: Client, app: App, case: casefile.Case, args: argparse.Namespace,
             summary: Summary) -> List[Tuple]:
    timeout_ms = int(args.request_timeout * 1000)
    started = time.monotonic()
    try:
        result = (Script(client, app.address, case, timeout_ms).run() if case.scripted
                  else run_requests(client, app.address, case, timeout_ms))
    except WireError as e:
        result = Result([str(e)], [])
    found = list(result.problems)
    after = probe(client, app, timeout_ms)
    if after:
        found.append("afterwards the app does not serve a new connection correctly: "
                     + "; ".join(after))
    label = f"{app.language} {case.name}"
    took = f"({time.monotonic() - started:.2f} s)"
    if case.known_failure and found:
        summary.known.append(label)
        log(f"known failure {label} {took}: {case.known_failure}")
        for p in found[:5]:
            log("    " + p.replace("\n", "\n    "))
    elif case.known_failure:
        summary.failed.append(label)
        log(f"FAIL {label} {took}: marked known_failure ({case.known_failure}) but it passes "
            f"now: remove the marker")
    elif found:
        summary.failed.append(label)
        log(f"FAIL {label} {took}: {case.description}")
        for p in found[:args.max_problems]:
            log("    " + p.replace("\n", "\n    "))
        if len(found) > args.max_problems:
            log(f"    ... and {len(found) - args.max_problems} more problems")
    else:
        summary.passed += 1
        log(f"ok   {label} {took}")
        if args.verbose and case.scripted:
            log("     outcomes: " + ", ".join(o[0] for o in result.observations))
    return result.observations


def run_language(language: str, command: str, cases: List[casefile.Case], client: Client,
                 args: argparse.Namespace, tmp: str,
                 summary: Summary) -> Dict[str, List[Tuple]]:
    log(f"== {language}: starting its echo app ({args.transport}, --threads {args.threads})")
    app = start_app(language, command, args, client, tmp)
    observations = {}
    try:
        for case in cases:
            if case.known_failure:  # it may leave its app broken: give it an app of its own
                observations[case.name] = run_isolated(language, command, case, client, args,
                                                       tmp, summary)
            else:
                observations[case.name] = run_case(client, app, case, args, summary)
            if not app.alive():  # reported by the case; the other cases get a new app
                log(f"     {language}: the app died (status {app.proc.returncode}); its output:\n"
                    f"{app.log_tail()}\n     {language}: starting it again")
                app = start_app(language, command, args, client, tmp)
    finally:
        status = app.stop()
    if status != 0:
        summary.failed.append(f"{language} exit")
        log(f"FAIL {language}: on SIGTERM the app exited with status {status} "
            f"(expected 0)\n{app.log_tail()}")
    else:
        log(f"ok   {language}: exited 0 on SIGTERM")
    return observations


def run_isolated(language: str, command: str, case: casefile.Case, client: Client,
                 args: argparse.Namespace, tmp: str, summary: Summary) -> List[Tuple]:
    """A known failure, against a fresh app that is killed afterwards; a
    short timeout, so that a known hang costs seconds, not minutes."""
    quick = argparse.Namespace(**vars(args))
    quick.request_timeout = min(args.request_timeout, KNOWN_FAILURE_TIMEOUT)
    app = start_app(f"{language}-isolated", command, quick, client, tmp)
    try:
        return run_case(client, app, case, quick, summary)
    finally:
        app.stop(grace=2.0)


def compare_languages(seen: Dict[str, Dict[str, List[Tuple]]], summary: Summary) -> None:
    languages = list(seen)
    first = languages[0]
    for case_name in seen[first]:
        differing = [lang for lang in languages[1:]
                     if seen[lang].get(case_name) != seen[first][case_name]]
        if not differing:
            log(f"ok   identical in {', '.join(languages)}: {case_name}")
            continue
        summary.failed.append(f"cross {case_name}")
        log(f"FAIL {case_name}: answers differ between languages")
        for lang in differing:
            log(f"    {first} vs {lang}: " + first_difference(seen[first][case_name],
                                                              seen[lang].get(case_name, [])))


def first_difference(a: List[Tuple], b: List[Tuple]) -> str:
    if len(a) != len(b):
        return f"{len(a)} answers vs {len(b)}"
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            if x[0] == y[0] == "response":
                for label, u, v in zip(("stdout", "stderr", "appStatus", "protocolStatus"),
                                       x[1:], y[1:]):
                    if u != v:
                        text = contract.diff(u, v) if isinstance(u, bytes) else f"{u} vs {v}"
                        return f"answer {i}: {label} differs\n{text}"
            return f"answer {i}: {x[0]} {str(x[1:])[:300]} vs {y[0]} {str(y[1:])[:300]}"
    return "?"


def select_cases(args: argparse.Namespace) -> List[casefile.Case]:
    cases = casefile.load_all(args.cases)
    if args.case:
        cases = [c for c in cases if any(fnmatch.fnmatch(c.name, g) for g in args.case)]
        if not cases:
            raise Failure(f"no case matches {args.case}")
    return cases


def parse_args(argv: List[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build-dir", required=True)
    p.add_argument("--source-dir", default=os.path.dirname(os.path.dirname(HERE)))
    p.add_argument("--client-lib", help="the shared FastCGI client library (default: "
                   "BUILD/tests/conformance/libconformance_client.so)")
    p.add_argument("--python", default="/usr/bin/python3", help="FFCGI_PYTHON for the apps")
    p.add_argument("--apps", default=os.path.join(HERE, "apps.conf"))
    p.add_argument("--cases", default=os.path.join(HERE, "cases"), help="directory of *.case")
    p.add_argument("--language", action="append", help="default: every one in apps.conf")
    p.add_argument("--transport", choices=("unix", "tcp"), default="unix")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--case", action="append", help="only cases whose name matches (glob)")
    p.add_argument("--cross-language", action="store_true",
                   help="also demand byte-identical answers from all the languages")
    p.add_argument("--list", action="store_true", help="list the cases and exit")
    p.add_argument("--request-timeout", type=float, default=60.0, metavar="SECONDS")
    p.add_argument("--start-timeout", type=float, default=60.0, metavar="SECONDS")
    p.add_argument("--deadline", type=float, default=0, metavar="SECONDS",
                   help="fail the whole run after this long (0: no limit)")
    p.add_argument("--max-problems", type=int, default=8)
    p.add_argument("--verbose", action="store_true",
                   help="also say which outcome each expect: step of a script met")
    args = p.parse_args(argv)
    args.build_dir = os.path.abspath(args.build_dir)
    args.source_dir = os.path.abspath(args.source_dir)
    args.client_lib = args.client_lib or os.path.join(
        args.build_dir, "tests", "conformance", "libconformance_client.so")
    return args


def main(argv: List[str]) -> int:
    args = parse_args(argv)
    cases = select_cases(args)
    if args.list:
        for c in cases:
            log(f"{c.name:32} {c.description}")
        return 0
    apps = load_apps(args.apps)
    languages = args.language or list(apps)
    for language in languages:
        if language not in apps:
            raise Failure(f"no language {language!r} in {args.apps}")
    if args.deadline:
        def expire(*_):
            raise DeadlineExceeded(f"the run exceeded its deadline of {args.deadline:.0f} s")
        signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, args.deadline)
    client = Client(args.client_lib)
    summary = Summary()
    seen = {}
    with tempfile.TemporaryDirectory(prefix="ffcgi-conformance-") as tmp:
        for language in languages:
            try:
                seen[language] = run_language(language, apps[language], cases, client, args,
                                              tmp, summary)
            except Failure as e:
                summary.failed.append(language)
                log(f"FAIL {e}")
    if args.cross_language and len(seen) > 1:  # a language that did not run has failed
        compare_languages(seen, summary)
    log(f"== {len(cases)} cases x {', '.join(languages)} ({args.transport}, --threads "
        f"{args.threads}): {summary.passed} passed, {len(summary.known)} known failures, "
        f"{len(summary.failed)} failed" + (f": {', '.join(summary.failed)}" if summary.failed
                                            else ""))
    return 1 if summary.failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (Failure, DeadlineExceeded, casefile.CaseError) as e:
        log(f"FAIL {e}")
        sys.exit(1)
