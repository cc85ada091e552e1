"""Fixtures shared by the ffcgi Python tests (bindings/python/tests).

CTest runs each test_*.py file as a test of its own (bindings/python/
CMakeLists.txt), through build/devenv, which puts the build tree's package
and library on the search paths:

    build/devenv /usr/bin/python3 -m pytest -q bindings/python/tests/test_server.py

The tests find what they need through environment variables, which CTest
sets; by hand, FFCGI_BUILD_DIR is enough (devenv's FFCGI_LIBRARY gives it
too), the others default from it:

    FFCGI_BUILD_DIR    the CMake build tree
    FFCGI_CLIENT       the C test client     (BUILD/tests/client/fcgi-client)
    FFCGI_C_ECHO       the C echo example    (BUILD/examples/echo)
    FFCGI_CMAKE        cmake, for the install test (default: cmake on PATH)

Every server a test starts listens on a unix socket in a private temporary
directory or on 127.0.0.1; every process is stopped by its PID when the test
ends, and every wait is bounded.
"""
import os
import shutil
import sys
import tempfile
import threading

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, HERE)  # fcgi_client and apps/ for every test module

import echo_cases  # noqa: E402
import fcgi_client  # noqa: E402
import ffcgi  # noqa: E402
from support import Processes, Serving, WATCHDOG_SECONDS  # noqa: E402


def _missing(what: str) -> None:
    pytest.fail(f"{what}: run these tests through CTest (ctest --test-dir build -R python_), "
                f"or under build/devenv with FFCGI_BUILD_DIR set (see {__file__})",
                pytrace=False)


def _build_dir() -> str:
    build = os.environ.get("FFCGI_BUILD_DIR")
    if not build and os.environ.get("FFCGI_LIBRARY"):  # set by build/devenv
        build = os.path.dirname(os.path.dirname(os.environ["FFCGI_LIBRARY"]))
    if not build:
        _missing("FFCGI_BUILD_DIR is not set")
    if not os.path.isdir(build):
        _missing(f"FFCGI_BUILD_DIR={build} is not a directory")
    return build


def _tool(variable: str, default_in_build: str) -> str:
    path = os.environ.get(variable) or os.path.join(_build_dir(), default_in_build)
    if not os.access(path, os.X_OK):
        _missing(f"{variable}: {path} is not an executable (build the project first)")
    return path


@pytest.fixture(scope="session", autouse=True)
def build_dir() -> str:
    """The build tree; also checks that ffcgi is the one built there."""
    build = _build_dir()
    extension = os.path.realpath(sys.modules["ffcgi._ffcgi"].__file__)
    expected = os.path.realpath(os.path.join(build, "python", "ffcgi"))
    if os.path.dirname(extension) != expected:
        _missing(f"ffcgi's extension {extension} is not the one of the build tree {expected} "
                 "(is build/devenv used?)")
    return build


@pytest.fixture(scope="session")
def client_path() -> str:
    return _tool("FFCGI_CLIENT", "tests/client/fcgi-client")


@pytest.fixture(scope="session")
def c_echo() -> str:
    """The C echo example, the reference for the echo contract."""
    return _tool("FFCGI_C_ECHO", "examples/echo")


@pytest.fixture(scope="session")
def client(client_path: str) -> fcgi_client.CClient:
    """The C test client (fcgi-client), 60 s per run at most."""
    return fcgi_client.CClient(client_path)


@pytest.fixture
def sockdir():
    """A private temporary directory with a short path (unix socket paths
    are limited to 107 bytes)."""
    path = tempfile.mkdtemp(prefix="ffcgi-py-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def address(sockdir: str) -> str:
    """A unix socket path nobody uses yet."""
    return os.path.join(sockdir, "app.sock")


@pytest.fixture
def server(address: str):
    """A Server on a fresh unix socket. A watchdog shuts it down after
    WATCHDOG_SECONDS, so an accept() in the test cannot wait for ever (it
    returns None then); the server is closed when the test ends."""
    srv = ffcgi.Server(address)
    watchdog = threading.Timer(WATCHDOG_SECONDS, srv.shutdown)
    watchdog.daemon = True
    watchdog.start()
    yield srv
    watchdog.cancel()
    srv.close()


@pytest.fixture
def serving(sockdir: str):
    """serving.start(handler, threads=N) -> address; stopped at the end."""
    runner = Serving(sockdir)
    yield runner
    runner.stop()


@pytest.fixture
def processes():
    group = Processes()
    yield group
    group.stop_all()


@pytest.fixture(scope="module")
def echo_workdir():
    """A temporary directory holding the files the echo_cases send."""
    path = tempfile.mkdtemp(prefix="ffcgi-echo-")
    echo_cases.prepare(path)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def source_dir() -> str:
    """The source tree (the repository's top directory)."""
    return SOURCE_DIR


@pytest.fixture(scope="session")
def examples_dir() -> str:
    return os.path.join(SOURCE_DIR, "examples")
