#!/usr/bin/python3
"""check_abi.py — compares the ABI of libffcgi with the committed baseline
(tests/abi/libffcgi.so.1.abi, libabigail's XML) and applies the project's
ABI policy (README.md, "ABI policy").

    check_abi.py dump SOURCE-DIR WORK-DIR
        builds libffcgi from SOURCE-DIR into WORK-DIR/build (clang, -O0 -g:
        see below) and writes its ABI to WORK-DIR/libffcgi.so.1.abi.
    check_abi.py compare BASELINE FRESH
        passes (exit 0) when FRESH keeps every part of BASELINE's ABI, and
        reports what it adds; fails (exit 1) naming each incompatible change.
    check_abi.py update SOURCE-DIR WORK-DIR
        dump, then copy the result over SOURCE-DIR's baseline: run it when a
        version is released, and commit the file.

What fails: a function or variable removed, or changed in any way (its
parameters, its return type, a type they reach, its symbol version), and an
exported symbol removed that no debug information describes; a type
of ffcgi.h removed or changed (an enumerator's value renumbered or removed);
a function added to a version node the baseline already has (a new function
goes into a new node, FFCGI_1.<next minor>). What passes and is reported:
functions added in a new node, enumerators added.

Why clang -O0: libabigail 2.2 (Debian 12) fails to tie five of the exported
functions to their symbols in gcc's DWARF (it takes a call site's
declaration for the function), so they would be checked by symbol only.
The ABI of C declarations does not depend on the compiler or on -O.
-fno-eliminate-unused-debug-types keeps the header's enums, which no
function signature uses (the API passes int), in the debug information;
--load-all-types keeps them in the dump, and --drop-private-types with the
public header directory keeps the library's own structures opaque, as the
header declares them.
"""
import os
import re
import shutil
import subprocess
import sys

BASELINE_NAME = "libffcgi.so.1.abi"
HERE = os.path.dirname(os.path.abspath(__file__))
# Types that only a suppression may hide: those not declared in ffcgi.h
# (the C library's, the compiler's), when they are reachable from no
# function; a reachable one is compared with the function that uses it.
NON_PUBLIC_TYPES = os.path.join(HERE, "non_public_types.suppr")


def run(cmd):
    try:
        return subprocess.run(cmd, text=True, capture_output=True)
    except FileNotFoundError:
        sys.exit(f"check_abi: {cmd[0]} not found: scripts/deps installs it "
                 "(abidw and abidiff come with abigail-tools)")


def dump(source_dir, work_dir):
    """Builds the library and writes its ABI; returns the dump's path."""
    build = os.path.join(work_dir, "build")
    if configured_source(build) != os.path.realpath(source_dir):
        shutil.rmtree(build, ignore_errors=True)
    if not os.path.exists(os.path.join(build, "CMakeCache.txt")):
        configure = run(["cmake", "-S", source_dir, "-B", build,
                         "-DCMAKE_C_COMPILER=clang", "-DCMAKE_BUILD_TYPE=",
                         "-DCMAKE_C_FLAGS=-O0 -g -fstandalone-debug "
                         "-fno-eliminate-unused-debug-types",
                         "-DFFCGI_BUILD_BINDINGS=OFF", "-DFFCGI_BUILD_EXAMPLES=OFF",
                         "-DBUILD_TESTING=OFF"])
        if configure.returncode:
            sys.exit(f"check_abi: cmake failed:\n{configure.stdout}{configure.stderr}")
    built = run(["cmake", "--build", build, "--target", "ffcgi"])
    if built.returncode:
        sys.exit(f"check_abi: building libffcgi failed:\n{built.stdout}{built.stderr}")
    out = os.path.join(work_dir, BASELINE_NAME)
    abidw = run(["abidw", "--load-all-types", "--drop-private-types",
                 "--headers-dir", os.path.join(source_dir, "include"),
                 "--short-locs", "--no-corpus-path", "--no-comp-dir-path",
                 "--out-file", out, os.path.join(build, "src", "libffcgi.so.1")])
    if abidw.returncode:
        sys.exit(f"check_abi: abidw failed:\n{abidw.stdout}{abidw.stderr}")
    return out


def configured_source(build):
    """The source directory a CMake build directory was configured from, or
    None: a build of another tree must not be dumped as this one's."""
    try:
        with open(os.path.join(build, "CMakeCache.txt"), encoding="utf-8") as f:
            home = re.search(r"^CMAKE_HOME_DIRECTORY:INTERNAL=(.*)$", f.read(), flags=re.M)
    except OSError:
        return None
    return os.path.realpath(home.group(1)) if home else None


def abidiff(*args):
    """(exit status, report) of abidiff; exits on abidiff's own failure
    (bit 1: error, bit 2: usage)."""
    r = run(["abidiff", *args])
    if r.returncode & 3:
        sys.exit(f"check_abi: abidiff {' '.join(args)} failed "
                 f"(status {r.returncode}):\n{r.stdout}{r.stderr}")
    return r.returncode, r.stdout


def summary(report, what):
    """{removed, changed, added} of a summary line of an abidiff report."""
    line = re.search(rf"^{what} summary: (.*)$", report, flags=re.M)
    if not line:
        return {}
    return {kind.lower(): int(n) for n, kind in
            re.findall(r"(\d+) (Removed|Changed|Added|removed|changed|added)", line.group(1))}


def version_nodes(abi_path):
    """The version nodes of the exported functions in an ABI dump."""
    with open(abi_path, encoding="utf-8") as f:
        return set(re.findall(r"<elf-symbol name='ffcgi_\w+' version='(FFCGI_[\d.]+)'", f.read()))


def node_key(node):
    return tuple(int(p) for p in node.split("_", 1)[1].split("."))


def compare(baseline, fresh):
    """Prints the verdict; returns the exit status."""
    problems = []
    # Everything reachable from the exported functions, with no filter.
    _, reachable = abidiff(baseline, fresh)
    # The header's types that no function reaches (its enums), others hidden.
    _, unreachable = abidiff("--non-reachable-types", "--suppressions",
                             NON_PUBLIC_TYPES, baseline, fresh)
    for what in ("Functions changes", "Variables changes"):
        counts = summary(reachable, what)
        if counts.get("removed") or counts.get("changed"):
            problems.append(f"{what.split()[0].lower()}: {counts.get('removed', 0)} removed, "
                            f"{counts.get('changed', 0)} changed")
    # Symbols that no debug information describes (abidiff counts them apart).
    for what in ("Function symbols changes", "Variable symbols changes"):
        counts = summary(reachable, what)
        if counts.get("removed"):
            problems.append(f"{what.split()[0].lower()} symbols without debug information: "
                            f"{counts['removed']} removed")
    types = summary(unreachable, "Unreachable types")
    if types.get("removed") or types.get("changed"):
        problems.append(f"types of ffcgi.h: {types.get('removed', 0)} removed, "
                        f"{types.get('changed', 0)} changed")
    newest = max(version_nodes(baseline), key=node_key)
    added = re.findall(r"^\s*\[A\] 'function .*?'\s+\{(ffcgi_\w+)@@(FFCGI_[\d.]+)\}",
                       reachable, flags=re.M)
    added += re.findall(r"^\s*\[A\] (ffcgi_\w+)@@(FFCGI_[\d.]+)\s*$", reachable, flags=re.M)
    for name, node in added:
        if node_key(node) <= node_key(newest):
            problems.append(f"{name} was added to {node}, a version node the baseline "
                            f"already has (its newest is {newest}): a new function goes "
                            "into the node of the next minor version")
    if problems:
        print("check_abi: FAIL: incompatible with the baseline ABI "
              f"({os.path.basename(baseline)}):", file=sys.stderr)
        for p in problems:
            print(f"  - {p}", file=sys.stderr)
        print("\nabidiff's report:\n" + reachable + unreachable, file=sys.stderr)
        return 1
    # What abidiff counts as harmless (an enumerator added) it filters out
    # by default; --harmless shows it.
    _, harmless = abidiff("--harmless", "--non-reachable-types", "--suppressions",
                          NON_PUBLIC_TYPES, baseline, fresh)
    grown = summary(harmless, "Unreachable types")
    if added:
        print(f"check_abi: compatible; {len(added)} function(s) added: "
              + ", ".join(f"{n}@@{v}" for n, v in added))
        print(reachable)
    if grown.get("changed") or grown.get("added"):
        print("check_abi: compatible; the types of ffcgi.h grew:")
        print(harmless)
    if not (added or grown.get("changed") or grown.get("added")):
        print("check_abi: the ABI is the baseline's (nothing removed, changed or added)")
    return 0


def main(argv):
    if len(argv) == 4 and argv[1] == "dump":
        print(dump(argv[2], argv[3]))
        return 0
    if len(argv) == 4 and argv[1] == "compare":
        return compare(argv[2], argv[3])
    if len(argv) == 4 and argv[1] == "update":
        target = os.path.join(argv[2], "tests", "abi", BASELINE_NAME)
        shutil.copyfile(dump(argv[2], argv[3]), target)
        print(f"check_abi: wrote {target}")
        return 0
    sys.exit(f"usage: {argv[0]} dump SOURCE-DIR WORK-DIR | compare BASELINE FRESH | "
             "update SOURCE-DIR WORK-DIR")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
