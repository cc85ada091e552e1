#!/bin/bash
# scale_cores.sh — how the connection layer scales on a machine with 16 or
# more CPUs: the C hello with 1, 2, 4 and 8 threads (on CPUs 0-7) and raw
# libfcgi, loaded by ffcgi-loadgen (on CPUs 8-15) with 64 new or kept
# connections, then 1,000 kept connections. Prints one line per run.
#
#   tests/bench/scale_cores.sh BUILD_DIR
#
# BUILD_DIR is a built tree (tests/bench/run_benchmarks makes build-bench/).
# LD_LIBRARY_PATH may add a directory with libfcgi.so.0 where the machine
# has no libfcgi. Not part of the tests: a measurement, run by hand.
set -eu
build=$(cd "$1" && pwd)
export LD_LIBRARY_PATH="$build/src${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
ulimit -n 20000
echo "cpus: $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-), kernel $(uname -r), $(date -u '+%Y-%m-%d %H:%M UTC')"
run() { # APP THREADS LOADGEN-ARGS...
    local app=$1 threads=$2 sock=/tmp/scale-cores-$$.sock pid result
    shift 2
    rm -f "$sock"
    if [ "$app" = raw ]; then
        taskset -c 0-7 "$build/tests/bench/raw-hello" --socket "$sock" &
    else
        taskset -c 0-7 "$build/examples/hello" --socket "$sock" --threads "$threads" &
    fi
    pid=$!
    for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
    result=$(taskset -c 8-15 "$build/tests/bench/ffcgi-loadgen" --socket "$sock" \
             --server-pid "$pid" --warmup 1 --duration 3 --timeout-ms 3000 \
             --max-errors 1000000 "$@" | grep '^RESULT' || true)
    kill -TERM "$pid"
    wait "$pid" || true
    echo "$app threads=$threads $* :: $(echo "$result" |
        grep -o 'requests=[0-9]*\|errors=[0-9]*\|rps=[0-9.]*\|server_cpu_us=[0-9.]*' | tr '\n' ' ')"
}
for mode in "--connections 64" "--connections 64 --keep-conn"; do
    run raw 1 $mode
    for threads in 1 2 4 8; do
        run c "$threads" $mode
    done
done
run c 8 --connections 1000 --keep-conn
run raw 1 --connections 1000 --keep-conn
