"""casefile — reads the conformance cases (tests/conformance/cases/*.case).

The format is described in tests/conformance/README.md; in short, one
`key: value` per line, `#` comments, values in a percent syntax:

    %XX           the byte 0xXX (write %25 for a literal %)
    %{N:TEXT}     TEXT (itself in this syntax, without braces) N times
    %{i}          in param_series: the index of the param (zero-padded)
    %{conn}       the number of the parallel connection (0-based)
    %{req}        the number of the request on that connection (0-based)

Everything else is taken as its UTF-8 bytes. Keys describe one request
(params, body, role, record sizes), how often and how parallel it is sent,
and optionally a script of `send:`/`expect:` steps on one connection.
"""
import os
import random
import re
from typing import Dict, List, NamedTuple, Optional, Tuple

from fcgi_ctypes import (KEEP_CONN, NV_LONG_NAME, NV_LONG_VALUE, PROTOCOL_STATUSES,
                         RECORD_TYPES, ROLES, Param, Request)


class CaseError(Exception):
    """A case file that does not follow the format (path:line: why)."""


# ---- values -----------------------------------------------------------------

_BRACE = re.compile(r"\{([^{}]*)\}")
_HEX = set("0123456789abcdefABCDEF")


def decode(text: str, subst: Optional[Dict[str, str]] = None) -> bytes:
    """The bytes that a value in the percent syntax stands for."""
    out = bytearray()
    i = 0
    while i < len(text):
        ch = text[i]
        if ch != "%":
            out += ch.encode()
            i += 1
            continue
        hex_digits = text[i + 1:i + 3]
        if len(hex_digits) == 2 and set(hex_digits) <= _HEX:
            out.append(int(hex_digits, 16))
            i += 3
            continue
        m = _BRACE.match(text, i + 1)
        if not m:
            raise ValueError(f"bad escape at {text[i:i + 12]!r} (write %25 for a literal %)")
        inner = m.group(1)
        count, colon, repeated = inner.partition(":")
        if colon and count.isdigit():
            out += decode(repeated, subst) * int(count)
        elif subst is not None and inner in subst:
            out += subst[inner].encode()
        else:
            raise ValueError(f"unknown %{{{inner}}} here")
        i = m.end()
    return bytes(out)


_ROTATIONS = [bytes((x + k) & 255 for x in range(256)) for k in range(256)]


def pattern(size: int, seed: int) -> bytes:
    """size deterministic bytes in which every aligned 256-byte block holds
    each byte value exactly once: a shuffled permutation (from seed), shifted
    by the block number. The sequence repeats every 64 KiB."""
    perm = list(range(256))
    random.Random(seed).shuffle(perm)
    base = bytes(perm)
    period = b"".join(base.translate(rot) for rot in _ROTATIONS)
    return (period * (size // len(period) + 1))[:size]


# ---- steps ------------------------------------------------------------------

class Step(NamedTuple):
    action: str                 # send, expect, read, shutdown, close
    what: str                   # e.g. "request", "record", "eof | response"
    options: Dict[str, str]     # key=value words after `what`
    words: Tuple[str, ...]      # the other words after `what`
    line: int


class Outcome(NamedTuple):
    """One alternative of an `expect:` step."""
    kind: str                   # response, end_request, record, values, eof, drain
    options: Dict[str, str]
    words: Tuple[str, ...]


SEND_KINDS = {"request", "begin", "params", "stdin", "data", "record", "bytes", "pattern",
              "get_values"}
OUTCOME_KINDS = {"response", "end_request", "record", "values", "eof", "drain"}


def _split_words(text: str) -> Tuple[str, Dict[str, str], Tuple[str, ...]]:
    words = text.split()
    if not words:
        return "", {}, ()
    options, rest = {}, []
    for w in words[1:]:
        key, eq, value = w.partition("=")
        if eq and re.fullmatch(r"[a-z_]+", key):
            options[key] = value
        else:
            rest.append(w)
    return words[0], options, tuple(rest)


def parse_outcomes(text: str) -> List[Outcome]:
    outcomes = []
    for alternative in text.split("|"):
        kind, options, words = _split_words(alternative)
        if kind not in OUTCOME_KINDS:
            raise ValueError(f"unknown outcome {kind!r} (one of {', '.join(sorted(OUTCOME_KINDS))})")
        outcomes.append(Outcome(kind, options, words))
    return outcomes


def record_type(text: str) -> int:
    return RECORD_TYPES[text] if text in RECORD_TYPES else int(text, 0)


def protocol_status(text: str) -> int:
    return PROTOCOL_STATUSES[text] if text in PROTOCOL_STATUSES else int(text, 0)


# ---- cases ------------------------------------------------------------------

class Case(NamedTuple):
    name: str
    path: str
    description: str
    params: Tuple[Tuple[str, str, int], ...]     # (raw name, raw value, count or -1)
    long_lengths: bool
    params_chunk: int
    stdin: Optional[str]
    stdin_pattern: int
    data: Optional[str]
    data_pattern: int
    stdin_chunk: int
    role: int
    request_id: int
    keep_conn: bool
    repeat: int
    connections: int
    pattern_seed: int
    steps: Tuple[Step, ...]
    known_failure: str
    limit: str

    @property
    def scripted(self) -> bool:
        return bool(self.steps)

    def request(self, conn: int = 0, req: int = 0) -> Request:
        """The request to send as request number req on connection conn."""
        subst = {"conn": str(conn), "req": str(req)}
        flags = NV_LONG_NAME | NV_LONG_VALUE if self.long_lengths else 0
        params = []
        for name, value, count in self.params:
            if count < 0:
                params.append(Param(decode(name, subst), decode(value, subst), flags))
                continue
            width = len(str(max(count - 1, 0)))
            for i in range(count):
                s = dict(subst, i=str(i).zfill(width))
                params.append(Param(decode(name, s), decode(value, s), flags))
        seed = self.pattern_seed + conn * self.repeat + req
        stdin = (pattern(self.stdin_pattern, seed) if self.stdin_pattern
                 else decode(self.stdin or "", subst))
        data = (pattern(self.data_pattern, seed + 1_000_000) if self.data_pattern
                else None if self.data is None else decode(self.data, subst))
        return Request(id=self.request_id, role=self.role, keep_conn=self.keep_conn,
                       params=tuple(params), stdin=stdin, data=data,
                       params_chunk=self.params_chunk, stdin_chunk=self.stdin_chunk)


_INT_KEYS = {"params_chunk": (1, 65535), "stdin_chunk": (1, 65535), "request_id": (1, 65535),
             "repeat": (1, 100000), "connections": (1, 1000), "stdin_pattern": (0, 1 << 30),
             "data_pattern": (0, 1 << 30), "pattern_seed": (0, 1 << 30)}
_BOOL = {"yes": True, "no": False}
_SAMPLE = {"conn": "0", "req": "0"}  # to check values while loading


def role_number(text: str) -> int:
    if text.upper() in ROLES:
        return ROLES[text.upper()]
    value = int(text, 0)
    if not 0 <= value <= 65535:
        raise ValueError("a role is 0..65535")
    return value


def _check_step(step: Step) -> None:
    if step.action == "send":
        if step.what not in SEND_KINDS:
            raise ValueError(f"unknown send {step.what!r} (one of {', '.join(sorted(SEND_KINDS))})")
        if step.what == "record":
            record_type(step.options.get("type", ""))
            decode(step.options.get("content", ""))
        if step.what == "bytes":
            decode(" ".join(step.words))
    elif step.action == "expect":
        for outcome in parse_outcomes(step.what):
            if outcome.kind == "record":
                record_type(outcome.options.get("type", ""))
                decode(outcome.options.get("content", ""))
            if outcome.kind == "end_request" and outcome.words:
                protocol_status(outcome.words[0])
    elif step.action == "shutdown":
        if step.what != "write":
            raise ValueError("shutdown: write")
    elif step.action == "close":
        if step.what not in ("normal", "reset"):
            raise ValueError("close: normal | reset")
    elif step.action == "read":
        int(step.what)


def load(path: str) -> Case:
    name = os.path.splitext(os.path.basename(path))[0]
    fields: Dict[str, object] = {
        "description": "", "long_lengths": False, "params_chunk": 0, "stdin": None,
        "stdin_pattern": 0, "data": None, "data_pattern": 0, "stdin_chunk": 0, "role": 1,
        "request_id": 1, "keep_conn": False, "repeat": 1, "connections": 1,
        "pattern_seed": 1, "known_failure": "", "limit": ""}
    params: List[Tuple[str, str, int]] = []
    steps: List[Step] = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\n").rstrip()
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            key, colon, value = line.partition(":")
            key, value = key.strip(), value.strip()
            try:
                if not colon:
                    raise ValueError("expected `key: value`")
                if key == "param":
                    pname, eq, pvalue = value.partition("=")
                    if not eq:
                        raise ValueError("param: NAME=VALUE")
                    decode(pname, _SAMPLE)
                    decode(pvalue, _SAMPLE)
                    params.append((pname, pvalue, -1))
                elif key == "param_series":
                    count, _, pair = value.partition(" ")
                    pname, eq, pvalue = pair.strip().partition("=")
                    if not eq or not count.isdigit():
                        raise ValueError("param_series: COUNT NAME=VALUE")
                    decode(pname, dict(_SAMPLE, i="0"))
                    decode(pvalue, dict(_SAMPLE, i="0"))
                    params.append((pname, pvalue, int(count)))
                elif key in ("send", "expect", "read", "shutdown", "close"):
                    what, options, words = _split_words(value)
                    if key == "expect":
                        what, options, words = value, {}, ()
                    step = Step(key, what, options, words, number)
                    _check_step(step)
                    steps.append(step)
                elif key in _INT_KEYS:
                    low, high = _INT_KEYS[key]
                    number_value = int(value)
                    if not low <= number_value <= high:
                        raise ValueError(f"{key} is {low}..{high}")
                    fields[key] = number_value
                elif key in ("keep_conn",):
                    fields[key] = _BOOL[value]
                elif key == "nv_lengths":
                    if value not in ("1", "4", "shortest"):
                        raise ValueError("nv_lengths: 4 | shortest")
                    fields["long_lengths"] = value == "4"
                elif key == "role":
                    fields["role"] = role_number(value)
                elif key in ("stdin", "data"):
                    decode(value, _SAMPLE)
                    fields[key] = value
                elif key in ("description", "known_failure", "limit"):
                    fields[key] = (str(fields[key]) + " " + value).strip()
                else:
                    raise ValueError(f"unknown key {key!r}")
            except (ValueError, KeyError) as e:
                raise CaseError(f"{path}:{number}: {e}") from None
    if not fields["description"]:
        raise CaseError(f"{path}: no description")
    if steps and (fields["repeat"] != 1 or fields["connections"] != 1):
        raise CaseError(f"{path}: a scripted case (send:/expect:) runs once on one connection")
    if fields["stdin"] is not None and fields["stdin_pattern"]:
        raise CaseError(f"{path}: stdin and stdin_pattern exclude each other")
    return Case(name=name, path=path, params=tuple(params), steps=tuple(steps), **fields)


def load_all(directory: str) -> List[Case]:
    return [load(os.path.join(directory, f))
            for f in sorted(os.listdir(directory)) if f.endswith(".case")]


def begin_flags(case: Case) -> int:
    return KEEP_CONN if case.keep_conn else 0
