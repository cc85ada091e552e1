#!/bin/sh
# valgrind_echo.sh BUILD_DIR SOURCE_DIR PYTHON — examples/echo under valgrind
# memcheck serves normal requests (bodies up to 1 MiB, keep-conn, FILTER,
# 1000 params) and every seed of the fuzz corpus (valid and malformed
# connections), then exits on SIGTERM; then the whole conformance suite runs
# against it, started under valgrind by the conformance driver. Any invalid
# access, or a definite or indirect leak, makes valgrind exit 99 and the test
# fail.
set -eu
build=$1 src=$2 python=$3
client=$build/tests/client/fcgi-client
dir=$(mktemp -d /tmp/ffcgi-valgrind-XXXXXX)
sock=$dir/echo.sock
pid=
cleanup() {
    [ -z "$pid" ] || kill -KILL "$pid" 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; cat "$dir/valgrind.log" >&2 2>/dev/null || true; exit 1; }

valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
    --show-leak-kinds=definite,indirect --log-file="$dir/valgrind.log" \
    "$build/examples/echo" --socket "$sock" --threads 2 &
pid=$!
i=0
until [ -S "$sock" ]; do
    i=$((i + 1)); [ $i -le 300 ] || fail "echo did not start under valgrind"
    sleep 0.1
done

ask() { timeout 60 "$client" --socket "$sock" --timeout 30000 "$@" >/dev/null || fail "request failed: $*"; }
ask --method GET --query 'a=1&status=404&stderr=x'
ask --method POST --stdin-random 1048576 --stdin-chunk 4093
ask --method GET --keep-conn --repeat 50
ask --role filter --stdin-random 3000 --data-file "$src/tests/conformance/ECHO_CONTRACT.md"
i=0
while [ $i -lt 1000 ]; do echo "P$i=value$i"; i=$((i + 1)); done >"$dir/params"
ask --param-file "$dir/params"

# every fuzz seed as one raw connection
/usr/bin/python3 - "$sock" "$src/tests/fuzz/corpus" <<'PY' || fail "sending the corpus failed"
import os, socket, sys
sock, corpus = sys.argv[1], sys.argv[2]
for name in sorted(os.listdir(corpus)):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(30)
    s.connect(sock)
    s.sendall(open(os.path.join(corpus, name), "rb").read())
    s.shutdown(socket.SHUT_WR)
    while s.recv(65536):
        pass
    s.close()
PY
ask --method GET   # still serving

kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=
[ "$status" -eq 0 ] || fail "echo under valgrind exited with status $status"

# the conformance cases, each app under valgrind (the driver wants exit 0)
printf 'c_valgrind = valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect {build}/examples/echo\n' \
    >"$dir/apps.conf"
"$python" "$src/tests/conformance/driver.py" --build-dir "$build" --source-dir "$src" \
    --client-lib "$build/tests/conformance/libconformance_client.so" --python "$python" \
    --apps "$dir/apps.conf" --language c_valgrind --threads 2 --deadline 480 \
    --request-timeout 120 || fail "conformance cases under valgrind"
echo "ok: no valgrind errors"
