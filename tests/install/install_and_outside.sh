#!/bin/sh
# install_and_outside.sh CMAKE BUILD_DIR LIBDIR OUTSIDE_DIR
# Proves an installed libffcgi is usable from outside its tree:
# `cmake --install` into a temporary prefix lays out the header, the library,
# ffcgi.pc and the CMake package; OUTSIDE_DIR (examples/outside) builds
# against that prefix with find_package() and with pkg-config (its Makefile);
# each binary loads the installed library, prints the header's version and
# answers a real FastCGI request sent by Debian's cgi-fcgi.
set -eu

if [ $# -ne 4 ]; then
    echo "usage: $0 CMAKE BUILD_DIR LIBDIR OUTSIDE_DIR" >&2
    exit 2
fi
cmake=$1 build=$2 libdir=$3 outside=$4

test_name=install_and_outside_project
. "$(dirname "$0")/lib.sh"
prefix=$tmp/prefix

echo "== cmake --install $build --prefix $prefix"
timeout 60 "$cmake" --install "$build" --prefix "$prefix" || fail "cmake --install failed"
for f in include/ffcgi.h "$libdir/libffcgi.so.1" "$libdir/pkgconfig/ffcgi.pc" \
         "$libdir/cmake/ffcgi/ffcgiConfig.cmake" \
         "$libdir/cmake/ffcgi/ffcgiConfigVersion.cmake" \
         share/man/man1/ffcgi-supervisor.1; do
    [ -f "$prefix/$f" ] || fail "not installed: $f"
done
version=$(awk '$1 == "#define" { d[$2] = $3 }
    END { print d["FFCGI_VERSION_MAJOR"] "." d["FFCGI_VERSION_MINOR"] "." d["FFCGI_VERSION_PATCH"] }' \
    "$prefix/include/ffcgi.h")

echo "== outside project with find_package(ffcgi 1) and CMAKE_PREFIX_PATH"
timeout 120 "$cmake" -S "$outside" -B "$tmp/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" \
    || fail "configuring $outside failed"
grep -qx "ffcgi_DIR:PATH=$prefix/$libdir/cmake/ffcgi" "$tmp/cmake-build/CMakeCache.txt" \
    || fail "find_package(ffcgi) did not find the package installed in $prefix"
timeout 120 "$cmake" --build "$tmp/cmake-build" || fail "building $outside with CMake failed"

echo "== outside project with its Makefile and pkg-config"
mkdir "$tmp/make-build"
PKG_CONFIG_PATH=$prefix/$libdir/pkgconfig timeout 120 \
    make -C "$tmp/make-build" -f "$outside/Makefile" VPATH="$outside" \
    || fail "building $outside with pkg-config failed"

export LD_LIBRARY_PATH="$prefix/$libdir"
for app in "$tmp/cmake-build/app" "$tmp/make-build/app"; do
    echo "== $app"
    ldd "$app" | grep -q "libffcgi.so.1 => $prefix/$libdir/libffcgi.so.1 " \
        || fail "$app does not load the installed libffcgi.so.1"
    got=$(timeout 10 "$app" --version) || fail "$app --version failed"
    [ "$got" = "$version" ] || fail "$app --version printed '$got', the header says $version"

    sock=$tmp/s.sock
    timeout --foreground -k 5 60 "$app" --socket "$sock" &
    app_pid=$!
    wait_for_socket "$sock" "$app" 10
    answer=$(REQUEST_METHOD=GET SCRIPT_NAME=/ timeout 10 cgi-fcgi -bind -connect "$sock" </dev/null) \
        || fail "cgi-fcgi could not query $app"
    case $answer in
        *"Hello from outside"*) ;;
        *) fail "$app answered without the greeting: $answer" ;;
    esac
    stop_app "$app"
    [ ! -e "$sock" ] || fail "$app left its socket file $sock behind"
done
echo "install_and_outside_project: OK (version $version)"
