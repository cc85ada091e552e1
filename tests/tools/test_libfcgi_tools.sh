#!/bin/sh
# test_libfcgi_tools.sh — examples/echo works with the independent tools
# people already use: spawn-fcgi hands it a listening socket on fd 0, and
# libfcgi's own client cgi-fcgi (Debian libfcgi-bin) sends the requests.
#   test_libfcgi_tools.sh PATH-TO-ECHO
set -eu
echo_app=$1
dir=$(mktemp -d /tmp/ffcgi-tools-XXXXXX)
sock=$dir/echo.sock
app_pid=
cleanup() {
    if [ -n "$app_pid" ]; then kill "$app_pid" 2>/dev/null || true; fi
    rm -rf "$dir"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# spawn-fcgi -n stays in the foreground and execs the app: its PID is the app's.
spawn-fcgi -n -s "$sock" -- "$echo_app" >"$dir/spawn.log" 2>&1 &
app_pid=$!
i=0
until [ -S "$sock" ]; do
    i=$((i + 1)); [ $i -le 100 ] || fail "spawn-fcgi did not create $sock"
    sleep 0.1
done

ask() { # ask QUERY METHOD BODY -> stdout of cgi-fcgi
    printf '%s' "$3" | env -i REQUEST_METHOD="$2" QUERY_STRING="$1" CONTENT_LENGTH=${#3} \
        timeout 10 cgi-fcgi -bind -connect "$sock"
}

out=$(ask "a=1" GET "")
printf '%s\n' "$out" | grep -qx 'method=GET' || fail "no method line in: $out"
printf '%s\n' "$out" | grep -qx 'query=a%3D1' || fail "no query line in: $out"
printf '%s\n' "$out" | grep -qx 'param_count=4' || fail "unexpected params in: $out"

out=$(ask "status=404" POST "hello")
printf '%s\n' "$out" | grep -q '^Status: 404' || fail "status not honoured: $out"
printf '%s\n' "$out" | grep -qx 'stdin_bytes=5' || fail "body not read: $out"
printf '%s\n' "$out" |
    grep -qx 'stdin_sha256=2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824' ||
    fail "body digest wrong: $out"

kill -TERM "$app_pid"
i=0
while kill -0 "$app_pid" 2>/dev/null; do
    i=$((i + 1)); [ $i -le 100 ] || fail "echo did not exit on SIGTERM"
    sleep 0.1
done
wait "$app_pid" || fail "echo exited with status $?"
app_pid=
echo ok
