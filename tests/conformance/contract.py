"""contract — what an echo app must answer (tests/conformance/ECHO_CONTRACT.md),
computed here independently of every app under test: the escaping, the
query rules, the sort and the SHA-256 (hashlib) are this file's own.

expected(request) gives the status, body and stderr text that a request
calls for; problems(expected, response) lists every way a response departs
from them, accepting exactly the freedom the contract gives (reason phrase,
an omitted `Status: 200`, `\\n` for `\\r\\n` in the head, a charset suffix,
other CGI headers, a `\\n` after the stderr text).
"""
import hashlib
import re
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

from fcgi_ctypes import Request, Response

_SAFE = frozenset(range(0x21, 0x7F)) - {ord("%"), ord("=")}
_ROLE_NAMES = {1: b"RESPONDER", 2: b"AUTHORIZER", 3: b"FILTER"}


def esc(raw: bytes) -> bytes:
    return b"".join(bytes([b]) if b in _SAFE else b"%%%02X" % b for b in raw)


def query_value(query: bytes, key: bytes) -> Optional[bytes]:
    """The value of the first `key=` segment of the query, None without one."""
    for segment in query.split(b"&"):
        name, eq, value = segment.partition(b"=")
        if eq and name == key:
            return value
    return None


def received_params(request: Request) -> List[Tuple[bytes, bytes]]:
    """The params an app sees through libfcgi: FCGI_ROLE added first, and
    each value cut at its first NUL (libfcgi keeps C strings; the contract
    accepts the cut). Names holding '=' or NUL cannot be represented at all,
    so a case that sends one is refused rather than guessed at."""
    seen = [(b"FCGI_ROLE", _ROLE_NAMES[request.role])]
    for p in request.params:
        if b"=" in p.name or b"\0" in p.name or not p.name:
            raise ValueError(f"param name {p.name[:40]!r} cannot pass through libfcgi")
        seen.append((p.name, p.value.split(b"\0", 1)[0]))
    return seen


class Expected(NamedTuple):
    status: int
    body: bytes
    stderr: bytes  # the text; a single "\n" may follow it


def expected(request: Request) -> Expected:
    return answer(received_params(request), request.stdin)


def answer(params: Sequence[Tuple[bytes, bytes]], stdin: bytes) -> Expected:
    """The contract's answer to a request whose params (as the app sees them,
    in the order received) and body are given."""
    env: Dict[bytes, bytes] = {}
    for name, value in params:
        env.setdefault(name, value)  # the first of duplicates, like getenv
    query = env.get(b"QUERY_STRING", b"")
    code = query_value(query, b"status")
    status = int(code) if code and re.fullmatch(rb"[0-9]{3}", code) and \
        100 <= int(code) <= 599 else 200
    lines = sorted(esc(name) + b"=" + esc(value) + b"\n" for name, value in params)
    body = (b"method=" + esc(env.get(b"REQUEST_METHOD", b"")) + b"\n"
            + b"query=" + esc(query) + b"\n"
            + b"stdin_bytes=%d\n" % len(stdin)
            + b"stdin_sha256=" + hashlib.sha256(stdin).hexdigest().encode() + b"\n"
            + b"param_count=%d\n" % len(lines)
            + b"".join(lines) + b"end\n")
    return Expected(status, body, query_value(query, b"stderr") or b"")


_HEADER = re.compile(rb"([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*)")
_STATUS = re.compile(rb"([0-9]{3})(?: [^\r\n]*)?")
_CONTENT_TYPE = re.compile(rb"text/plain(?:;[ \t]*charset=[^;\s]+)?", re.IGNORECASE)


def split_head(stdout: bytes) -> Tuple[List[Tuple[bytes, bytes]], bytes, List[str]]:
    """The CGI head as (name, value) pairs, the body, and any problems."""
    headers, problems = [], []
    pos = 0
    while True:
        end = stdout.find(b"\n", pos)
        if end < 0:
            return headers, b"", ["the head is not ended by an empty line"]
        line = stdout[pos:end]
        pos = end + 1
        if line.endswith(b"\r"):
            line = line[:-1]
        if not line:
            return headers, stdout[pos:], problems
        m = _HEADER.fullmatch(line)
        if m:
            headers.append((m.group(1).lower(), m.group(2)))
        else:
            problems.append(f"not a header line: {line[:80]!r}")


def problems(want: Expected, got: Response) -> List[str]:
    """Every departure of got from want (empty when the response conforms)."""
    found = []
    if got.protocol_status != 0:
        found.append(f"protocolStatus {got.protocol_status}, expected 0 (REQUEST_COMPLETE)")
    if got.app_status != 0:
        found.append(f"appStatus {got.app_status}, expected 0")
    if not got.stdout_closed:
        found.append("FCGI_STDOUT was not ended by an empty record")
    if got.stderr and not got.stderr_closed:
        found.append("FCGI_STDERR was not ended by an empty record")
    if got.other_records:
        found.append(f"{got.other_records} records for other request ids")
    headers, body, head_problems = split_head(got.stdout)
    found += head_problems
    statuses = [v for n, v in headers if n == b"status"]
    types = [v for n, v in headers if n == b"content-type"]
    if len(statuses) > 1:
        found.append(f"{len(statuses)} Status headers")
    elif statuses:
        m = _STATUS.fullmatch(statuses[0])
        if not m or int(m.group(1)) != want.status:
            found.append(f"Status: {statuses[0][:40]!r}, expected {want.status}")
    elif want.status != 200:
        found.append(f"no Status header, expected {want.status}")
    if len(types) != 1 or not _CONTENT_TYPE.fullmatch(types[0]):
        found.append(f"Content-Type {types!r}, expected one text/plain")
    if body != want.body:
        found.append("body differs:\n" + diff(want.body, body))
    if got.stderr not in (want.stderr, want.stderr + b"\n" if want.stderr else b""):
        found.append(f"stderr {got.stderr[:200]!r}, expected {want.stderr!r} "
                     f"(optionally followed by one newline)")
    return found


def diff(want: bytes, got: bytes, context: int = 3, limit: int = 12) -> str:
    """The first differing lines of two bodies, for a readable failure."""
    a, b = want.split(b"\n"), got.split(b"\n")
    first = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    start = max(first - context, 0)
    out = [f"  (expected {len(want)} bytes, got {len(got)}; first difference at line "
           f"{first + 1})"]
    for i in range(start, min(first + limit, max(len(a), len(b)))):
        x = a[i] if i < len(a) else None
        y = b[i] if i < len(b) else None
        mark = " " if x == y else "!"
        out.append(f"  {mark} expected {_short(x)}")
        if x != y:
            out.append(f"  {mark} got      {_short(y)}")
    return "\n".join(out)


def _short(line: Optional[bytes]) -> str:
    if line is None:
        return "(nothing)"
    return repr(line[:120]) + ("..." if len(line) > 120 else "")
