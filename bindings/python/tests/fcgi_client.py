"""FastCGI clients for the tests: the web-server side of the protocol.

CClient runs the project's C test client (tests/client, `fcgi-client`) and
parses its ``--output all`` summary: the tests use it for every ordinary
request. The small pure-Python part below (record encoding, RawConnection)
exists for what a command line cannot do: malformed records, a request
whose body is sent only when the test says so, reading the response while
the app is still working.
"""
import socket
import struct
import subprocess
import threading
import time
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Union

Text = Union[str, bytes]

# Record types and roles (FastCGI 1.0, section 8).
BEGIN_REQUEST, ABORT_REQUEST, END_REQUEST, PARAMS, STDIN, STDOUT, STDERR, DATA = range(1, 9)
GET_VALUES, GET_VALUES_RESULT, UNKNOWN_TYPE = 9, 10, 11
RESPONDER, AUTHORIZER, FILTER = 1, 2, 3
REQUEST_COMPLETE, CANT_MPX_CONN, OVERLOADED, UNKNOWN_ROLE = range(4)
KEEP_CONN = 1


def _bytes(text: Text) -> bytes:
    return text.encode() if isinstance(text, str) else text


@dataclass
class Response:
    """One FastCGI response: stdout/stderr bytes and the END_REQUEST fields."""
    stdout: bytes = b""
    stderr: bytes = b""
    app_status: Optional[int] = None
    protocol_status: Optional[int] = None
    records: List[Tuple[int, int, bytes]] = field(default_factory=list)

    @property
    def head(self) -> bytes:
        """The CGI header block (without the empty line)."""
        return self.stdout.partition(b"\r\n\r\n")[0]

    @property
    def body(self) -> bytes:
        head, sep, body = self.stdout.partition(b"\r\n\r\n")
        assert sep, f"no end of the CGI header block in {self.stdout[:200]!r}"
        return body

    @property
    def header_lines(self) -> List[Tuple[bytes, bytes]]:
        """(name, value) of every header line, in order (Status included)."""
        lines = []
        for line in self.head.split(b"\r\n"):
            name, _, value = line.partition(b": ")
            lines.append((name, value))
        return lines

    def headers(self, name: Text) -> List[bytes]:
        """Every value of header ``name`` (case-insensitive), in order."""
        wanted = _bytes(name).lower()
        return [value for key, value in self.header_lines if key.lower() == wanted]

    @property
    def status_line(self) -> Optional[bytes]:
        values = self.headers("Status")
        return values[0] if values else None


def parse_summary(out: bytes) -> Response:
    """Parses fcgi-client's ``--output all`` text."""
    fields: Dict[str, int] = {}
    rest = out
    for _ in range(4):
        line, _, rest = rest.partition(b"\n")
        key, _, value = line.decode().partition("=")
        fields[key] = int(value)
    marker = b"--stdout--\n"
    assert rest.startswith(marker), f"unexpected fcgi-client output {out[:200]!r}"
    rest = rest[len(marker):]
    stdout, rest = rest[:fields["stdout_bytes"]], rest[fields["stdout_bytes"]:]
    marker = b"\n--stderr--\n"
    assert rest.startswith(marker), f"unexpected fcgi-client output {out[:200]!r}"
    stderr = rest[len(marker):len(marker) + fields["stderr_bytes"]]
    return Response(stdout=stdout, stderr=stderr, app_status=fields["app_status"],
                    protocol_status=fields["protocol_status"])


class ClientError(AssertionError):
    """fcgi-client failed (connection, protocol, timeout or usage)."""


class Pending:
    """A running fcgi-client; result() waits (bounded) and parses. A body
    given as bytes is fed to its standard input at once, on a thread (the
    client reads it whole before it connects)."""

    def __init__(self, argv: List[bytes], stdin: Optional[bytes], timeout: float) -> None:
        self.argv = argv
        self.timeout = timeout
        self.process = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin is not None
                                        else subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._feeder = None
        if stdin is not None:
            self._feeder = threading.Thread(target=self._feed, args=(stdin,), daemon=True)
            self._feeder.start()

    def _feed(self, data: bytes) -> None:
        try:
            self.process.stdin.write(data)
            self.process.stdin.close()
        except BrokenPipeError:
            pass  # the client failed; result() reports it

    def exited(self) -> bool:
        return self.process.poll() is not None

    def result(self) -> Response:
        if self._feeder is not None:
            self._feeder.join(self.timeout)
            self.process.stdin = None  # closed by the feeder
        try:
            out, err = self.process.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
            raise ClientError(f"fcgi-client did not finish within {self.timeout} s: "
                              f"{self.argv!r}") from None
        if self.process.returncode != 0:
            raise ClientError(f"fcgi-client exited {self.process.returncode}: "
                              f"{err.decode(errors='replace')}")
        return parse_summary(out)


class CClient:
    """Runs build/tests/client/fcgi-client (see tests/client/README.md)."""

    def __init__(self, path: str, timeout: float = 60.0) -> None:
        self.path = path
        self.timeout = timeout

    def argv(self, address: Text, *, params: Iterable[Tuple[Text, Text]] = (),
             method: Optional[Text] = None, query: Optional[Text] = None,
             stdin: Optional[bytes] = None, stdin_file: Optional[str] = None,
             stdin_random: Optional[int] = None, seed: int = 1,
             save_stdin: Optional[str] = None, stdin_chunk: Optional[int] = None,
             params_chunk: Optional[int] = None, param_file: Optional[str] = None,
             role: Optional[Text] = None, data_file: Optional[str] = None,
             keep_conn: bool = False, repeat: Optional[int] = None,
             output: str = "all", timeout_ms: Optional[int] = None) -> List[bytes]:
        argv = [self.path.encode(), b"--socket", _bytes(address), b"--output", output.encode()]
        if method is not None:
            argv += [b"--method", _bytes(method)]
        if query is not None:
            argv += [b"--query", _bytes(query)]
        for name, value in params:
            argv += [b"--param", _bytes(name) + b"=" + _bytes(value)]
        options = {"--param-file": param_file, "--stdin-file": stdin_file,
                   "--save-stdin": save_stdin, "--stdin-chunk": stdin_chunk,
                   "--params-chunk": params_chunk, "--role": role, "--data-file": data_file,
                   "--repeat": repeat, "--timeout": timeout_ms}
        if stdin is not None:
            options["--stdin-file"] = "-"
        if stdin_random is not None:
            options["--stdin-random"], options["--seed"] = stdin_random, seed
        for option, value in options.items():
            if value is not None:
                argv += [option.encode(), _bytes(value if isinstance(value, (str, bytes))
                                                 else str(value))]
        if keep_conn:
            argv.append(b"--keep-conn")
        return argv

    def start(self, address: Text, **options) -> Pending:
        """Starts one fcgi-client run in the background (see argv())."""
        return Pending(self.argv(address, **options), options.get("stdin"), self.timeout)

    def request(self, address: Text, **options) -> Response:
        """Runs fcgi-client and returns the (first) response."""
        return self.start(address, **options).result()


# -- the protocol by hand --------------------------------------------------------


def record(rtype: int, request_id: int, content: bytes = b"", padding: int = 0,
           version: int = 1) -> bytes:
    """One record: header, content, ``padding`` zero bytes."""
    return (struct.pack(">BBHHBx", version, rtype, request_id, len(content), padding)
            + content + b"\0" * padding)


def stream(rtype: int, request_id: int, data: bytes, chunk: int = 65535) -> bytes:
    """``data`` as records of at most ``chunk`` bytes, then the empty record."""
    out = [record(rtype, request_id, data[i:i + chunk]) for i in range(0, len(data), chunk)]
    return b"".join(out) + record(rtype, request_id)


def nv_length(n: int) -> bytes:
    return bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)


def name_values(pairs: Iterable[Tuple[Text, Text]]) -> bytes:
    out = []
    for name, value in pairs:
        name, value = _bytes(name), _bytes(value)
        out.append(nv_length(len(name)) + nv_length(len(value)) + name + value)
    return b"".join(out)


def begin(request_id: int = 1, role: int = RESPONDER, flags: int = 0) -> bytes:
    return record(BEGIN_REQUEST, request_id, struct.pack(">HB5x", role, flags))


def request_head(params: Sequence[Tuple[Text, Text]] = (), request_id: int = 1,
                 role: int = RESPONDER, keep_conn: bool = False) -> bytes:
    """BEGIN_REQUEST and the whole PARAMS stream: the app can accept it; the
    body (stream(STDIN, ...)) may follow whenever the test likes."""
    return (begin(request_id, role, KEEP_CONN if keep_conn else 0)
            + stream(PARAMS, request_id, name_values(params)))


def whole_request(params: Sequence[Tuple[Text, Text]] = (), body: bytes = b"",
                  request_id: int = 1, role: int = RESPONDER, keep_conn: bool = False) -> bytes:
    return request_head(params, request_id, role, keep_conn) + stream(STDIN, request_id, body)


class RawConnection:
    """A FastCGI connection driven byte by byte; every wait is bounded."""

    def __init__(self, address: str, timeout: float = 30.0) -> None:
        if address.startswith("/") or address.startswith("unix:"):
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(timeout)
            self.sock.connect(address[5:] if address.startswith("unix:") else address)
        else:
            host, _, port = address.rpartition(":")
            self.sock = socket.create_connection((host.strip("[]"), int(port)), timeout=timeout)
        self.timeout = timeout
        self._buffer = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _read_exactly(self, n: int, deadline: float) -> bytes:
        while len(self._buffer) < n:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError(f"connection closed with {len(self._buffer)} of {n} bytes")
            self._buffer += chunk
        data, self._buffer = self._buffer[:n], self._buffer[n:]
        return data

    def read_record(self, timeout: Optional[float] = None) -> Tuple[int, int, bytes]:
        """(type, request id, content) of the next record."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        _version, rtype, request_id, length, padding = struct.unpack(
            ">BBHHBx", self._read_exactly(8, deadline))
        content = self._read_exactly(length + padding, deadline)[:length]
        return rtype, request_id, content

    def read_response(self, request_id: int = 1, timeout: Optional[float] = None) -> Response:
        """Records up to END_REQUEST of ``request_id``, collected."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        response = Response()
        while True:
            rtype, rid, content = self.read_record(max(0.01, deadline - time.monotonic()))
            response.records.append((rtype, rid, content))
            if rid != request_id:
                continue
            if rtype == STDOUT:
                response.stdout += content
            elif rtype == STDERR:
                response.stderr += content
            elif rtype == END_REQUEST:
                response.app_status, response.protocol_status = struct.unpack(">IB3x", content)
                return response

    def closed_by_peer(self, timeout: float = 5.0) -> bool:
        """True if the peer closes the connection (EOF, or a reset when it
        left bytes unread) within ``timeout`` without sending anything."""
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(65536) == b""
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> "RawConnection":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def wait_for_listener(address: str, process: Optional[subprocess.Popen] = None,
                      timeout: float = 15.0) -> None:
    """Waits (bounded) until something accepts connections at ``address``;
    fails early if ``process`` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the app exited with status {process.returncode} "
                                 f"before listening on {address}")
        try:
            RawConnection(address, timeout=1.0).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on {address} after {timeout} s")


def free_port() -> int:
    """A 127.0.0.1 TCP port that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]

