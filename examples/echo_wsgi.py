#!/usr/bin/python3
"""echo_wsgi.py — the echo contract (tests/conformance/ECHO_CONTRACT.md) as a WSGI app.
    build/devenv /usr/bin/python3 examples/echo_wsgi.py --socket /tmp/echo.sock [--threads N]
    build/devenv /usr/bin/python3 -m ffcgi.wsgi examples/echo_wsgi.py --socket /tmp/echo.sock

Its answer is byte-identical to build/examples/echo's. The contract wants
the params and FCGI_STDIN exactly as received, so under ffcgi.wsgi it reads
the server's extensions ffcgi.params and ffcgi.stdin (all of FCGI_STDIN,
whatever CONTENT_LENGTH says; wsgi.input stops at CONTENT_LENGTH) instead of
the PEP 3333 view (the environ's CGI variables, wsgi.input), which it falls
back to under other servers."""
import hashlib
import sys
from typing import Any, Callable, Dict, Iterable, List, Sequence, Tuple

from echo import esc, query_value  # examples/echo.py: the same escaping and query rules


def params_of(environ: Dict[str, Any]) -> Sequence[Tuple[bytes, bytes]]:
    """The request's params as bytes. Under ffcgi.wsgi, ``ffcgi.params`` has
    them exactly as received (the environ also holds PEP 3333's defaults and
    its SCRIPT_NAME/PATH_INFO split). Under another server, its CGI variables:
    native strings that give back the original bytes when encoded as latin-1."""
    params = environ.get("ffcgi.params")
    if params is None:
        params = [(name.encode("latin-1"), value.encode("latin-1"))
                  for name, value in environ.items() if "." not in name and isinstance(value, str)]
    return params


def application(environ: Dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    params = params_of(environ)
    env: Dict[bytes, bytes] = {}
    for name, value in params:
        env.setdefault(name, value)
    query = env.get(b"QUERY_STRING", b"")
    message = query_value(query, b"stderr")
    if message:
        environ["wsgi.errors"].write(message.decode("latin-1") + "\n")
    digest, count = hashlib.sha256(), 0
    stream = environ.get("ffcgi.stdin", environ["wsgi.input"])
    while chunk := stream.read(65536):
        digest.update(chunk)
        count += len(chunk)
    status = query_value(query, b"status")
    code = int(status) if len(status) == 3 and status.isdigit() and 100 <= int(status) <= 599 else 200
    lines: List[str] = sorted(f"{esc(name)}={esc(value)}\n" for name, value in params)
    body = (f"method={esc(env.get(b'REQUEST_METHOD', b''))}\nquery={esc(query)}\n"
            f"stdin_bytes={count}\nstdin_sha256={digest.hexdigest()}\n"
            f"param_count={len(lines)}\n" + "".join(lines) + "end\n").encode("ascii")
    # An empty reason phrase: the server sends the standard one, as the C echo does.
    start_response(f"{code} ", [("Content-Type", "text/plain")])
    return [body]


if __name__ == "__main__":
    import ffcgi.wsgi

    sys.exit(ffcgi.wsgi.run(application, description=__doc__.splitlines()[0]))
