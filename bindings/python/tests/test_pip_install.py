"""pip install, offline, exactly as bindings/python/README.md documents it:
libffcgi installed with `cmake --install`, then a venv with the system site
packages (Debian's setuptools, wheel and cffi) and

    PKG_CONFIG_PATH=P/lib/pkgconfig V/bin/pip install --no-build-isolation --no-index ./bindings/python

The installed package (not the build tree's) serves a request, with the
installed libffcgi (found through LD_LIBRARY_PATH), from outside the source
tree and with none of build/devenv's variables."""
import glob
import os
import shutil
import subprocess
import sys
import textwrap

import ffcgi
from support import read_line

APP = textwrap.dedent("""
    import sys
    import ffcgi

    server = ffcgi.Server(sys.argv[1])
    with open("/proc/self/maps") as maps:
        loaded = {line.split()[-1] for line in maps if "libffcgi.so" in line}
    print(ffcgi.__file__, *sorted(loaded), flush=True)
    with server:
        with server.accept() as request:
            request.header("Content-Type", "text/plain")
            request.print(f"installed ffcgi {ffcgi.__version__}: {request.read()!r}")
""")


def run(argv, **options):
    done = subprocess.run(argv, capture_output=True, timeout=300, **options)
    assert done.returncode == 0, (f"{argv} exited {done.returncode}:\n"
                                  f"{done.stdout.decode(errors='replace')}\n"
                                  f"{done.stderr.decode(errors='replace')}")
    return done


def test_pip_install_offline_into_a_venv_and_serve(build_dir, source_dir, client, processes,
                                                  sockdir):
    workdir = sockdir
    prefix, venv = os.path.join(workdir, "prefix"), os.path.join(workdir, "venv")
    run([os.environ.get("FFCGI_CMAKE", "cmake"), "--install", build_dir, "--prefix", prefix])
    found = glob.glob(os.path.join(prefix, "lib*", "**", "pkgconfig", "ffcgi.pc"), recursive=True)
    assert len(found) == 1, found
    libdir = os.path.dirname(os.path.dirname(found[0]))

    # A copy of the package directory as in a fresh clone: pip builds in the
    # tree it is given, and the source tree stays untouched.
    source = os.path.join(workdir, "clone", "bindings", "python")
    shutil.copytree(os.path.join(source_dir, "bindings", "python"), source,
                    ignore=shutil.ignore_patterns("build", "__pycache__", "*.egg-info", "tests",
                                                  "CMakeLists.txt"))
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("FFCGI_", "PYTHON", "LD_LIBRARY_PATH", "PIP_"))}
    env.update(PKG_CONFIG_PATH=os.path.join(libdir, "pkgconfig"), PIP_NO_CACHE_DIR="1",
               PIP_DISABLE_PIP_VERSION_CHECK="1")
    run([sys.executable, "-m", "venv", "--system-site-packages", venv], env=env)
    pip = os.path.join(venv, "bin", "pip")
    run([pip, "install", "--no-build-isolation", "--no-index", "./bindings/python"],
        env=env, cwd=os.path.join(workdir, "clone"))
    shown = run([pip, "show", "-f", "ffcgi"], env=env).stdout.decode()
    assert "Name: ffcgi" in shown and "ffcgi/py.typed" in shown, shown

    address = os.path.join(workdir, "app.sock")
    env["LD_LIBRARY_PATH"] = libdir
    app = processes.start([os.path.join(venv, "bin", "python"), "-c", APP, address], env=env,
                          cwd=workdir, stdout=subprocess.PIPE)
    package_file, *libraries = read_line(app.stdout, timeout=60).split()
    assert package_file.startswith(os.path.join(venv, "lib")), package_file
    assert libraries and all(lib.startswith(prefix) for lib in libraries), libraries
    response = client.request(address, stdin=b"over pip")
    assert response.body == f"installed ffcgi {ffcgi.__version__}: b'over pip'".encode()
    assert app.wait(30) == 0
    assert not os.path.exists(address)
