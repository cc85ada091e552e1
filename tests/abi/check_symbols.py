#!/usr/bin/python3
"""check_symbols.py LIBRARY HEADER MAP SYMBOLS — proves the exported ABI of LIBRARY
is exactly the FFCGI_API functions declared in HEADER: every exported symbol
starts with ffcgi_ and is declared, every declared function is exported,
and the soname is libffcgi.so.<ABI>. And that the linker script MAP has one
version node per minor version, FFCGI_<ABI>.0 up to the header's minor, each
inheriting the one before; that it names every declared function exactly
once and nothing else (no pattern: a function is placed by hand); and that
each exported symbol carries the node MAP gives it (README.md, "ABI
policy"). That every enum of HEADER has a name (the ABI check follows
enums by name). And that SYMBOLS, the Debian symbols file of libffcgi1,
lists exactly the map's nodes and functions, each with the node the map
gives it."""
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
    unnamed_enums = len(re.findall(r"\benum\s*\{", code))
    return set(names), defines, unnamed_enums


def debian_symbols(path):
    """{name: node} of the symbol lines of a Debian symbols file
    (" name@node minimal-version"), version nodes included."""
    with open(path, encoding="utf-8") as f:
        return dict(re.findall(r"^ ([\w.]+)@(FFCGI_[\d.]+) \S+", f.read(), flags=re.M))


def check_debian_symbols(path, nodes, placed):
    """Errors of the symbols file against the map's nodes and functions."""
    listed = debian_symbols(path)
    want = dict(placed, **{node: node for node, _, _ in nodes})
    name = os.path.basename(path)
    errors = [f"{name} lacks {n}@{want[n]}" for n in sorted(want.keys() - listed.keys())]
    errors += [f"{name} lists {n}@{listed[n]}, which the map does not export"
               for n in sorted(listed.keys() - want.keys())]
    errors += [f"{name} lists {n}@{listed[n]}, the map gives {want[n]}"
               for n in sorted(want.keys() & listed.keys()) if listed[n] != want[n]]
    return errors


def map_nodes(path):
    """[(node, [names], parent)] of the version script MAP, in file order."""
    with open(path, encoding="utf-8") as f:
        text = re.sub(r"/\*.*?\*/", " ", f.read(), flags=re.S)
    nodes = []
    for node, body, parent in re.findall(r"([\w.]+)\s*\{(.*?)\}\s*([\w.]*)\s*;", text, flags=re.S):
        globals_ = body.split("local:")[0].replace("global:", "")
        names = [n.strip() for n in globals_.split(";") if n.strip()]
        nodes.append((node, names, parent or None))
    return nodes


def check_map(nodes, declared, abi, minor):
    """Errors of the version script; and {function: node} it gives."""
    errors, placed = [], {}
    want = [f"FFCGI_{abi}.{m}" for m in range(int(minor) + 1)]
    if [n for n, _, _ in nodes] != want:
        errors.append(f"version nodes are {[n for n, _, _ in nodes]}, want {want} "
                      "(one per minor version, in order)")
    for i, (node, names, parent) in enumerate(nodes):
        if parent != (nodes[i - 1][0] if i else None):
            errors.append(f"node {node} inherits {parent}, want the node before it")
        for name in names:
            if not re.fullmatch(r"ffcgi_\w+", name):
                errors.append(f"node {node} lists {name!r}: only function names, no patterns")
            elif name in placed:
                errors.append(f"{name} is listed in {placed[name]} and again in {node}")
            else:
                placed[name] = node
    for name in sorted(declared - placed.keys()):
        errors.append(f"declared FFCGI_API but in no version node of the map: {name}")
    for name in sorted(placed.keys() - declared):
        errors.append(f"in version node {placed[name]} but not declared FFCGI_API: {name}")
    return errors, placed


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


def main(lib, header, version_script, symbols_file):
    declared, defines, unnamed_enums = header_facts(header)
    abi, minor = defines["FFCGI_ABI_VERSION"], defines["FFCGI_VERSION_MINOR"]
    symbols, absolute, errors = exported(lib)
    nodes = map_nodes(version_script)
    map_errors, placed = check_map(nodes, declared, abi, minor)
    errors += map_errors
    errors += check_debian_symbols(symbols_file, nodes, placed)
    if unnamed_enums:
        errors.append(f"{header} has {unnamed_enums} enum(s) without a name: name each "
                      "(the ABI check follows an enum by its name)")
    if not declared:
        errors.append(f"no FFCGI_API declarations found in {header}")
    for sym, node in sorted(symbols.items()):
        if not sym.startswith("ffcgi_"):
            errors.append(f"exported symbol outside the ffcgi_ namespace: {sym}")
        elif sym not in declared:
            errors.append(f"exported but not declared FFCGI_API in the header: {sym}")
        if sym in placed and node != placed[sym]:
            errors.append(f"{sym} has version node {node}, the map gives {placed[sym]}")
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
        print(f"abi_symbols: {len(symbols)} symbols exported = declared = mapped, "
              f"version nodes FFCGI_{abi}.0 to FFCGI_{abi}.{minor}, as in "
              f"{os.path.basename(symbols_file)}; soname {want}")
    return 1 if errors else 0


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(f"usage: {sys.argv[0]} LIBRARY HEADER MAP SYMBOLS")
    sys.exit(main(*sys.argv[1:]))
