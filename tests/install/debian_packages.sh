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
# packages is installed beforehand (it would replace, then purge it). Takes
# about two minutes. CTest label `packages`: ctest -L packages.
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
for p in $packages; do
    if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q " installed$"; then
        fail "$p is installed already; this test installs and purges it: apt-get purge $packages, then run it again"
    fi
done

# Purge whichever of the five dpkg knows as installed or half-installed (an
# unknown name would make apt-get refuse the whole purge), on any exit too
# (lib.sh's cleanup after).
purge() {
    local known
    known=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' $packages 2>/dev/null |
            awk '$1 !~ /^.n/ { print $2 }')
    [ -n "$known" ] || return 0
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -q $known >"$tmp/purge.log" 2>&1
}
trap 'purge || { echo "apt-get purge failed:" >&2; cat "$tmp/purge.log" >&2; }; cleanup' EXIT

echo "== packaging/build-debs"
timeout 900 "$src/packaging/build-debs" "$tmp/debs" || fail "building the packages failed"

echo "== apt-get install the five packages"
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
debs=()
for p in $packages; do
    debs+=("$(ls "$tmp/debs/${p}_"*"_$arch.deb")")
done
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
