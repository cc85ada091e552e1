"""Builds the compiled part of the package, ffcgi._ffcgi, with cffi's
out-of-line API mode: a C extension checked by the C compiler against
<ffcgi.h>. The declarations come from ffcgi/_cdef.py, which
bindings/gen/generate.py writes from the header.

Where libffcgi is found, in order:
  FFCGI_INCLUDE_DIR / FFCGI_LIBRARY_DIR   (the CMake build tree sets these,
                                           and the library dir becomes an rpath)
  pkg-config ffcgi                        (an installed libffcgi)
  the compiler's default paths

    python3 ffcgi_build.py OUTPUT-DIR     # build ffcgi/_ffcgi*.so under OUTPUT-DIR
setup.py uses `ffibuilder` through cffi's setuptools hook (cffi_modules).
"""
import os
import runpy
import shlex
import subprocess
import sys

from cffi import FFI

HERE = os.path.dirname(os.path.abspath(__file__))
DECLARATIONS = runpy.run_path(os.path.join(HERE, "ffcgi", "_cdef.py"))


def pkg_config(*args):
    try:
        out = subprocess.run(["pkg-config", *args, "ffcgi"], check=True,
                             capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return []
    return shlex.split(out)


def library_options():
    include_dir = os.environ.get("FFCGI_INCLUDE_DIR")
    library_dir = os.environ.get("FFCGI_LIBRARY_DIR")
    if include_dir and library_dir:
        return {"include_dirs": [include_dir], "library_dirs": [library_dir],
                "runtime_library_dirs": [library_dir]}
    cflags, libs = pkg_config("--cflags"), pkg_config("--libs")
    return {"include_dirs": [f[2:] for f in cflags if f.startswith("-I")],
            "library_dirs": [f[2:] for f in libs if f.startswith("-L")]}


ffibuilder = FFI()
ffibuilder.cdef(DECLARATIONS["CDEF"])
ffibuilder.set_source("ffcgi._ffcgi", "#include <ffcgi.h>", libraries=["ffcgi"],
                      **library_options())

if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} OUTPUT-DIR")
    ffibuilder.compile(tmpdir=sys.argv[1], verbose=False)
