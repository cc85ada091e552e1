#!/usr/bin/python3
"""test_check_abi.py FRESH — the test of check_abi.py: against copies of the
ABI dump FRESH, each edited as if the library had broken (or extended) its
ABI since that baseline, check_abi.py compare must fail naming the change,
or pass and report the addition. Every case runs; the failures are listed
at the end."""
import os
import re
import subprocess
import sys
import tempfile

CHECK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "check_abi.py")


def without_function(abi, name):
    """The dump with no trace of function `name` (symbol and declarations)."""
    abi = re.sub(rf"\s*<elf-symbol name='{name}' [^>]*/>", "", abi)
    return re.sub(rf"\s*<function-decl name='{name}' .*?</function-decl>", "", abi, flags=re.S)


def with_extra_function(abi, model, name):
    """The dump with `name`, a copy of function `model`, also exported."""
    symbol = re.search(rf"\s*<elf-symbol name='{model}' [^>]*/>", abi).group(0)
    decl = re.search(rf"\s*<function-decl name='{model}' [^>]*elf-symbol-id=.*?</function-decl>",
                     abi, flags=re.S).group(0)
    abi = replace_once(abi, symbol, symbol + symbol.replace(model, name))
    return replace_once(abi, decl, decl + decl.replace(model, name))


def enumerator_renumbered(abi):
    return replace_once(abi, "<enumerator name='FFCGI_EINVAL' value='-1'/>",
                        "<enumerator name='FFCGI_EINVAL' value='-20'/>")


def enumerator_removed(abi):
    """The baseline without FFCGI_ELIMIT: the library has added it."""
    return replace_once(abi, "<enumerator name='FFCGI_ELIMIT' value='-17'/>", "")


def enumerator_gone(abi):
    """The baseline with FFCGI_EGONE after FFCGI_EFILE: the library dropped it."""
    return replace_once(abi, "<enumerator name='FFCGI_EFILE' value='-19'/>",
                        "<enumerator name='FFCGI_EFILE' value='-19'/>"
                        "<enumerator name='FFCGI_EGONE' value='-99'/>")


def with_extra_symbol(abi, model, name):
    """The dump with `name` exported as a symbol that no debug information
    describes (an assembler function, say), a copy of `model`'s symbol."""
    symbol = re.search(rf"\s*<elf-symbol name='{model}' [^>]*/>", abi).group(0)
    return replace_once(abi, symbol, symbol + symbol.replace(model, name))


def parameter_type_changed(abi):
    """ffcgi_strerror(int) recorded as ffcgi_strerror(long int)."""
    long_id = re.search(r"<type-decl name='long int' [^>]*id='(type-id-\d+)'", abi).group(1)
    decl = re.search(r"<function-decl name='ffcgi_strerror' [^>]*elf-symbol-id=.*?</function-decl>",
                     abi, flags=re.S).group(0)
    changed = re.sub(r"(<parameter type-id=')type-id-\d+'", rf"\g<1>{long_id}'", decl, count=1)
    return replace_once(abi, decl, changed)


def symbol_version_changed(abi):
    """ffcgi_respond recorded in node FFCGI_1.2 (it is in FFCGI_1.3)."""
    abi = replace_once(abi, "<elf-symbol name='ffcgi_respond' version='FFCGI_1.3'",
                       "<elf-symbol name='ffcgi_respond' version='FFCGI_1.2'")
    return replace_once(abi, "elf-symbol-id='ffcgi_respond@@FFCGI_1.3'",
                        "elf-symbol-id='ffcgi_respond@@FFCGI_1.2'")


def replace_once(text, old, new):
    if text.count(old) != 1:
        raise AssertionError(f"the dump does not hold exactly one {old!r}")
    return text.replace(old, new)


NODE_1_3 = ("ffcgi_accept_env", "ffcgi_head_check", "ffcgi_respond")

# (name, edit of the baseline, expected exit status, texts the output must hold)
CASES = [
    ("the same ABI passes", lambda a: a, 0,
     ["the ABI is the baseline's"]),
    ("a renumbered enumerator fails", enumerator_renumbered, 1,
     ["types of ffcgi.h: 0 removed, 1 changed", "FFCGI_EINVAL", "from value '-20' to '-1'"]),
    ("an added enumerator passes", enumerator_removed, 0, ["FFCGI_ELIMIT"]),
    ("an enumerator gone from the library fails", enumerator_gone, 1,
     ["types of ffcgi.h", "FFCGI_EGONE"]),
    ("a removed function fails", lambda a: with_extra_function(a, "ffcgi_version", "ffcgi_gone"), 1,
     ["functions: 1 removed", "ffcgi_gone"]),
    ("a removed symbol without debug information fails",
     lambda a: with_extra_symbol(a, "ffcgi_version", "ffcgi_bare"), 1,
     ["function symbols without debug information: 1 removed", "ffcgi_bare"]),
    ("a changed parameter type fails", parameter_type_changed, 1,
     ["functions: 0 removed, 1 changed", "ffcgi_strerror", "parameter 1"]),
    ("a changed symbol version fails", symbol_version_changed, 1,
     ["functions: 1 removed", "ffcgi_respond@@FFCGI_1.2"]),
    ("functions added in a new version node pass and are reported",
     lambda a: without_function(without_function(without_function(a, NODE_1_3[0]),
                                                 NODE_1_3[1]), NODE_1_3[2]), 0,
     ["3 function(s) added", "ffcgi_respond@@FFCGI_1.3", "ffcgi_accept_env@@FFCGI_1.3"]),
    ("a function added to a node the baseline has fails",
     lambda a: without_function(a, "ffcgi_respond"), 1,
     ["ffcgi_respond was added to FFCGI_1.3, a version node the baseline already has"]),
]


def main(fresh):
    with open(fresh, encoding="utf-8") as f:
        abi = f.read()
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, edit, want_status, want_texts) in enumerate(CASES):
            baseline = os.path.join(tmp, f"baseline{i}.abi")
            with open(baseline, "w", encoding="utf-8") as f:
                f.write(edit(abi))
            r = subprocess.run([sys.executable, CHECK, "compare", baseline, fresh],
                               capture_output=True, text=True)
            output = r.stdout + r.stderr
            missing = [t for t in want_texts if t not in output]
            if r.returncode != want_status or missing:
                failures.append(f"{name}: exit {r.returncode} (want {want_status}), "
                                f"missing {missing}\n{output}")
            else:
                print(f"ok: {name}")
    for f in failures:
        print(f"test_check_abi: FAIL: {f}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} FRESH-ABI-DUMP")
    sys.exit(main(sys.argv[1]))
