#!/usr/bin/python3
"""check_manpage.py SUPERVISOR MANPAGE HEADER — the manual page of
ffcgi-supervisor documents exactly the options its --help lists, and
names the version of include/ffcgi.h."""
import re
import subprocess
import sys


def main(supervisor, manpage, header):
    usage = subprocess.run([supervisor, "--help"], check=True, capture_output=True,
                           text=True).stdout
    in_help = set(re.findall(r"^\s+(--[a-z-]+)", usage, flags=re.M))
    with open(manpage, encoding="utf-8") as f:
        page = f.read()
    options = re.search(r"^\.SH OPTIONS$(.*?)^\.SH ", page, flags=re.M | re.S)
    if not options:
        print("supervisor_manpage: FAIL: the manual page has no OPTIONS section", file=sys.stderr)
        return 1
    in_page = {name.replace("\\-", "-") for name in
               re.findall(r"^\.B[IR]? (\\-\\-[a-z\\-]+)", options.group(1), flags=re.M)}
    with open(header, encoding="utf-8") as f:
        d = dict(re.findall(r"^#define FFCGI_VERSION_(MAJOR|MINOR|PATCH) (\d+)", f.read(), flags=re.M))
    version = f"{d['MAJOR']}.{d['MINOR']}.{d['PATCH']}"
    errors = [f"--help lists {o}, the manual page does not" for o in sorted(in_help - in_page)]
    errors += [f"the manual page documents {o}, --help does not list it" for o in sorted(in_page - in_help)]
    title = re.search(r"^\.TH .*$", page, flags=re.M)
    if not title or f'"ffcgi {version}"' not in title.group(0):
        errors.append(f'the manual page\'s .TH line does not name "ffcgi {version}"')
    for e in errors:
        print(f"supervisor_manpage: FAIL: {e}", file=sys.stderr)
    if not errors:
        print(f"supervisor_manpage: {len(in_help)} options in both, version {version}")
    return 1 if errors else 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(f"usage: {sys.argv[0]} SUPERVISOR MANPAGE HEADER")
    sys.exit(main(*sys.argv[1:]))
