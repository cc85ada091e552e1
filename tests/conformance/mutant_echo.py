#!/usr/bin/python3
"""mutant_echo.py — an echo app with one deliberate defect, for selftest.py.

    build/devenv /usr/bin/python3 tests/conformance/mutant_echo.py --mutation NAME
        --socket ADDRESS [--threads N]

It answers with contract.answer() — the driver's own model, so that with
--mutation none it conforms — then breaks that answer as NAME says. The
self-test demands that the driver notices every mutation.
"""
import argparse
import hashlib
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import contract  # noqa: E402
import ffcgi  # noqa: E402  (the Python binding, through build/devenv)

previous_params = []  # for leak-previous-params


def body_of(request, limit=None):
    chunks = []
    while chunk := request.read(65536):
        chunks.append(chunk)
    data = b"".join(chunks)
    return data if limit is None else data[:limit]


def echo(request, mutation):
    params = list(request.params)
    env = dict(reversed(params))
    length = env.get(b"CONTENT_LENGTH", b"")
    stdin = body_of(request, int(length) if mutation == "stop-at-content-length" and
                    length.isdigit() else None)
    if mutation == "leak-environment":
        params.append((b"HTTP_CONFORMANCE_CANARY",
                       os.environ.get("HTTP_CONFORMANCE_CANARY", "").encode()))
    if mutation == "leak-previous-params":
        params += previous_params[-1:]
        previous_params[:] = [p for p in params if p[0].startswith(b"HTTP_X_ONLY")]
    want = contract.answer(params, stdin)
    status, body, stderr = want.status, want.body, want.stderr
    if mutation == "escape-lowercase":
        body = re.sub(rb"%[0-9A-F]{2}", lambda m: m.group(0).lower(), body)
    elif mutation == "unsorted":
        head, _, rest = body.partition(b"param_count=")
        lines = rest.split(b"\n")
        body = head + b"param_count=" + b"\n".join([lines[0]] + lines[1:-2][::-1] + lines[-2:])
    elif mutation == "last-status-wins":
        codes = re.findall(rb"(?:^|&)status=([0-9]{3})(?:&|$)", env.get(b"QUERY_STRING", b""))
        status = int(codes[-1]) if codes and 100 <= int(codes[-1]) <= 599 else 200
    elif mutation == "wrong-digest-large-body" and len(stdin) > 65536:
        body = body.replace(hashlib.sha256(stdin).hexdigest().encode(),
                            hashlib.sha256(stdin[:65536]).hexdigest().encode())
    if mutation == "no-stderr":
        stderr = b""
    elif mutation == "stderr-two-newlines" and stderr:
        stderr += b"\n\n"
    if stderr:
        request.stderr(stderr)
    if mutation == "no-status-line-for-200" and status == 200:
        request.write(b"Content-Type: text/plain\r\n\r\n")  # allowed, but not C's bytes
    else:
        request.status(200 if mutation == "always-200" else status)
        request.header("Content-Type", "text/plain")
    request.write(body)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--mutation", required=True)
    parser.add_argument("--socket", required=True)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    if args.mutation == "crash-on-aborted-body":
        def handle(request):
            try:
                echo(request, "none")
            except ffcgi.Error:
                os._exit(3)
    else:
        def handle(request):
            echo(request, args.mutation)
    ffcgi.serve(handle, args.socket, threads=args.threads)
    return 4 if args.mutation == "exit-nonzero" else 0


if __name__ == "__main__":
    sys.exit(main())
