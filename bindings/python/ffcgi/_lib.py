"""The compiled cffi module, checked against the ABI it was generated for.

Every other module uses `ffi` and `lib` from here. cffi releases the GIL
around each call into libffcgi, so blocking calls (accept, read, write) let
other Python threads run.
"""
from ._cdef import ABI_VERSION
from ._ffcgi import ffi, lib

if lib.ffcgi_abi_version() != ABI_VERSION:
    raise ImportError(
        f"the loaded libffcgi has ABI version {lib.ffcgi_abi_version()} "
        f"({ffi.string(lib.ffcgi_version_string()).decode()}), but this ffcgi package was "
        f"generated for ABI version {ABI_VERSION}: install matching versions")

__all__ = ["ffi", "lib"]
