"""examples/echo_wsgi.py — the echo contract (tests/conformance/ECHO_CONTRACT.md)
as a WSGI app — answers every request of echo_cases.py byte for byte as the
C echo (build/examples/echo) does: as a script on a unix socket, through
`python3 -m ffcgi.wsgi` on 127.0.0.1, in-process inside wsgiref.validate,
and under concurrent load from the C test client. Run as a script, its
command line behaves like the other examples'."""
import os
import subprocess
import sys
import wsgiref.validate
from concurrent.futures import ThreadPoolExecutor

import pytest

import echo_cases
from echo_cases import answer
from fcgi_client import free_port, wait_for_listener
from ffcgi.wsgi import WSGIHandler, load_app
from support import Processes

pytestmark = pytest.mark.filterwarnings("error::wsgiref.validate.WSGIWarning")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """The files the cases send, and the unix sockets of the echoes."""
    path = str(tmp_path_factory.mktemp("wsgi-echo"))
    echo_cases.prepare(path)
    return path


@pytest.fixture(scope="module")
def echoes(c_echo, examples_dir, workdir):
    """The C echo; echo_wsgi.py as a script on a unix socket; echo_wsgi.py
    through `python3 -m ffcgi.wsgi` on 127.0.0.1; each with 4 threads:
    name -> address. Each must exit 0 on SIGTERM at the end."""
    group = Processes()
    script = os.path.join(examples_dir, "echo_wsgi.py")
    commands = {"c": ([c_echo], os.path.join(workdir, "c.sock")),
                "script": ([sys.executable, script], os.path.join(workdir, "wsgi.sock")),
                "module": ([sys.executable, "-m", "ffcgi.wsgi", script + ":application"],
                           f"127.0.0.1:{free_port()}")}
    try:
        for argv, address in commands.values():
            wait_for_listener(address, group.start(argv + ["--socket", address,
                                                           "--threads", "4"]))
        yield {name: address for name, (_, address) in commands.items()}
        assert [group.stop(process) for process in group.started] == [0, 0, 0]
    finally:
        group.stop_all()


def like_c(client, echoes, address, case, workdir, **extra):
    """Sends ``case`` to ``address`` and to the C echo; the answers must be equal."""
    options = echo_cases.options(case, workdir)
    reference = answer(client.request(echoes["c"], **options))
    assert reference[3] == 0 and reference[0].endswith(b"end\n"), reference
    assert answer(client.request(address, **dict(options, **extra))) == reference, case


@pytest.mark.parametrize("case", sorted(echo_cases.CASES))
@pytest.mark.parametrize("how", ["script", "module"])
def test_echo_wsgi_answers_like_the_c_echo(client, echoes, workdir, how, case):
    like_c(client, echoes, echoes[how], case, workdir)


def test_echo_wsgi_inside_wsgiref_validate_answers_alike(client, echoes, serving, workdir,
                                                         examples_dir):
    app = load_app(os.path.join(examples_dir, "echo_wsgi.py"))
    address = serving.start(WSGIHandler(wsgiref.validate.validator(app)))
    # The contract sends a Content-Type and a body with a 204, which HTTP (and
    # so wsgiref.validate) forbids; that case is left out here.
    for case in sorted(set(echo_cases.CASES) - {"status=204"}):
        like_c(client, echoes, address, case, workdir)


LOAD = ["contract example", "post with everything", "every byte in names and values",
        "1000 params in 7-byte records", "a body past CONTENT_LENGTH", "1 MiB in odd records",
        "kept-open connection", "status=404"]


def test_echo_wsgi_under_concurrent_load(client, echoes, workdir):
    """Eight fcgi-client processes per WSGI echo at once (sixteen in all),
    each sending its request 20 times (fcgi-client fails unless all 20
    answers are identical); every answer equals the C echo's."""
    with ThreadPoolExecutor(len(LOAD) * 2) as pool:
        checks = [pool.submit(like_c, client, echoes, echoes[how], case, workdir, repeat=20)
                  for how in ("script", "module") for case in LOAD]
        for check in checks:
            check.result()


def test_the_script_reports_a_bad_command_line_like_the_examples(examples_dir, sockdir):
    script = os.path.join(examples_dir, "echo_wsgi.py")
    for args in (["--threads", "0"], ["--threads", "many"], ["--bogus"]):
        done = subprocess.run([sys.executable, script, *args], capture_output=True, timeout=30)
        assert done.returncode == 2 and b"usage:" in done.stderr, (args, done.stderr)
    not_a_socket = os.path.join(sockdir, "file")
    open(not_a_socket, "w").close()
    done = subprocess.run([sys.executable, script, "--socket", not_a_socket],
                          capture_output=True, timeout=30)
    assert done.returncode == 1
    lines = done.stderr.decode().splitlines()
    assert lines[-1].startswith("echo_wsgi.py: ") and not_a_socket in lines[-1], lines
    assert "Traceback" not in done.stderr.decode()
