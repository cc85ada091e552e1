#!/bin/sh
# run_sanitized.sh SOURCE_DIR BUILD_DIR build
# run_sanitized.sh SOURCE_DIR BUILD_DIR test MAIN_BUILD_DIR PYTHON
# run_sanitized.sh SOURCE_DIR BUILD_DIR fuzz TARGET SECONDS
#   build: configures and builds the project with clang, AddressSanitizer,
#          UndefinedBehaviorSanitizer and libFuzzer (FFCGI_FUZZ) in BUILD_DIR;
#   test:  runs the C tests and the libfcgi-defect cases in that build, then
#          the conformance suite against its (sanitized) C echo, driven from
#          the main build: any sanitizer report fails them (halt_on_error,
#          leak detection on). The memory-growth checks of c_faults are off
#          (ASan's quarantine grows the heap) and the 1,000,000-request soak
#          is left to the main build;
#   fuzz:  runs TARGET (fuzz_connection, fuzz_parser) for SECONDS on a copy of the seed corpus.
set -eu
src=$1 build=$2 what=$3
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
case $what in
build)
    cmake -S "$src" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DFFCGI_FUZZ=ON -DFFCGI_WERROR=ON -DFFCGI_BUILD_BINDINGS=OFF >/dev/null
    cmake --build "$build" --parallel 2 ;;
test)
    main=$4 python=$5
    FFCGI_TEST_SKIP_RSS=1 ctest --test-dir "$build" --output-on-failure -j2 \
        -R '^(c_|guard_|tools_|client_)' -E 'fails_on_raw_libfcgi|load_and_soak'
    "$python" "$src/tests/conformance/driver.py" --build-dir "$build" \
        --client-lib "$main/tests/conformance/libconformance_client.so" --python "$python" \
        --language c --transport unix --threads 4 --deadline 400 ;;
fuzz)
    target=$4
    seconds=$5
    corpus=$(mktemp -d /tmp/ffcgi-fuzz-XXXXXX)
    trap 'rm -rf "$corpus"' EXIT
    cp "$src"/tests/fuzz/corpus/* "$corpus"/
    "$build/tests/fuzz/$target" -max_total_time="$seconds" -max_len=65536 \
        -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 "$corpus" ;;
*)
    echo "usage: $0 SOURCE_DIR BUILD_DIR build | test MAIN_BUILD_DIR PYTHON | fuzz TARGET SECONDS" >&2
    exit 2 ;;
esac
