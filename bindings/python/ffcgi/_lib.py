"""The compiled cffi module, checked against the ABI it was generated for.

Every other module uses `ffi` and `lib` from here. cffi releases the GIL
around each call into libffcgi (out-of-line API mode does so for every
function unless told otherwise, and ffcgi_build.py never tells it
otherwise), so blocking calls (accept, read, write) let other Python threads
run.
"""
from typing import Any

from ._cdef import ABI_VERSION

try:
    from ._ffcgi import ffi, lib
except ImportError as error:
    raise ImportError(
        f"ffcgi cannot load its compiled part ffcgi._ffcgi ({error}). Build it with CMake "
        "(and run through build/devenv), or install the package with pip; libffcgi.so.1 must "
        "be on the library search path (LD_LIBRARY_PATH for a non-system prefix)") from error


def check_abi(loaded: Any, expected: int = ABI_VERSION) -> None:
    """Raises ImportError unless the loaded libffcgi (``loaded``, the cffi
    ``lib``) has the ABI version this package was generated for."""
    found = loaded.ffcgi_abi_version()
    if found != expected:
        version = ffi.string(loaded.ffcgi_version_string()).decode()
        raise ImportError(
            f"the loaded libffcgi has ABI version {found} ({version}), but this ffcgi package "
            f"was generated for ABI version {expected}: install matching versions")


check_abi(lib)

__all__ = ["check_abi", "ffi", "lib"]
