# lib.sh — what the install tests share (sourced; set test_name first): a
# temporary directory `tmp` removed on exit, the app started in the
# background (its PID in app_pid) stopped by PID on any exit, and `fail`.
# The app runs under `timeout --foreground`, which passes TERM on once and
# KILLs after 5 s (without --foreground, timeout also signals its process
# group, so the app gets TERM twice: Python's serve() takes the second as
# "stop at once" and exits 1).

tmp=$(mktemp -d)
app_pid=
cleanup() {
    if [ -n "$app_pid" ]; then
        kill -TERM "$app_pid" 2>/dev/null || true
        wait "$app_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

fail() {
    echo "$test_name: FAIL: $*" >&2
    exit 1
}

# wait_for_socket PATH WHAT SECONDS: until the app (app_pid) listens on PATH.
wait_for_socket() {
    tries=0
    until [ -S "$1" ]; do
        kill -0 "$app_pid" 2>/dev/null || fail "$2 exited before listening on $1"
        tries=$((tries + 1))
        [ "$tries" -le $(($3 * 10)) ] || fail "$2 did not listen on $1 within $3 s"
        sleep 0.1
    done
}

# stop_app WHAT: SIGTERM to the app; it must exit 0.
stop_app() {
    kill -TERM "$app_pid"
    status=0
    wait "$app_pid" || status=$?
    app_pid=
    [ "$status" -eq 0 ] || fail "$1 exited with status $status after SIGTERM"
}
