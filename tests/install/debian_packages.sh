#!/bin/bash
# debian_packages.sh SOURCE_DIR — builds the Debian packages from the tree
# (packaging/build-debs: dpkg-buildpackage and lintian, in a temporary
# copy), installs the five with apt-get, and then, in an empty directory
# with a bare environment (nothing of the build tree on any path):
#   - compiles examples/outside/app.c with `pkg-config ffcgi` (its Makefile)
#     and checks it loads the installed /usr/lib/<arch>/libffcgi.so.1;
#   - runs examples/hello.py with /usr/bin/python3 (the installed ffcgi
#     package) and examples/hello.raku with raku (FastCGI::NativeCall from
#     the vendor repository);
#   - each answers a request sent by cgi-fcgi;
#   - runs ffcgi-supervisor --help;
# then purges the packages and checks that none of their files is left.
#
# Needs root: run by another user it exits 77, which CTest reports as
# "Skipped" (not as a pass); CI runs as root. It refuses if any of the five
# packages is installed beforehand (it would replace, then purge it), unless
# a run of this test installed it and was stopped before its purge (a
# killed CTest, a machine restarted): the marker file $owned, written before
# anything is installed and removed after the purge, says so, and then the
# leftovers are purged first. Both cases are exercised below with libffcgi1.
# Takes about two minutes. CTest label `packages`: ctest -L packages.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 SOURCE_DIR" >&2; exit 2; }
src=$(cd "$1" && pwd)
test_name=debian_packages
. "$(dirname "$0")/lib.sh"

packages="libffcgi1 libffcgi-dev ffcgi-tools python3-ffcgi raku-fastcgi-nativecall"
if [ "$(id -u)" -ne 0 ]; then
    echo "debian_packages: SKIPPED: it installs system packages; run it as root" >&2
    exit 77
fi
owned=/var/lib/ffcgi-tests/debian_packages.installing

# known_packages: those of the five that dpkg knows as installed or
# half-installed, one per line (dpkg-query fails when it knows none of them).
known_packages() {
    { dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' $packages 2>/dev/null || true; } |
        awk '$1 !~ /^.n/ { print $2 }'
}

# purge: apt-get purge of the known ones (an unknown name would make apt-get
# refuse the whole purge); once none is left, the marker goes too. Runs on
# any exit (lib.sh's cleanup after).
purge() {
    local known
    known=$(known_packages)
    if [ -n "$known" ]; then
        DEBIAN_FRONTEND=noninteractive apt-get purge -y -q $known >"$tmp/purge.log" 2>&1 || return 1
    fi
    rm -f "$owned"
}

# take_leftovers: fails if any of the five is installed and the marker is
# absent (someone's own install); purges them if the marker is there.
take_leftovers() {
    local known
    known=$(known_packages)
    [ -n "$known" ] || return 0
    [ -f "$owned" ] ||
        fail "$(echo $known) installed already; this test installs and purges it: apt-get purge $packages, then run it again"
    echo "== purging $(echo $known), left by an interrupted run of this test ($(cat "$owned"))"
    purge || { cat "$tmp/purge.log" >&2; fail "apt-get purge of the leftovers failed"; }
}

# mark_owned: writes the marker (which tree, when, which run).
mark_owned() {
    mkdir -p "$(dirname "$owned")"
    echo "$src, $(date -u '+%F %T') UTC, PID $$" >"$owned"
}

take_leftovers
mark_owned
trap 'purge || { echo "apt-get purge failed:" >&2; cat "$tmp/purge.log" >&2; }; cleanup' EXIT

echo "== packaging/build-debs"
timeout 900 "$src/packaging/build-debs" "$tmp/debs" || fail "building the packages failed"

arch=$(dpkg-architecture -qDEB_HOST_ARCH)
debs=()
for p in $packages; do
    debs+=("$(ls "$tmp/debs/${p}_"*"_$arch.deb")")
done

# build-debs installed libffcgi1 (raku-fastcgi-nativecall build-depends on
# it): it stands for a leftover. Without the marker the test refuses it...
echo "== leftovers: refused without the marker, purged with it"
(owned=$tmp/no-marker; take_leftovers) 2>"$tmp/refusal" &&
    fail "take_leftovers accepted libffcgi1 installed without the marker"
grep -q "libffcgi1 installed already" "$tmp/refusal" || fail "the refusal does not name libffcgi1: $(cat "$tmp/refusal")"
# ...and with it purges it and the marker.
take_leftovers
[ -z "$(known_packages)" ] || fail "take_leftovers left $(known_packages) installed"
[ ! -e "$owned" ] || fail "the marker is left after the leftovers' purge"
mark_owned

echo "== apt-get install the five packages"
DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -q "${debs[@]}" >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log" >&2; fail "apt-get install failed"; }
files=$tmp/package-files
for p in $packages; do
    dpkg-query -L "$p" | while read -r f; do [ -d "$f" ] || echo "$f"; done
done >"$files"
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
libffcgi=/usr/lib/$multiarch/libffcgi.so.1
grep -qx "$libffcgi" "$files" || fail "libffcgi1 does not hold $libffcgi"
grep -qx /usr/share/man/man1/ffcgi-supervisor.1.gz "$files" ||
    fail "ffcgi-tools does not hold the manual page of ffcgi-supervisor"

# A bare environment: no LD_LIBRARY_PATH, PYTHONPATH, RAKULIB, FFCGI_*.
work=$tmp/outside
mkdir -p "$work/home"
bare_exec() { cd "$work" && exec env -i PATH=/usr/bin:/bin HOME="$work/home" LANG=C.UTF-8 "$@"; }
bare() { (bare_exec "$@"); }
# start_app COMMAND...: in the background, under timeout(1); app_pid is its
# own PID (the subshell execs it), so stop_app's SIGTERM reaches it.
start_app() {
    bare_exec timeout --foreground -k 5 120 "$@" &
    app_pid=$!
}

# ask WHAT GREETING: one request through cgi-fcgi to the app (app_pid) on
# $work/s.sock; its answer must hold GREETING; then the app is stopped.
ask() {
    wait_for_socket "$work/s.sock" "$1" 60
    answer=$(REQUEST_METHOD=GET SCRIPT_NAME=/ timeout 20 cgi-fcgi -bind -connect "$work/s.sock" </dev/null) ||
        fail "cgi-fcgi could not query $1"
    case $answer in
        *"$2"*) echo "$1: answered"' "'"$2"'"' ;;
        *) fail "$1 answered without '$2': $answer" ;;
    esac
    stop_app "$1"
    rm -f "$work/s.sock"
}

echo "== C: examples/outside with pkg-config ffcgi"
cp "$src/examples/outside/app.c" "$src/examples/outside/Makefile" "$work/"
bare timeout 120 make -s || fail "building the C app with pkg-config failed"
# (/lib is /usr/lib on Debian 12: the loader may name either.)
bare ldd ./app | grep -Eq "libffcgi.so.1 => (/usr)?/lib/$multiarch/libffcgi.so.1 " ||
    fail "the C app does not load $libffcgi: $(bare ldd ./app)"
start_app ./app --socket "$work/s.sock"
ask "the C app" "Hello from outside"

echo "== Python: examples/hello.py with /usr/bin/python3"
cp "$src/examples/hello.py" "$src/examples/example_args.py" "$work/"
where=$(bare /usr/bin/python3 -c 'import ffcgi; print(ffcgi.__file__)')
case $where in
    /usr/lib/python3/dist-packages/ffcgi/*) ;;
    *) fail "python3 imports ffcgi from $where, not from python3-ffcgi" ;;
esac
start_app /usr/bin/python3 hello.py --socket "$work/s.sock"
ask "the Python hello" "Hello from ffcgi (Python)!"

echo "== Raku: examples/hello.raku with raku"
cp "$src/examples/hello.raku" "$work/"
where=$(bare raku -e 'say $*REPO.resolve(CompUnit::DependencySpecification.new(:short-name<FastCGI::NativeCall>)).repo.prefix.Str')
case $where in
    /usr/lib/perl6/vendor) ;;
    *) fail "raku loads FastCGI::NativeCall from $where, not from raku-fastcgi-nativecall" ;;
esac
start_app raku hello.raku --socket "$work/s.sock"
ask "the Raku hello" "Hello from ffcgi (Raku)!"

echo "== ffcgi-supervisor --help"
bare timeout 10 ffcgi-supervisor --help | grep -q "ffcgi-supervisor" || fail "ffcgi-supervisor --help failed"

echo "== apt-get purge"
purge || { cat "$tmp/purge.log" >&2; fail "apt-get purge failed"; }
for p in $packages; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case $status in
        "" | *not-installed) ;;
        *) fail "$p is still known to dpkg after the purge: $status" ;;
    esac
done
left=$(while read -r f; do [ ! -e "$f" ] && [ ! -L "$f" ] || echo "$f"; done <"$files")
[ -z "$left" ] || fail "files left after the purge: $left"
for d in /usr/lib/python3/dist-packages/ffcgi "/usr/lib/$multiarch/cmake/ffcgi" \
         /usr/share/doc/libffcgi1 /usr/share/doc/python3-ffcgi; do
    [ ! -e "$d" ] || fail "$d is left after the purge"
done
bare /usr/bin/python3 -c 'import ffcgi' 2>/dev/null && fail "python3 still imports ffcgi after the purge"
echo "debian_packages: OK ($(wc -l <"$files") files installed by 5 packages, all gone after the purge)"
