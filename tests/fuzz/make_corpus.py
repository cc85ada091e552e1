#!/usr/bin/python3
"""Writes the seed corpus of fuzz_connection into tests/fuzz/corpus/: one
file per connection's worth of bytes, valid and malformed. Rerun after
changing a seed: /usr/bin/python3 tests/fuzz/make_corpus.py"""
import struct
from pathlib import Path

OUT = Path(__file__).resolve().parent / "corpus"


def record(rtype, rid, content=b"", padding=0):
    return struct.pack(">BBHHBB", 1, rtype, rid, len(content), padding, 0) + content + b"\0" * padding


def begin(rid=1, role=1, keep=0, padding=0):
    return record(1, rid, struct.pack(">HB5x", role, keep), padding)


def nv(name, value, long_lengths=False):
    def length(n):
        return struct.pack(">I", n | 0x80000000) if long_lengths or n > 127 else bytes([n])
    return length(len(name)) + length(len(value)) + name + value


def params(rid, pairs, chunk=65535, end_padding=0):
    stream = b"".join(nv(n, v) for n, v in pairs)
    out = b"".join(record(4, rid, stream[i:i + chunk]) for i in range(0, len(stream), chunk))
    return out + record(4, rid, b"", end_padding)


def stdin(rid, body, chunk=65535, rtype=5):
    out = b"".join(record(rtype, rid, body[i:i + chunk]) for i in range(0, len(body), chunk))
    return out + record(rtype, rid)


GET = [(b"REQUEST_METHOD", b"GET"), (b"QUERY_STRING", b"a=1&status=404"), (b"SCRIPT_NAME", b"/x")]
POST = [(b"REQUEST_METHOD", b"POST"), (b"CONTENT_LENGTH", b"11"), (b"QUERY_STRING", b"stderr=x")]

SEEDS = {
    "get": begin() + params(1, GET) + stdin(1, b""),
    "post": begin() + params(1, POST) + stdin(1, b"hello world", chunk=3),
    "keep_conn_two": begin(1, keep=1) + params(1, GET) + stdin(1, b"")
                     + begin(2, keep=1) + params(2, POST) + stdin(2, b"hello world"),
    "params_split": begin() + params(1, GET + [(b"X" * 200, b"y" * 300)], chunk=7) + stdin(1, b""),
    "long_lengths": begin() + record(4, 1, nv(b"A", b"b", long_lengths=True)) + record(4, 1) + stdin(1, b""),
    "filter": begin(role=3) + params(1, GET) + stdin(1, b"body") + stdin(1, b"data!", rtype=8),
    "authorizer": begin(role=2) + params(1, GET) + stdin(1, b""),
    "unknown_role": begin(role=9, keep=1) + begin(2) + params(2, GET) + stdin(2, b""),
    "begin_padding": begin(padding=5) + params(1, GET) + stdin(1, b""),
    "params_end_padding": begin() + params(1, POST, end_padding=7) + stdin(1, b"hello world"),
    "get_values": record(9, 0, nv(b"FCGI_MAX_CONNS", b"") * 40) + begin() + params(1, GET) + stdin(1, b""),
    "unknown_type": begin() + params(1, POST) + record(5, 1, b"hello") + record(42, 0, b"LEAK", 4)
                    + record(5, 1, b" world") + record(5, 1),
    "abort": begin() + params(1, POST) + record(5, 1, b"hel") + record(2, 1),
    "second_begin": begin() + params(1, GET) + begin(2) + stdin(1, b""),
    "huge_length": begin() + record(4, 1, struct.pack(">II", 0xfffffffe, 0x80000001) + b"xy") + record(4, 1)
                   + stdin(1, b""),
    "bad_version": b"\x02" + begin()[1:] + params(1, GET),
    "truncated": (begin() + params(1, GET) + stdin(1, b"abc"))[:-5],
    "garbage": bytes(range(256)) * 4,
    # ffcgi_respond ('r'), with a reason ('n') and a flush ('f'); then a head it refuses
    "respond": begin(1, keep=1) + params(1, [(b"QUERY_STRING", b"r=1&n=Fine&f")]) + stdin(1, b"")
               + begin(2) + params(2, [(b"QUERY_STRING", b"r=\x01\x7f")]) + stdin(2, b"hi"),
}


def main():
    OUT.mkdir(exist_ok=True)
    for name, data in SEEDS.items():
        (OUT / name).write_bytes(data)
    print(f"wrote {len(SEEDS)} seeds to {OUT}")


if __name__ == "__main__":
    main()
