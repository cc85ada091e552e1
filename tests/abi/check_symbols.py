#!/usr/bin/python3
"""check_symbols.py LIBRARY HEADER — proves the exported ABI of LIBRARY is
exactly the FFCGI_API functions declared in HEADER: every exported symbol
starts with ffcgi_ and is declared, every declared function is exported,
each carries a version node FFCGI_<ABI>.<n> no newer than the header, and
the soname is libffcgi.so.<ABI>."""
import re
import subprocess
import sys


def run(*cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


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
    """{symbol: version node} of the defined dynamic symbols, and the nodes."""
    symbols, nodes, errors = {}, set(), []
    for line in run("nm", "-D", "--defined-only", lib).splitlines():
        kind, name = line.split()[-2:]
        if kind == "A":
            nodes.add(name)
        elif "@@" in name:
            sym, node = name.split("@@")
            symbols[sym] = node
        else:
            errors.append(f"exported symbol without a default version node: {name}")
    return symbols, nodes, errors


def main(lib, header):
    declared, defines = header_facts(header)
    abi, minor = defines["FFCGI_ABI_VERSION"], int(defines["FFCGI_VERSION_MINOR"])
    symbols, nodes, errors = exported(lib)
    if not declared:
        errors.append(f"no FFCGI_API declarations found in {header}")
    for sym, node in sorted(symbols.items()):
        if not sym.startswith("ffcgi_"):
            errors.append(f"exported symbol outside the ffcgi_ namespace: {sym}")
        elif sym not in declared:
            errors.append(f"exported but not declared FFCGI_API in the header: {sym}")
        m = re.fullmatch(rf"FFCGI_{abi}\.(\d+)", node)
        if not m or int(m.group(1)) > minor or node not in nodes:
            errors.append(f"{sym} has version node {node}, not FFCGI_{abi}.0..{minor}")
    for name in sorted(nodes):
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
        print(f"abi_symbols: {len(symbols)} symbols exported = declared; soname {want}")
    return 1 if errors else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(f"usage: {sys.argv[0]} LIBRARY HEADER")
    sys.exit(main(sys.argv[1], sys.argv[2]))
