#!/usr/bin/python3
"""smoke.py — the CTest smoke test of the benchmark tools: starts one app
(benchlib.app_command names them) on a unix socket in a temporary directory
and runs ffcgi-loadgen against it in every mode the benchmark uses — c=1
keep-conn, c=1 and c=4 with a new connection per request, c=2 keep-conn
where the app serves two connections at once, and for a body app a 1 MiB
upload and download — a few hundred checked requests each. It demands zero
errors and the requested number of responses; there is no timing assertion.
    smoke.py --build-dir BUILD --app APP"""
import argparse
import os
import sys
import time

import benchlib

REQUESTS = 200
MUST_FAIL = "a wrong download size is reported as an error"


def modes(app: str, threads: int):
    """(description, load generator arguments) of each run."""
    if app.endswith("_body"):
        return [("1 MiB upload and download, c=2 keep-conn",
                 ["--connections", "2", "--keep-conn", "--body", "1048576",
                  "--download", "1048576", "--requests", "20"]),
                ("empty body, new connections",
                 ["--connections", "1", "--body", "0", "--download", "0", "--requests", "50"])]
    runs = [("c=1 keep-conn", ["--connections", "1", "--keep-conn"]),
            ("c=1 new-conn", ["--connections", "1"]),
            ("c=4 new-conn", ["--connections", "4"]),
            ("c=1 keep-conn, 300 params", ["--connections", "1", "--keep-conn", "--params", "300"])]
    if threads >= 2:
        runs.append(("c=2 keep-conn", ["--connections", "2", "--keep-conn"]))
    runs = [(what, args + ["--requests", str(REQUESTS)]) for what, args in runs]
    # The checks can fail: a hello body is not the 3-byte download asked for.
    runs.append((MUST_FAIL, ["--connections", "1", "--download", "3", "--requests", "5"]))
    return runs


def access_log_lines(path: str, wanted: int) -> int:
    """The lines in the access log once there are `wanted` (the library
    writes its batches of lines within a quarter second), or after 10 s."""
    deadline = time.monotonic() + 10
    while True:
        with open(path) as log:
            lines = sum(1 for _ in log)
        if lines >= wanted or time.monotonic() > deadline:
            return lines
        time.sleep(0.02)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--app", required=True)
    args = parser.parse_args()
    threads = 1 if args.app in ("raw", "raw_body") else 2
    failures = 0
    answered = 0
    with benchlib.App(args.app, args.build_dir, threads=threads) as app:
        for what, lg_args in modes(args.app, threads):
            result = benchlib.loadgen(args.build_dir, app,
                                      ["--warmup", "0", "--duration", "60", "--timeout-ms", "20000"]
                                      + lg_args, timeout=120)
            wanted = int(lg_args[lg_args.index("--requests") + 1])
            if what == MUST_FAIL:
                ok = result["exit"] == 1 and result["errors"] > 0 and "first error: a body of" in result["output"]
            else:
                ok = result["exit"] == 0 and result["errors"] == 0 and result["requests"] >= wanted
            print(f"{'ok' if ok else 'FAILED'}: {args.app}, {what}: {int(result['requests'])} "
                  f"responses, {int(result['errors'])} errors, "
                  f"{int(result['reconnects'])} reconnects")
            answered += int(result["requests"])
            if ok and args.app == "c_logged":  # an access-log line for every response so far
                lines = access_log_lines(os.path.join(app.dir, "access.log"), answered)
                ok = lines >= answered
                print(f"{lines} access-log lines for {answered} responses")
            if not ok:
                failures += 1
                print(result["output"])
                print(app.log_text())
            sys.stdout.flush()
    print(f"{len(modes(args.app, threads)) - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
