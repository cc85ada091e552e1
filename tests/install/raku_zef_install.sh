#!/bin/sh
# raku_zef_install.sh CMAKE BUILD_DIR LIBDIR SOURCE_DIR FCGI_CLIENT C_ECHO
# Proves the Raku distribution installs as its README says: libffcgi is
# installed (`cmake --install`, into a temporary prefix found through
# LD_LIBRARY_PATH instead of /usr/local and ldconfig), then
# `zef install ./bindings/raku` into a temporary repository, running the
# distribution's t/ against the installed library. A program outside the
# source tree (examples/hello.raku, run from a temporary directory with only
# that repository) then answers a FastCGI request with the installed module
# and the installed libffcgi.so.1, FFCGI_LIBRARY unset; and so does a PSGI
# app on the installed FastCGI::NativeCall::PSGI (examples/hello_psgi.raku).
set -eu

if [ $# -ne 6 ]; then
    echo "usage: $0 CMAKE BUILD_DIR LIBDIR SOURCE_DIR FCGI_CLIENT C_ECHO" >&2
    exit 2
fi
cmake=$1 build=$2 libdir=$3 source=$4 client=$5 c_echo=$6

test_name=raku_zef_install
. "$(dirname "$0")/lib.sh"

prefix=$tmp/prefix
repo=$tmp/raku-repo
echo "== cmake --install $build --prefix $prefix"
timeout 60 "$cmake" --install "$build" --prefix "$prefix" >/dev/null || fail "cmake --install failed"

# Nothing of the build tree's setup may leak in: the module must find the
# installed library by its soname, and zef keeps its state in a private HOME.
unset FFCGI_LIBRARY RAKULIB PERL6LIB
export LD_LIBRARY_PATH="$prefix/$libdir"
export HOME="$tmp/home"
mkdir "$HOME"

echo "== zef install --to=inst#$repo ./bindings/raku (its t/ run against the installed library)"
( cd "$source" &&
  FFCGI_TEST_CLIENT=$client FFCGI_TEST_C_ECHO=$c_echo FFCGI_SOURCE_DIR=$source \
      timeout 900 zef install --to="inst#$repo" ./bindings/raku ) || fail "zef install failed"

# Copies examples/$1 to $tmp/outside, runs it from there with only the
# installed repository on its path (its pid in app_pid: timeout(1), the
# app's parent) and asks it once: the answer in $answer.
ask_outside() {
    cp "$source/examples/$1" "$tmp/outside/"
    sock=$tmp/$1.sock
    (cd "$tmp/outside" && exec timeout --foreground -k 5 120 raku -I "inst#$repo" "$1" --socket "$sock") &
    app_pid=$!
    wait_for_socket "$sock" "$1" 60
    answer=$(timeout 30 "$client" --socket "$sock") || fail "no answer from $1"
}

echo "== examples/hello.raku from outside the tree, with only the installed module"
mkdir "$tmp/outside"
ask_outside hello.raku
case $answer in
    *"Request number 1"*) ;;
    *) fail "hello.raku answered without its counter: $answer" ;;
esac
# timeout(1) is the app's parent: the library is mapped in its child.
raku_pid=
for stat in /proc/[0-9]*/stat; do
    read -r pid comm state ppid rest < "$stat" 2>/dev/null || continue
    [ "$ppid" = "$app_pid" ] && raku_pid=$pid
done
[ -n "$raku_pid" ] || fail "hello.raku's process (a child of $app_pid) not found"
maps=$(cat /proc/"$raku_pid"/maps)
case $maps in
    *"$prefix/$libdir/libffcgi.so.1"*) ;;
    *) fail "hello.raku did not load the installed $prefix/$libdir/libffcgi.so.1" ;;
esac
stop_app hello.raku

echo "== examples/hello_psgi.raku (FastCGI::NativeCall::PSGI) from outside the tree, likewise"
ask_outside hello_psgi.raku
case $answer in
    *"Set-Cookie: a=1"*"Set-Cookie: b=2"*"Request number 1"*) ;;
    *) fail "hello_psgi.raku answered without its cookies and counter: $answer" ;;
esac
stop_app hello_psgi.raku
echo "raku_zef_install: OK"
