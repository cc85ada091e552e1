"""report.py — docs/benchmarks/REPORT.md and chart.png from results.json
(run_benchmarks writes both; `run_benchmarks --report-only` remakes them).
The hand-written findings (docs/benchmarks/findings.md) are included as
they are. Standard library, and gnuplot for the chart."""
import os
import shutil
import statistics
import subprocess
import tempfile
from typing import Dict, List, Optional

# The figures of issue 7, measured on these machines before ffcgi existed
# (pinned, hello app, c=1 keep-conn, server CPU per request, ratio to raw).
ISSUE_FIGURES = [("raw libfcgi", "6.3 µs (78k req/s)", "1.00×"), ("Perl FCGI", "", "1.38×"),
                 ("PHP-FPM (1 child)", "", "3.5×"), ("Go net/http/fcgi", "", "7.5×"),
                 ("Python flup, threaded WSGI", "", "10.8×"),
                 ("old Raku FastCGI::NativeCall", "", "12.8× (57× for its synopsis as shipped)")]


CHART_LABELS = {"raw": "raw libfcgi", "c1": "C 1 thread", "c2": "C 2 threads", "c8": "C 8 threads",
                "workers2": "C 2 workers", "python": "Python", "wsgi1": "WSGI 1 thread",
                "wsgi4": "WSGI 4 threads", "raku": "Raku old API", "raku_native": "Raku native",
                "raku_async1": "Raku Async 1", "raku_async4": "Raku Async 4", "php1": "PHP-FPM 1",
                "php2": "PHP-FPM 2", "perl": "Perl FCGI"}


def median(values: List[float]) -> Optional[float]:
    return statistics.median(values) if values else None


def fmt(value: Optional[float], digits: int = 1, suffix: str = "") -> str:
    return "–" if value is None else f"{value:,.{digits}f}{suffix}"


class Figures:
    """Medians over rounds; ratios to raw libfcgi taken round by round."""

    def __init__(self, results: Dict):
        self.r = results

    def runs(self, part: str, row: str, mode: str) -> List[Dict]:
        return self.r.get(part, {}).get(row, {}).get(mode, [])

    def value(self, part: str, row: str, mode: str, key: str) -> Optional[float]:
        return median([run[key] for run in self.runs(part, row, mode)])

    def ratio(self, part: str, row: str, mode: str, key: str, base: str = "raw") -> Optional[float]:
        """Round by round: each run carries raw's figure of its round
        (raw_KEY); older results pair the rounds of the two rows in order."""
        mine = self.runs(part, row, mode)
        if mine and all(f"raw_{key}" in run for run in mine):
            return median([run[key] / run[f"raw_{key}"] for run in mine if run[f"raw_{key}"]])
        raws = self.runs(part, base, mode)
        return median([a[key] / b[key] for a, b in zip(mine, raws) if b[key]])

    def disturbed(self, part: str, row: str, mode: str) -> bool:
        return any(run.get("disturbed") for run in self.runs(part, row, mode))


def goal_rows(f: Figures) -> List[List[str]]:
    rows = []

    def judge(ok: Optional[bool]) -> str:
        return "–" if ok is None else ("**met**" if ok else "**not met**")

    def cpu_goal(name, row, limit, modes=("keep1", "new1", "new8")):
        ratios = [(m, f.ratio("cpu", row, m, "server_cpu_us")) for m in modes]
        ratios = [(m, x) for m, x in ratios if x is not None]
        text = ", ".join(f"{m}: {x:.2f}×" for m, x in ratios)
        worst = max((x for _, x in ratios), default=None)
        rows.append([name, f"≤ {limit}× raw", text or "–",
                     judge(None if worst is None else worst <= limit)])

    cpu_goal("C: ffcgi hello (1 thread), every mode", "c1", 1.05)
    raw8 = f.value("concurrency", "raw", "new8", "rps")
    c2_8 = f.ratio("concurrency", "c2", "new8", "rps")
    rows.append(["C: 2 threads, c=8 new-conn, unpinned", "≥ 1.5× raw's req/s",
                 f"{fmt(c2_8, 2)}× ({fmt(f.value('concurrency', 'c2', 'new8', 'rps'), 0)} vs "
                 f"{fmt(raw8, 0)} req/s)", judge(None if c2_8 is None else c2_8 >= 1.5)])
    cpu_goal("Python: Request-API hello", "python", 3.5, ("keep1",))
    cpu_goal("Python: WSGI hello (1 thread)", "wsgi1", 5.4, ("keep1",))
    cpu_goal("Raku: hello, old API", "raku", 6.4, ("keep1",))
    nat, old = f.ratio("cpu", "raku_native", "keep1", "server_cpu_us"), f.ratio("cpu", "raku", "keep1", "server_cpu_us")
    rows.append(["Raku: native API", "< the old API's", f"{fmt(nat, 2)}× vs {fmt(old, 2)}×",
                 judge(None if nat is None or old is None else nat < old)])
    for direction in ("upload", "download"):
        mb = [b["mb_s"] for b in f.r.get("bodies", [])
              if b["app"] == "c_body" and b["direction"] == direction and b["size"] == 10 << 20]
        value = median(mb)
        rows.append([f"Bodies: 10 MiB {direction}, C app", "≥ 1 GB/s", fmt(value, 0, " MB/s"),
                     judge(None if value is None else value >= 1000)])
    growth = body_memory_growth(f.r.get("bodies", []))
    if growth:
        worst = max(growth.values())
        rows.append(["Bodies: memory bounded, every language",
                     "peak RSS grows far less than the 10 MiB body",
                     ", ".join(f"{app.replace('_body', '')}: +{kb / 1024:.1f} MiB" for app, kb in growth.items()),
                     judge(worst < 5 * 1024)])
    return rows


def body_memory_growth(bodies: List[Dict]) -> Dict[str, float]:
    """Per body app: peak RSS after the 10 MiB runs minus after the 0 B runs."""
    growth = {}
    for app in dict.fromkeys(b["app"] for b in bodies):
        small = [b["server_hwm_kb"] for b in bodies if b["app"] == app and b["size"] == 0]
        large = [b["server_hwm_kb"] for b in bodies if b["app"] == app and b["size"] == 10 << 20]
        if small and large:
            growth[app] = max(large) - max(small)
    return growth


def table(header: List[str], rows: List[List[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def main_table(f: Figures, rows, modes) -> str:
    header = ["server"] + [f"{what}: µs/req (× raw)" for _m, what, _a in modes] + \
             ["c=1 keep-conn req/s (pinned)", "c=8 new-conn req/s unpinned (× raw)"]
    out = []
    for key, label, _app, _threads in rows:
        if key not in f.r.get("cpu", {}):
            continue
        cells = [label]
        for mode, _what, _args in modes:
            us = f.value("cpu", key, mode, "server_cpu_us")
            ratio = f.ratio("cpu", key, mode, "server_cpu_us")
            mark = "*" if f.disturbed("cpu", key, mode) else ""
            cells.append("–" if us is None else
                         f"{us:.2f}{'' if ratio is None else f' ({ratio:.2f}×)'}{mark}")
        cells.append(fmt(f.value("cpu", key, "keep1", "rps"), 0))
        rps8 = f.value("concurrency", key, "new8", "rps")
        ratio8 = f.ratio("concurrency", key, "new8", "rps")
        cells.append("–" if rps8 is None else f"{rps8:,.0f} ({fmt(ratio8, 2)}×)")
        out.append(cells)
    return table(header, out)


def nginx_table(f: Figures) -> str:
    out = []
    for key, label in (("raw", "raw libfcgi"), ("c1", "ffcgi C hello")):
        cells = [label]
        for mode in ("new", "keep"):
            us = f.value("nginx", key, mode, "server_cpu_us")
            ratio = f.ratio("nginx", key, mode, "server_cpu_us")
            cells += [f"{fmt(us, 2)} ({fmt(ratio, 2)}×)", fmt(f.value("nginx", key, mode, "rps"), 0)]
        out.append(cells)
    return table(["app behind nginx", "new conn: app µs/req", "req/s", "fastcgi_keep_conn on: app µs/req",
                  "req/s"], out)


def bodies_table(bodies: List[Dict]) -> str:
    apps = list(dict.fromkeys(b["app"] for b in bodies))
    sizes = sorted({b["size"] for b in bodies})
    out = []
    for size in sizes:
        cells = [human_size(size)]
        for direction in ("upload", "download"):
            for app in apps:
                hit = [b for b in bodies if b["app"] == app and b["size"] == size and b["direction"] == direction]
                cells.append(f"{hit[0]['mb_s']:,.0f} MB/s ({hit[0]['rps']:,.0f}/s)" if hit else "–")
        out.append(cells)
    header = ["body"] + [f"{d} {a.replace('_body', '')}" for d in ("upload", "download") for a in apps]
    peak = [[a.replace("_body", ""), f"{max(b['server_hwm_kb'] for b in bodies if b['app'] == a) / 1024:.1f} MiB",
             f"{body_memory_growth(bodies).get(a, 0) / 1024:+.1f} MiB"] for a in apps]
    return table(header, out) + "\nPeak resident memory of each body app over all its runs, and its growth " \
        "from the 0 B runs to the 10 MiB runs:\n\n" + table(["app", "peak RSS", "growth"], peak)


def human_size(n: int) -> str:
    for unit, size in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:g} {unit}"
    return f"{n} B"


def params_table(params: List[Dict]) -> str:
    counts = sorted({p["n"] for p in params})
    apps = list(dict.fromkeys(p["app"] for p in params))
    out = []
    for app in apps:
        cells = [app]
        for n in counts:
            hit = [p for p in params if p["app"] == app and p["n"] == n]
            cells.append(f"{hit[0]['server_cpu_us']:.2f}" if hit else "–")
        out.append(cells)
    return table(["server (µs/req, pinned, c=1 keep-conn)"] + [f"{n} params" for n in counts], out)


def memory_table(memory: Dict, rows) -> str:
    out = []
    for key, label, _app, _threads in rows:
        m = memory.get(key)
        if m:
            out.append([label, f"{int(m['procs'])}", f"{m['fresh_rss_kb'] / 1024:.1f} MiB",
                        f"{m['rss_kb'] / 1024:.1f} MiB", f"{m['pss_kb'] / 1024:.1f} MiB"])
    n = int(next(iter(memory.values()))["requests"]) if memory else 0
    return table(["server", "processes", "RSS after 1 request", f"RSS after {n:,} requests",
                  f"PSS after {n:,}"], out)


def scaling_table(scaling: Dict) -> str:
    out = []
    for app, by_threads in scaling.items():
        one = by_threads.get("1", {}).get("rps")
        cells = [app]
        for t in ("1", "2", "3", "4"):
            r = by_threads.get(t)
            cells.append("–" if not r else f"{r['rps']:,.0f} ({r['rps'] / one:.2f}×)" if one else f"{r['rps']:,.0f}")
        out.append(cells)
    return table(["server (c=8 new-conn, unpinned, req/s)", "1", "2", "3", "4"], out)


def profile_section(profile: Dict) -> str:
    if not profile:
        return "(not measured)\n"
    st, cg = profile.get("strace", {}), profile.get("callgrind", {})
    text = "System calls per request (strace -c -f, all threads):\n\n"
    names = sorted({n for app in st.values() for mode in app.values() for n in mode["calls"]})
    rows = []
    for name in names:
        cells = [name]
        for mode in ("keep1", "new1"):
            for app in ("raw", "c1"):
                calls = st.get(app, {}).get(mode, {}).get("calls", {}).get(name)
                cells.append("" if not calls else f"{calls['calls']:.2f}" +
                             (f" ({calls['errors']:.2f} err)" if calls["errors"] >= 0.01 else ""))
        rows.append(cells)
    rows.append(["**total**"] + [f"**{st.get(a, {}).get(m, {}).get('total', 0):.2f}**"
                                 for m in ("keep1", "new1") for a in ("raw", "c1")])
    text += table(["syscall", "keep-conn: raw", "keep-conn: ffcgi", "new conn: raw", "new conn: ffcgi"], rows)
    text += "\nInstructions per request (valgrind --tool=callgrind, the difference of two runs of " \
            "different lengths, so start-up cancels out):\n\n"
    rows = []
    for mode in ("keep1", "new1"):
        raw = cg.get("raw", {}).get(mode, {}).get("ir_per_request")
        mine = cg.get("c1", {}).get(mode, {}).get("ir_per_request")
        rows.append([mode, fmt(raw, 0), fmt(mine, 0),
                     "–" if not raw or mine is None else f"{mine - raw:+,.0f} ({mine / raw:.2f}×)"])
    text += table(["mode", "raw libfcgi", "ffcgi C hello", "difference"], rows)
    by_object: Dict[str, Dict[str, float]] = {}
    for app in ("raw", "c1"):
        for t in cg.get(app, {}).get("keep1", {}).get("top", []):
            obj = t["object"].split(".so")[0] or "(no object named)"
            by_object.setdefault(obj, {}).setdefault(app, 0.0)
            by_object[obj][app] += t["ir"]
    if by_object:
        text += "\nBy library, keep-conn (own instructions per request; the long run, start-up included):\n\n"
        text += table(["object", "raw libfcgi", "ffcgi C hello"],
                      [[obj, fmt(v.get("raw"), 0), fmt(v.get("c1"), 0)]
                       for obj, v in sorted(by_object.items(), key=lambda kv: -max(kv[1].values()))])
    top = cg.get("c1", {}).get("keep1", {}).get("top", [])
    if top:
        text += "\nThe ffcgi C hello's 16 costliest functions, keep-conn (own instructions per request), " \
                "and every libffcgi function:\n\n"
        shown = top[:16] + [t for t in top[16:] if t["object"].startswith("libffcgi")]
        text += table(["function", "object", "instructions/request"],
                      [[t["function"], t["object"], f"{t['ir']:,.0f}"] for t in shown])
    return text


def chart(results: Dict, rows, out_dir: str) -> bool:
    """chart.png: CPU µs per request by server and mode (log scale), and
    MB/s by body size for raw libfcgi and ffcgi C."""
    if not shutil.which("gnuplot"):
        return False
    f = Figures(results)
    with tempfile.TemporaryDirectory(prefix="ffcgi-bench-chart-") as tmp:
        cpu = os.path.join(tmp, "cpu.dat")
        with open(cpu, "w") as out:
            for key, label, _app, _threads in rows:
                if key in results.get("cpu", {}):
                    values = [f.value("cpu", key, m, "server_cpu_us") for m in ("keep1", "new1", "new8")]
                    out.write('"%s" %s\n' % (CHART_LABELS.get(key, key),
                                             " ".join("NaN" if v is None else f"{v:.3f}" for v in values)))
        bodies = os.path.join(tmp, "bodies.dat")
        with open(bodies, "w") as out:
            for size in sorted({b["size"] for b in results.get("bodies", []) if b["size"]}):
                cells = []
                for app in ("raw_body", "c_body"):
                    for direction in ("upload", "download"):
                        hit = [b["mb_s"] for b in results.get("bodies", [])
                               if b["app"] == app and b["size"] == size and b["direction"] == direction]
                        cells.append(f"{hit[0]:.1f}" if hit else "NaN")
                out.write(f"{size} {' '.join(cells)}\n")
        script = f"""
set terminal pngcairo size 1400,1000 font "DejaVu Sans,10"
set output "{os.path.join(out_dir, 'chart.png')}"
set multiplot layout 2,1 title "ffcgi benchmarks ({results['machine']['date']}, {results['machine']['cpu']})"
set title "Server CPU per request (pinned with the load generator on one CPU; lower is better)"
set style data histogram
set style histogram cluster gap 1
set style fill solid 0.8 border -1
set logscale y
set ylabel "µs CPU per request (log)"
set xtics rotate by -30 left
set key top left
set grid ytics
plot "{cpu}" using 2:xtic(1) title "c=1 keep-conn", "" using 3 title "c=1 new conn", "" using 4 title "c=8 new conn"
unset style
set style data linespoints
unset xtics
set xtics nomirror
set logscale x 2
unset logscale y
set xlabel "body size (bytes, log)"
set ylabel "MB/s (c=1 keep-conn, unpinned)"
set title "Bodies through the C app: raw libfcgi vs ffcgi"
set format x "%.0b%BB"
plot "{bodies}" using 1:2 title "raw libfcgi upload" lw 2, "" using 1:4 title "ffcgi upload" lw 2, \\
     "" using 1:3 title "raw libfcgi download" lw 2 dt 2, "" using 1:5 title "ffcgi download" lw 2 dt 2
unset multiplot
"""
        done = subprocess.run(["gnuplot"], input=script.encode(), stderr=subprocess.PIPE, check=False)
        if done.returncode != 0:
            print(done.stderr.decode("utf-8", "replace"))
        return done.returncode == 0


def lean_goal_rows(f: Figures) -> List[List[str]]:
    """The goals of issue 13 (fewer crossings per request), kept connection."""
    def judge(ok: Optional[bool]) -> str:
        return "–" if ok is None else ("**met**" if ok else "**not met**")

    def ratio_row(name, row, limit):
        x = f.ratio("cpu", row, "keep1", "server_cpu_us")
        return [name, f"≤ {limit}× raw", fmt(x, 2, "×"), judge(None if x is None else x <= limit)]

    wsgi, uwsgi = f.runs("cpu", "wsgi1", "keep1"), f.runs("cpu", "uwsgi1", "keep1")
    per_round = median([a["server_cpu_us"] / b["server_cpu_us"] for a, b in zip(wsgi, uwsgi)
                        if b["server_cpu_us"]])
    nat, old = f.ratio("cpu", "raku_native", "keep1", "server_cpu_us"), f.ratio("cpu", "raku", "keep1", "server_cpu_us")
    return [["WSGI hello against uWSGI 2.0, same rounds", "≤ 0.6× uWSGI", fmt(per_round, 2, "×"),
             judge(None if per_round is None else per_round <= 0.6)],
            ratio_row("WSGI hello (1 thread)", "wsgi1", 3.0),
            ratio_row("Python Request-API hello", "python", 1.8),
            ratio_row("Raku hello, old API", "raku", 5.0),
            ["Raku hello, native API", "< the old API's", f"{fmt(nat, 2)}× vs {fmt(old, 2)}×",
             judge(None if nat is None or old is None else nat < old)]]


def connection_goal_rows(f: Figures) -> List[List[str]]:
    """The goals of issue 11 (the connection layer)."""
    def judge(ok: Optional[bool]) -> str:
        return "–" if ok is None else ("**met**" if ok else "**not met**")

    rows = []
    for mode, what, limit in (("keep1", "kept connection (c=1)", 1.05),
                              ("new1", "new connections (c=1)", 1.00)):
        x = f.ratio("cpu", "c1", mode, "server_cpu_us")
        rows.append([f"C hello CPU per request, {what}", f"≤ {limit:.2f}× raw", fmt(x, 2, "×"),
                     judge(None if x is None else x <= limit)])
    c2_8 = f.ratio("concurrency", "c2", "new8", "rps")
    rows.append(["C hello, 2 threads, c=8 new-conn, unpinned", "≥ 1.5× raw's req/s",
                 fmt(c2_8, 2, "×"), judge(None if c2_8 is None else c2_8 >= 1.5)])
    held = f.r.get("held", {})
    if held:
        c4, raw = held.get("c4", {}), held.get("raw", {})
        rows.append([f"{HELD_TEXT}, C hello with 4 threads", "every request answered",
                     f"{fmt(c4.get('rps'), 0)} req/s, {int(c4.get('errors', 0))} errors; raw libfcgi: "
                     f"{fmt(raw.get('rps'), 0)} req/s, {int(raw.get('errors', 0))} timeouts",
                     judge(c4.get("errors") == 0 and c4.get("requests", 0) > 0)])
    flat = f.r.get("flat")
    if flat:
        growth = flat["rss_kb"] - flat["warmup_rss_kb"]
        rows.append([f"RSS flat over {int(flat['requests']):,} requests (C hello)",
                     "grows < 1 MiB after the warm-up",
                     f"{flat['warmup_rss_kb'] / 1024:.1f} → {flat['rss_kb'] / 1024:.1f} MiB "
                     f"({growth:+.0f} KiB)", judge(growth < 1024)])
    return rows


HELD_TEXT = "256 kept connections at once"


def held_table(held: Dict) -> str:
    if not held:
        return "(not measured)\n"
    names = {"c4": "ffcgi C hello, 4 threads", "raw": "raw libfcgi, 1 thread"}
    out = [[names.get(k, k), fmt(r.get("rps"), 0), fmt(r.get("server_cpu_us"), 2),
            str(int(r.get("requests", 0))), str(int(r.get("errors", 0)))] for k, r in held.items()]
    return table(["server", "req/s", "CPU µs/req", "responses", "errors"], out)


def write(results: Dict, rows, modes, out_dir: str) -> None:
    f = Figures(results)
    m = results["machine"]
    findings_path = os.path.join(out_dir, "findings.md")
    findings = open(findings_path).read() if os.path.exists(findings_path) else "(none written yet)\n"
    has_chart = chart(results, rows, out_dir)
    quick = "\n**A `--quick` run: short runs, one round — a check, not figures.**\n" if results.get("quick") else ""
    for rerun in results.get("reruns", []):
        quick += f"\nSome figures were measured again later, {rerun['date']}, by `{rerun['command']}` " \
                 f"({rerun.get('minutes', '?')} minutes): those rows and raw libfcgi's of the same rounds.\n"
    text = f"""# ffcgi benchmarks

Measured {m['date']} on {m['cpu']} ({m['cpus']} CPUs, {m['memory_gib']} GiB), commit {m['commit']},
by `{results['command']}` ({results.get('minutes', '?')} minutes). Generated by
`tests/bench/run_benchmarks` from `results.json`; `tests/bench/README.md` says how it measures.
{quick}
How to read it (issue 7, "How to measure on these machines"): the headline is the server's **CPU µs
per request**, read from `/proc/PID/stat` (utime+stime of the server and its children, threads
included), with the server and the load generator **pinned together on CPU {1}** (`taskset -c 1`),
so that the rate is set by CPU cost rather than by wake-up latency; **× raw** is the ratio to raw
libfcgi measured in the same round, median of {results['rounds']} rounds of {results['duration']:g} s
(after {results['warmup']:g} s of warm-up). A run during which other processes used more than
{results['max_other']:g}% of a CPU was thrown away and repeated ({results.get('disturbed_runs', 0)} were);
a figure marked * kept a disturbed run after four tries. Concurrency (c=8) is measured
separately, unpinned, as req/s. Every response was checked (status 200, a body, END_REQUEST
complete); every run here had zero errors.

![chart](chart.png){'' if has_chart else ' (gnuplot was not available: no chart)'}

## The goals of issue 7

{table(['goal', 'target', 'measured', ''], goal_rows(f))}
## The goals of issue 13 (fewer crossings per request)

CPU per request, c=1 keep-conn, pinned; the calls per request and the
resident memory once warm are in the findings below (`tests/bench/count_calls`,
`tests/bench/rss_growth`).

{table(['goal', 'target', 'measured', ''], lean_goal_rows(f))}
## The goals of issue 11 (the connection layer)

{table(['goal', 'target', 'measured', ''], connection_goal_rows(f))}
## Hello apps: CPU per request and throughput

{main_table(f, rows, modes)}
c=8 keep-conn needs a server that holds 8 connections at once (8 threads): only those rows have it.
Python's flup is not packaged in Debian 12 (`python3-flup` has no candidate), so it has no row;
the issue's figure for it is quoted below.

The issue's figures for the peers, measured on these machines before ffcgi (same layout, c=1
keep-conn):

{table(['server', 'CPU per request', '× raw'], [list(x) for x in ISSUE_FIGURES])}
## nginx in front (wrk -c1, nginx, wrk and the app pinned on one CPU)

{nginx_table(f)}
The app's CPU only (nginx and wrk not counted), per request wrk completed.

## Growth

### Body size (c=1 keep-conn, unpinned)

{bodies_table(results.get('bodies', []))}
### Params per request (10 → 1000)

{params_table(results.get('params', []))}
### Resident memory after many requests (c=1 keep-conn)

{memory_table(results.get('memory', {}), rows)}
RSS adds every process of the server (PHP-FPM's master and children share pages: PSS divides them).

### Many kept connections at once ({HELD_TEXT}, keep-conn, unpinned)

{held_table(results.get('held', {}))}
Raw libfcgi serves one connection at a time, until the web server closes it: with 256 kept
connections it answers the first and the others wait; their requests time out (2 s) and are
counted as errors. ffcgi holds every connection in its epoll set and serves whichever has a request.

### Threads and workers (c=8 new-conn, unpinned, req/s and × the 1-thread figure)

{scaling_table(results.get('scaling', {}))}
On a 2-CPU machine shared with the load generator, more than 2 threads or workers can only hide
latency, not add CPU.

## Profile: where ffcgi's C hello spends more than raw libfcgi

{profile_section(results.get('profile', {}))}
## Findings

{findings}
## Machine and versions

{table(['', ''], [['date', m['date']], ['CPU', f"{m['cpu']} × {m['cpus']}"], ['memory', f"{m['memory_gib']} GiB"],
                  ['kernel', m['uname']], ['commit', m['commit']], ['command', f"`{results['command']}`"]]
       + [[k, v] for k, v in m['versions'].items()])}"""
    with open(os.path.join(out_dir, "REPORT.md"), "w") as out:
        out.write(text)
