#!/usr/bin/python3
"""check_symbols.py LIBRARY HEADER — proves the exported ABI of LIBRARY is
exactly the FFCGI_API functions declared in HEADER: every exported symbol
starts with ffcgi_ and is declared, every declared function is exported,
each carries the version node FFCGI_<ABI>.0 of the linker script, and the
soname is libffcgi.so.<ABI>."""
import os
import re
import subprocess
import sys


def run(*cmd):
    env = dict(os.environ, LC_ALL="C")  # untranslated readelf output
    return subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout


def header_facts(path):
    """The FFCGI_API function names and the #define'd numbers of HEADER."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    text = re.sub(r"/\*.*?\*/|//[^\n]*", " ", text, flags=re.S)
    defines = dict(re.findall(r"^\s*#\s*define\s+(\w+)\s+(\d+)\s*$", text, flags=re.M))
    code = re.sub(r"^\s*#[^\n]*", "", text, flags=re.M)
    names = re.findall(r"\bFFCGI_API\b[^;{}()]*?\b(\w+)\s*\(", code)
    return set(names), defines


def exported(lib):
    """{symbol: version node} of the defined dynamic symbols, the absolute
    (type A) symbols, which version nodes are, and the unversioned ones."""
    symbols, absolute, errors = {}, set(), []
    for line in run("nm", "-D", "--defined-only", lib).splitlines():
        kind, name = line.split()[-2:]
        if kind == "A":
            absolute.add(name)
        elif "@@" in name:
            sym, node = name.split("@@")
            symbols[sym] = node
        else:
            errors.append(f"exported symbol without a default version node: {name}")
    return symbols, absolute, errors


def main(lib, header):
    declared, defines = header_facts(header)
    abi = defines["FFCGI_ABI_VERSION"]
    symbols, absolute, errors = exported(lib)
    if not declared:
        errors.append(f"no FFCGI_API declarations found in {header}")
    for sym, node in sorted(symbols.items()):
        if not sym.startswith("ffcgi_"):
            errors.append(f"exported symbol outside the ffcgi_ namespace: {sym}")
        elif sym not in declared:
            errors.append(f"exported but not declared FFCGI_API in the header: {sym}")
        if node != f"FFCGI_{abi}.0":
            errors.append(f"{sym} has version node {node}, want FFCGI_{abi}.0")
    for name in sorted(absolute):
        if not re.fullmatch(r"FFCGI_\d+\.\d+", name):
            errors.append(f"unexpected absolute symbol: {name}")
    for sym in sorted(declared - symbols.keys()):
        errors.append(f"declared FFCGI_API but not exported: {sym}")
    soname = re.search(r"\(SONAME\)\s+Library soname: \[([^]]+)\]", run("readelf", "-d", lib))
    want = f"libffcgi.so.{abi}"
    if not soname or soname.group(1) != want:
        errors.append(f"soname is {soname.group(1) if soname else 'missing'}, want {want}")
    for e in errors:
        print(f"abi_symbols: FAIL: {e}", file=sys.stderr)
    if not errors:
        print(f"abi_symbols: {len(symbols)} symbols exported = declared, all FFCGI_{abi}.0; soname {want}")
    return 1 if errors else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(f"usage: {sys.argv[0]} LIBRARY HEADER")
    sys.exit(main(sys.argv[1], sys.argv[2]))
