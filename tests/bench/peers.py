"""peers.py — the parts of run_benchmarks that need more than the load
generator: nginx in front (driven by wrk, the app's CPU watched by
ffcgi-loadgen --connections 0) and the profile of the C hello against raw
libfcgi (strace -c: syscalls per request; valgrind --tool=callgrind:
instructions per request and where they go). Standard library only."""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from typing import Dict, List

import benchlib

NGINX_CONF = """worker_processes 1;
{user}error_log {dir}/error.log;
pid {dir}/nginx.pid;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    fastcgi_temp_path {dir}/fastcgi;
    proxy_temp_path {dir}/proxy;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    upstream app {{
        server unix:{socket};
        keepalive 8;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            include /etc/nginx/fastcgi_params;
            fastcgi_pass app;
            fastcgi_keep_conn {keep};
        }}
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(proc: subprocess.Popen, grace: float = 10) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(grace)


def start_nginx(app: benchlib.App, keep: bool, pin: str):
    workdir = tempfile.mkdtemp(prefix="ffcgi-bench-nginx-")
    port = free_port()
    conf = os.path.join(workdir, "nginx.conf")
    with open(conf, "w") as f:
        f.write(NGINX_CONF.format(dir=workdir, socket=app.socket, port=port,
                                  keep="on" if keep else "off",
                                  user="user root;\n" if os.geteuid() == 0 else ""))
    proc = subprocess.Popen(["taskset", "-c", pin, "nginx", "-p", workdir, "-c", conf,
                             "-g", "daemon off;"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                stop(proc)
                raise RuntimeError(f"nginx did not start ({workdir}/error.log)")
            time.sleep(0.05)
    return proc, port, workdir


def wrk_figures(output: str) -> Dict[str, float]:
    rps = re.search(r"Requests/sec:\s*([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    bad = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", output)
    sock = re.search(r"Socket errors:.*", output)
    if not rps or not total:
        raise RuntimeError(f"wrk printed no figures:\n{output}")
    return {"rps": float(rps.group(1)), "requests": float(total.group(1)),
            "errors": float(bad.group(1)) if bad else 0.0, "socket_errors": sock.group(0) if sock else ""}


def nginx_wrk(bench, pin: str) -> Dict:
    """raw libfcgi and ffcgi C behind nginx, wrk -c1, everything pinned on
    one CPU: the app's CPU µs per request, with nginx's default (a new
    connection per request) and with fastcgi_keep_conn on."""
    results: Dict = {}
    watch = bench.duration
    for rnd in range(bench.rounds):
        for key, app_name in (("raw", "raw"), ("c1", "c")):
            for keep in (False, True):
                with benchlib.App(app_name, bench.build, pin=pin) as app:
                    nginx, port, workdir = start_nginx(app, keep, pin)
                    try:
                        wrk = subprocess.Popen(
                            ["taskset", "-c", pin, "wrk", "-t1", "-c1", f"-d{watch + 2:.0f}s",
                             f"http://127.0.0.1:{port}/hello"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                        lg = benchlib.loadgen(bench.build, app, ["--connections", "0", "--warmup", "1",
                                                                 "--duration", str(watch)])
                        out, _ = wrk.communicate(timeout=watch + 60)
                    finally:
                        stop(nginx)
                        shutil.rmtree(workdir, ignore_errors=True)
                figures = wrk_figures(out.decode("utf-8", "replace"))
                if figures["errors"] or figures["socket_errors"]:
                    raise RuntimeError(f"nginx/wrk {key}: {figures}")
                figures["server_cpu_us"] = lg["server_cpu_s"] * 1e6 / (figures["rps"] * lg["duration_s"])
                figures["other_cpu_pct"] = lg["other_cpu_pct"]
                mode = "keep" if keep else "new"
                results.setdefault(key, {}).setdefault(mode, []).append(figures)
                benchlib_say(f"  nginx {key:4} {mode}: {figures['server_cpu_us']:.2f} us/req, "
                             f"{figures['rps']:.0f} req/s")
    return results


def benchlib_say(text: str) -> None:
    print(f"bench: {text}", flush=True)


# ---- Profiling ------------------------------------------------------------------

def strace_counts(bench, app_name: str, lg_args: List[str], requests: int) -> Dict:
    """System calls per request of the app (all its threads), by name."""
    with benchlib.App(app_name, bench.build) as app:
        out = os.path.join(app.dir, "strace.txt")
        tracer = subprocess.Popen(["strace", "-c", "-f", "-p", str(app.pid), "-o", out],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1)  # attached
        r = benchlib.loadgen(bench.build, app, ["--warmup", "0", "--duration", "120",
                                                "--requests", str(requests)] + lg_args)
        tracer.send_signal(signal.SIGINT)
        tracer.wait(30)
        with open(out) as f:
            text = f.read()
    calls = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 5 and fields[0][0].isdigit() and fields[-1] != "total":
            errors = int(fields[4]) if len(fields) == 6 else 0
            calls[fields[-1]] = {"calls": int(fields[3]) / r["requests"], "errors": errors / r["requests"]}
    return {"requests": r["requests"], "calls": calls,
            "total": sum(c["calls"] for c in calls.values())}


def callgrind_run(bench, app_name: str, lg_args: List[str], requests: int, outfile: str) -> float:
    """Runs the app under callgrind for `requests` requests (and its start
    and stop); returns the total instruction count (the profile stays in
    outfile)."""
    wrap = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={outfile}"]
    with benchlib.App(app_name, bench.build, wrap=wrap) as app:
        r = benchlib.loadgen(bench.build, app, ["--warmup", "0", "--duration", "300",
                                                "--requests", str(requests)] + lg_args)
        if r["exit"] != 0:
            raise RuntimeError(f"callgrind {app_name}: errors\n{r['output']}")
        app.stop(grace=60)  # SIGTERM: the app ends normally and callgrind writes outfile
    with open(outfile) as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                return float(line.split()[1])
    raise RuntimeError(f"no totals in {outfile}")


def callgrind_top(outfile: str, requests: int) -> List[Dict]:
    """Every function with at least one instruction of its own per request
    (most first)."""
    text = subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=100", outfile],
                          stdout=subprocess.PIPE, check=True).stdout.decode("utf-8", "replace")
    top = []
    for line in text.splitlines():
        m = re.match(r"\s*([\d,]+)\s+(?:\([\d.]+%\)\s+)?(\S.*?)\s*$", line)
        if m and ":" in m.group(2) and not m.group(2).startswith(("PROGRAM TOTALS", "Ir")):
            where = m.group(2)
            name = where.split(":", 1)[1]
            lib = re.search(r"\[(.*)\]", name)
            name = re.sub(r"\s*\[.*\]", "", name)
            ir = int(m.group(1).replace(",", "")) / requests
            if ir < 1:
                break
            top.append({"function": name, "object": os.path.basename(lib.group(1)) if lib else "",
                        "ir": ir})
    return top


def profile(bench) -> Dict:
    """strace -c and callgrind of raw libfcgi and the ffcgi C hello, c=1,
    keep-conn and a new connection per request."""
    results: Dict = {"strace": {}, "callgrind": {}}
    n_strace = 2000 if bench.quick else 20000
    n1, n2 = (200, 600) if bench.quick else (1000, 4000)
    modes = {"keep1": ["--connections", "1", "--keep-conn"], "new1": ["--connections", "1"]}
    for app_name, key in (("raw", "raw"), ("c", "c1")):
        for mode, lg_args in modes.items():
            results["strace"].setdefault(key, {})[mode] = strace_counts(bench, app_name, lg_args, n_strace)
            with tempfile.TemporaryDirectory(prefix="ffcgi-bench-cg-") as tmp:
                small = callgrind_run(bench, app_name, lg_args, n1, os.path.join(tmp, "small.out"))
                big_out = os.path.join(tmp, "big.out")
                big = callgrind_run(bench, app_name, lg_args, n2, big_out)
                results["callgrind"].setdefault(key, {})[mode] = {
                    "ir_per_request": (big - small) / (n2 - n1),
                    "top": callgrind_top(big_out, n2)}
            benchlib_say(f"  profile {key} {mode}: "
                         f"{results['strace'][key][mode]['total']:.2f} syscalls/req, "
                         f"{results['callgrind'][key][mode]['ir_per_request']:.0f} instructions/req")
    return results
