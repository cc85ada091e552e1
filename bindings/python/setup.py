"""setuptools hook for the cffi extension; the metadata is in pyproject.toml."""
import os
import runpy

from setuptools import setup

HERE = os.path.dirname(os.path.abspath(__file__))
VERSION = runpy.run_path(os.path.join(HERE, "ffcgi", "_cdef.py"))["VERSION"]

setup(version=VERSION, cffi_modules=["ffcgi_build.py:ffibuilder"])
