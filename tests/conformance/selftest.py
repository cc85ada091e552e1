#!/usr/bin/python3
"""selftest.py — the conformance driver catches what it is there to catch.

    selftest.py --build-dir BUILD [--client-lib LIB]

Runs driver.py against mutant_echo.py, an echo app with one deliberate
defect each time, and demands that the driver fails on the case named for
it; the same app without a mutation must pass those cases. Also: answers
that the contract allows but C does not give (no Status line for 200) pass
per language and fail --cross-language; a known_failure case that passes
fails the run; a missing echo app and a broken case file fail clearly.
"""
import argparse
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.join(HERE, "cases")

# mutation -> the case that must expose it
MUTATIONS = {
    "escape-lowercase": "params_binary",
    "unsorted": "method_get",
    "leak-environment": "method_get",
    "leak-previous-params": "keepconn_100",
    "stop-at-content-length": "body_ignores_content_length",
    "last-status-wins": "query_status_first_wins",
    "always-200": "query_status_404",
    "wrong-digest-large-body": "body_1mib",
    "no-stderr": "query_stderr",
    "stderr-two-newlines": "query_stderr",
    "crash-on-aborted-body": "abort_in_body",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--client-lib")
    parser.add_argument("--python", default="/usr/bin/python3")
    args = parser.parse_args()
    failures = []
    with tempfile.TemporaryDirectory(prefix="ffcgi-selftest-") as tmp:
        apps = os.path.join(tmp, "apps.conf")
        with open(apps, "w") as f:
            f.write("c = {build}/examples/echo\n")
            f.write("missing = {python} {source}/examples/no_such_echo_app.py\n")
            for mutation in list(MUTATIONS) + ["none", "exit-nonzero", "no-status-line-for-200"]:
                f.write(f"mutant-{mutation} = {{python}} {{source}}/tests/conformance/"
                        f"mutant_echo.py --mutation {mutation}\n")

        def driver(*extra, cases=CASES):
            command = [sys.executable, os.path.join(HERE, "driver.py"), "--build-dir",
                       args.build_dir, "--python", args.python, "--apps", apps, "--cases", cases,
                       "--request-timeout", "20"] + (["--client-lib", args.client_lib]
                                                     if args.client_lib else []) + list(extra)
            run = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 timeout=240)
            return run.returncode, run.stdout.decode(errors="replace")

        def expect(what, result, code, *texts):
            rc, out = result
            missing = [t for t in texts if t not in out]
            if rc != code or missing:
                failures.append(what)
                print(f"FAIL {what}: exit {rc} (expected {code}), missing {missing}\n"
                      + "\n".join("    | " + line for line in out.splitlines()[-25:]))
            else:
                print(f"ok   {what}")

        catching = sorted(set(MUTATIONS.values()))
        expect("the unmutated app passes the cases that catch the mutations",
               driver("--language", "mutant-none", *[a for c in catching for a in ("--case", c)]),
               0, "0 failed")
        for mutation, case in MUTATIONS.items():
            expect(f"{case} catches {mutation}",
                   driver("--language", f"mutant-{mutation}", "--case", case),
                   1, f"FAIL mutant-{mutation} {case}")
        expect("a non-zero exit on SIGTERM fails",
               driver("--language", "mutant-exit-nonzero", "--case", "method_get"),
               1, "FAIL mutant-exit-nonzero: on SIGTERM the app exited with status 4")
        expect("an answer the contract allows passes per language but fails --cross-language",
               driver("--cross-language", "--language", "c", "--language",
                      "mutant-no-status-line-for-200", "--case", "method_get"),
               1, "ok   c method_get", "ok   mutant-no-status-line-for-200 method_get",
               "FAIL method_get: answers differ between languages")
        expect("a missing echo app fails by name",
               driver("--language", "missing", "--case", "method_get"),
               1, "examples/no_such_echo_app.py does not exist")

        marked = os.path.join(tmp, "marked")
        os.mkdir(marked)
        with open(os.path.join(CASES, "method_get.case")) as src, \
                open(os.path.join(marked, "passes.case"), "w") as dst:
            dst.write(src.read() + "known_failure: marked, yet it passes\n")
        expect("a known_failure case that passes fails the run",
               driver("--language", "mutant-none", cases=marked),
               1, "but it passes now: remove the marker")
        with open(os.path.join(marked, "broken.case"), "w") as f:
            f.write("description: a typo\nparam REQUEST_METHOD=GET\n")
        expect("a broken case file fails with its line",
               driver("--language", "mutant-none", cases=marked),
               1, "broken.case:2: expected `key: value`")
    print(f"== selftest: {len(failures)} failed" + (": " + "; ".join(failures) if failures else ""))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
