#!/usr/bin/python3
"""Generates the binding declarations from include/ffcgi.h, the one source.

    /usr/bin/python3 bindings/gen/generate.py          # rewrite the generated files
    /usr/bin/python3 bindings/gen/generate.py --check  # exit 1 if any is out of date

It reads the block between the "ffcgi:begin declarations" and "ffcgi:end
declarations" comments of the header and writes
  bindings/python/ffcgi/_cdef.py                      the cffi cdef
  bindings/raku/lib/FastCGI/NativeCall/Raw.rakumod    the NativeCall subs
Both are committed, so installing a binding needs no generator. Anything in the
header this generator does not understand stops it with an error naming the
declaration, rather than being skipped.
"""
import argparse
import difflib
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEADER = ROOT / "include" / "ffcgi.h"
PYTHON_OUT = ROOT / "bindings" / "python" / "ffcgi" / "_cdef.py"
RAKU_OUT = ROOT / "bindings" / "raku" / "lib" / "FastCGI" / "NativeCall" / "Raw.rakumod"
REGENERATE = "/usr/bin/python3 bindings/gen/generate.py"


class HeaderError(Exception):
    pass


def declaration_block(text):
    match = re.search(r"/\* ffcgi:begin declarations.*?\*/(.*)/\* ffcgi:end declarations \*/",
                      text, re.S)
    if not match:
        raise HeaderError("the ffcgi:begin/end declarations markers are missing")
    return re.sub(r"/\*.*?\*/", " ", match.group(1), flags=re.S)


def parse(text):
    """Returns (version, abi_version, enums, handles, functions) of the header."""
    abi = re.search(r"#define FFCGI_ABI_VERSION (\d+)", text)
    version = [re.search(rf"#define FFCGI_VERSION_{part} (\d+)", text)
               for part in ("MAJOR", "MINOR", "PATCH")]
    if not abi or not all(version):
        raise HeaderError("FFCGI_ABI_VERSION or an FFCGI_VERSION_* macro is not defined")
    enums, handles, functions = [], [], []
    for statement in declaration_block(text).split(";"):
        s = " ".join(statement.split())
        if not s:
            continue
        if m := re.fullmatch(r"enum (\w+) \{(.*)\}", s):
            members = [tuple(x.strip() for x in item.split("="))
                       for item in m.group(2).split(",") if item.strip()]
            if any(len(member) != 2 for member in members):
                raise HeaderError(f"enum {m.group(1)}: every member needs an explicit value")
            enums.append((m.group(1), [(n, int(v)) for n, v in members]))
        elif m := re.fullmatch(r"typedef struct (\w+) (\w+)", s):
            if m.group(1) != m.group(2):
                raise HeaderError(f"handle typedef {s!r}: struct and type names differ")
            handles.append(m.group(1))
        elif m := re.fullmatch(r"FFCGI_API (.+?)\s*\b(\w+)\((.*)\)", s):
            params = [] if m.group(3) == "void" else [split_param(p, s) for p in m.group(3).split(",")]
            functions.append((m.group(2), m.group(1).replace(" *", "*").strip(), params))
        else:
            raise HeaderError(f"cannot understand the declaration {s!r}")
    return ".".join(v.group(1) for v in version), int(abi.group(1)), enums, handles, functions


def split_param(param, statement):
    m = re.fullmatch(r"(.+?)\s*\b(\w+)", param.strip())
    if not m:
        raise HeaderError(f"parameter {param!r} of {statement!r} has no name")
    c_type = re.sub(r"\s*\*", "*", m.group(1).strip())
    return c_type, m.group(2)


def c_typed(c_type, name):
    """"const char**", "name" -> "const char **name"."""
    base = c_type.rstrip("*")
    return f"{base} {'*' * (len(c_type) - len(base))}{name}"


def c_declarations(enums, handles, functions):
    lines = []
    for name, members in enums:
        lines.append(f"enum {name} {{")
        lines += [f"    {member} = {value}," for member, value in members]
        lines.append("};")
    lines += [f"typedef struct {h} {h};" for h in handles]
    for name, ret, params in functions:
        args = ", ".join(c_typed(t, n) for t, n in params) or "void"
        lines.append(f"{c_typed(ret, name)}({args});")
    return "\n".join(lines)


def python_module(version, abi, enums, handles, functions):
    return (
        f'"""cffi declarations of libffcgi. Generated from include/ffcgi.h by\n'
        f'bindings/gen/generate.py: do not edit; run `{REGENERATE}`."""\n\n'
        f'VERSION = "{version}"\n'
        f"ABI_VERSION = {abi}\n\n"
        f'CDEF = """\n{c_declarations(enums, handles, functions)}\n"""\n')


# How each C type crosses NativeCall (rakudo's NativeCall, checked against
# what it really does, not what reads well):
#  - A handle `T *` is the typed CPointer class. A handle out-parameter
#    `T **` is a one-element CArray[T]: NativeCall does not write back into
#    an `is rw` parameter of a CPointer type (the variable keeps its type
#    object), but it does read a pointer the callee stored in a CArray.
#  - `size_t *` is `size_t is rw` (native integer out-parameters do work).
#  - Every other `const char **` is a CArray[Pointer]: a CArray[Str] decodes
#    the bytes as strict UTF-8 when read and dies on anything else, and the
#    strings here are bytes (params, a packed env with NULs inside).
#  - Buffers (`void *`, `const void *`, or `const char *` with a length
#    parameter after it) are Blobs: NativeCall passes the address of the
#    Blob's storage, which the callee reads or fills.
#  - Returned `const char *` is a Pointer: the strings are borrowed bytes
#    (an env value, a detail naming a path) that a Str return would decode
#    as strict UTF-8, dying on anything else; the binding copies and decodes.
RAKU_PARAMS = {"int": "int32", "int64_t": "int64", "size_t": "size_t", "char*": "Blob",
               "const char*": "Str", "void*": "Blob", "const void*": "Blob",
               "size_t*": "size_t", "const char**": "CArray[Pointer]"}
RAKU_BYTES = {"const char*": "Blob"}
RAKU_RETURNS = {"int": "int32", "int64_t": "int64", "size_t": "size_t", "const char*": "Pointer"}


def raku_param(c_type, name, handles, next_param):
    base = c_type.replace("const ", "")
    if base.rstrip("*") in handles:
        handle, depth = base.rstrip("*"), base.count("*")
        if depth == 1:
            return f"{handle} ${name}"
        if depth == 2:
            return f"CArray[{handle}] ${name}"
    raku_name = name.replace("_", "-")
    has_length = next_param is not None and next_param[0] in ("size_t", "size_t*") \
        and next_param[1].endswith("len")
    if has_length and c_type in RAKU_BYTES:
        return f"{RAKU_BYTES[c_type]} ${raku_name}"
    if c_type in RAKU_PARAMS:
        rw = " is rw" if c_type == "size_t*" else ""
        return f"{RAKU_PARAMS[c_type]} ${raku_name}{rw}"
    raise HeaderError(f"no NativeCall mapping for the C type {c_type!r} ({name})")


def raku_return(c_type):
    """The return part of a signature; it goes inside the parentheses."""
    if c_type == "void":
        return ""
    if c_type in RAKU_RETURNS:
        return f"--> {RAKU_RETURNS[c_type]}"
    raise HeaderError(f"no NativeCall mapping for the return type {c_type!r}")


def raku_module(version, abi, enums, handles, functions):
    out = [
        "# The raw NativeCall declarations of libffcgi. Generated from include/ffcgi.h",
        f"# by bindings/gen/generate.py: do not edit; run `{REGENERATE}`.",
        "unit module FastCGI::NativeCall::Raw;",
        "",
        "use NativeCall;",
        "",
        "# The library: $FFCGI_LIBRARY if set (build/devenv sets it), else libffcgi",
        f"# of ABI version {abi} from the system's library path. A sub, not a constant,",
        "# so the choice is made at run time and not frozen at precompilation.",
        "# Not exported: FastCGI::NativeCall::Raw::library names it.",
        "our sub library {",
        f"    %*ENV<FFCGI_LIBRARY> || $*VM.platform-library-name('ffcgi'.IO, :version(v{abi})).Str",
        "}",
        "",
        f"constant FFCGI_ABI_VERSION is export = {abi};",
        f"constant FFCGI_BINDING_VERSION is export = v{version};",
        "",
    ]
    for name, members in enums:
        out.append(f"enum {name} is export (")
        out += [f"    {member} => {value}," for member, value in members]
        out += [");", ""]
    out += [f"class {h} is repr('CPointer') is export {{ }}" for h in handles]
    out.append("")
    for name, ret, params in functions:
        following = params[1:] + [None]
        args = [raku_param(t, n, handles, nxt) for (t, n), nxt in zip(params, following)]
        signature = ", ".join(args) + (" " if args and ret != "void" else "") + raku_return(ret)
        out.append(f"sub {name}({signature}) is native(&library) is export {{ * }}")
    return "\n".join(out) + "\n"


def outputs():
    parsed = parse(HEADER.read_text())
    return {PYTHON_OUT: python_module(*parsed), RAKU_OUT: raku_module(*parsed)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="compare with the committed files instead of writing them")
    args = parser.parse_args()
    try:
        generated = outputs()
    except HeaderError as e:
        sys.exit(f"generate.py: {HEADER}: {e}")
    stale = []
    for path, text in generated.items():
        current = path.read_text() if path.exists() else ""
        if current == text:
            continue
        if args.check:
            stale.append(path)
            sys.stdout.writelines(difflib.unified_diff(
                current.splitlines(True), text.splitlines(True),
                str(path.relative_to(ROOT)), "regenerated"))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print(f"wrote {path.relative_to(ROOT)}")
    if stale:
        names = ", ".join(str(p.relative_to(ROOT)) for p in stale)
        sys.exit(f"out of date with include/ffcgi.h: {names}\nregenerate with: {REGENERATE}")


if __name__ == "__main__":
    main()
