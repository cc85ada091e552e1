"""Requests for the echo contract (tests/conformance/ECHO_CONTRACT.md): every
echo app written on ffcgi must answer each of them byte for byte as the C
echo (build/examples/echo) does.

    directory = ...                    # a temporary directory (conftest: echo_workdir)
    prepare(directory)                 # writes the files some cases send
    with running({"c": ([c_echo], f"{directory}/c.sock"), ...}) as echoes:
        client.request(echoes["c"], **options("1000 params", directory))
"""
import contextlib
import os
from typing import Any, Dict, Iterator, List, Tuple

from fcgi_client import wait_for_listener
from support import Processes

MIB = 1 << 20
NAME_BYTES = bytes(b for b in range(1, 256) if b != ord("="))  # libfcgi splits at "="

# Each case: keyword arguments of fcgi_client.CClient.request; "{dir}" in a
# value is the prepared directory.
CASES: Dict[str, Dict[str, Any]] = {
    "contract example": dict(method="GET", query="a=1"),
    "no params at all": dict(),
    "post with everything": dict(params=[
        ("REQUEST_METHOD", "POST"), ("QUERY_STRING", "status=404&stderr=oops&status=500"),
        ("HTTP_X_NAME", b"caf\xc3\xa9 50% a=b\t"), ("EMPTY", ""), ("a_lower", "z")],
        stdin=b"hello", stdin_chunk=2),
    "every byte in names and values": dict(method="PUT", params=[
        (b"HTTP_X_" + NAME_BYTES, bytes(range(1, 256))), (b"\xff", b"\x80"), ("Z", "=")]),
    "1000 params in 7-byte records": dict(param_file="{dir}/params", params_chunk=7),
    "a body past CONTENT_LENGTH": dict(params=[("CONTENT_LENGTH", "3")],
                                       stdin=b"read to the end of FCGI_STDIN"),
    "one byte": dict(method="POST", stdin=b"\x00"),
    "64 KiB - 1": dict(method="POST", stdin_random=65535, seed=4),
    "64 KiB": dict(method="POST", stdin_random=65536, seed=5, stdin_chunk=1000),
    "64 KiB + 1": dict(method="POST", stdin_random=65537, seed=6),
    "1 MiB in odd records": dict(method="POST", stdin_random=MIB, seed=7, stdin_chunk=4093),
    "kept-open connection": dict(query="k=1", keep_conn=True, repeat=3, stdin_random=5000),
    "authorizer role": dict(role="authorizer", query="a=b"),
    "filter role": dict(role="filter", stdin=b"body", data_file="{dir}/data"),
    "stderr text": dict(query="stderr=hello-from.the_echo&x=1"),
    "first status wins": dict(query="status=201&status=404"),
}
for _code in ("100", "204", "299", "404", "599", "600", "099", "abc", "2000"):
    CASES[f"status={_code}"] = dict(query=f"stderr=status-{_code}&status={_code}")


def prepare(directory: str) -> None:
    """Writes the files the cases send: 1000 params and FILTER data."""
    with open(os.path.join(directory, "params"), "wb") as f:
        for i in range(1000):
            f.write(b"PARAM_%04d=%s\n" % (i, b"v%=\xc3\xa9" * (i % 50)))
    with open(os.path.join(directory, "data"), "wb") as f:
        f.write(bytes(range(256)) * 100)


def options(case: str, directory: str) -> Dict[str, Any]:
    """The keyword arguments of ``case`` with "{dir}" filled in."""
    return {key: value.replace("{dir}", directory) if isinstance(value, str) else value
            for key, value in CASES[case].items()}


def answer(response) -> Tuple[bytes, bytes, int, int]:
    """What must be identical: stdout, stderr and both END_REQUEST fields."""
    return (response.stdout, response.stderr, response.app_status, response.protocol_status)


@contextlib.contextmanager
def running(commands: Dict[str, Tuple[List[str], str]]) -> Iterator[Dict[str, str]]:
    """Starts each echo app, name -> (argv, address), as ``argv --socket
    ADDRESS --threads 4`` and waits until it listens; yields name -> address.
    At the end each must exit 0 on SIGTERM and leave no unix socket behind;
    every process is stopped in any case."""
    group = Processes()
    try:
        for argv, address in commands.values():
            wait_for_listener(address, group.start(argv + ["--socket", address,
                                                           "--threads", "4"]))
        yield {name: address for name, (_, address) in commands.items()}
        for process in group.started:
            assert group.stop(process) == 0, f"{process.args} did not exit 0 on SIGTERM"
        for _, address in commands.values():
            assert not os.path.exists(address), f"{address} was left behind"
    finally:
        group.stop_all()
