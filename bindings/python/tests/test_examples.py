"""examples/echo.py and examples/hello.py as processes (--threads 4, on a
unix socket and on 127.0.0.1): echo.py answers every echo-contract request
byte for byte as the C echo does, also under concurrent load from the C test
client; hello.py answers; both stop cleanly on SIGTERM; echo.py also serves
a listener inherited on fd 0; bad command lines fail as the C examples do."""
import os
import re
import signal
import socket
import subprocess
import sys

import pytest

import echo_cases
from echo_cases import answer
from fcgi_client import free_port, wait_for_listener


@pytest.fixture(scope="module")
def echoes(c_echo, examples_dir, echo_workdir):
    """The C echo and echo.py on a unix socket and on 127.0.0.1, each with
    4 threads: name -> address. At the end each must exit 0 on SIGTERM."""
    script = [sys.executable, os.path.join(examples_dir, "echo.py")]
    with echo_cases.running({"c": ([c_echo], os.path.join(echo_workdir, "c.sock")),
                             "python-unix": (script, os.path.join(echo_workdir, "py.sock")),
                             "python-tcp": (script, f"127.0.0.1:{free_port()}")}) as addresses:
        yield addresses


@pytest.mark.parametrize("case", sorted(echo_cases.CASES))
def test_echo_py_answers_like_the_c_echo(client, echoes, echo_workdir, case):
    options = echo_cases.options(case, echo_workdir)
    reference = client.request(echoes["c"], **options)
    assert reference.protocol_status == 0 and reference.stdout.endswith(b"end\n")
    for name in ("python-unix", "python-tcp"):
        assert answer(client.request(echoes[name], **options)) == answer(reference), name


def test_echo_py_under_concurrent_load(client, echoes, echo_workdir):
    """Eight fcgi-client processes per Python echo at once (sixteen in all),
    each sending its request 20 times (fcgi-client fails unless all 20
    answers are identical); every answer equals the C echo's."""
    cases = ["contract example", "post with everything", "every byte in names and values",
             "1000 params in 7-byte records", "64 KiB + 1", "1 MiB in odd records",
             "kept-open connection", "status=404"]
    options = {case: echo_cases.options(case, echo_workdir) for case in cases}
    running = [(case, name, client.start(echoes[name], **dict(options[case], repeat=20)))
               for name in ("python-unix", "python-tcp") for case in cases]
    references = {case: answer(client.request(echoes["c"], **options[case])) for case in cases}
    for case, name, pending in running:
        assert answer(pending.result()) == references[case], (name, case)


@pytest.mark.parametrize("where", ["unix", "tcp"])
def test_hello_py_answers_and_counts(client, processes, examples_dir, sockdir, where):
    address = (os.path.join(sockdir, "hello.sock") if where == "unix"
               else f"127.0.0.1:{free_port()}")
    app = processes.python_app(os.path.join(examples_dir, "hello.py"), "--socket", address,
                               "--threads", "4")
    wait_for_listener(address, app)
    numbers = []
    pendings = [client.start(address) for _ in range(12)]
    for pending in pendings:
        response = pending.result()
        assert response.protocol_status == 0 and response.app_status == 0
        assert response.headers("Content-Type") == [b"text/html; charset=utf-8"]
        assert b"<h1>Hello from ffcgi (Python)!</h1>" in response.body
        numbers.append(int(re.search(rb"Request number (\d+)", response.body).group(1)))
    assert sorted(numbers) == list(range(1, 13))
    assert processes.stop(app) == 0
    assert not os.path.exists(address)


def test_echo_py_serves_a_listener_inherited_on_fd0(client, processes, examples_dir, sockdir,
                                                     echoes, echo_workdir):
    path = os.path.join(sockdir, "inherited.sock")
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(path)
        listener.listen()
        app = processes.python_app(os.path.join(examples_dir, "echo.py"), stdin=listener.fileno())
    options = echo_cases.options("post with everything", echo_workdir)
    assert answer(client.request(path, **options)) == answer(client.request(echoes["c"], **options))
    assert processes.stop(app, signal.SIGINT) == 0
    assert os.path.exists(path)  # the listener was not the app's to remove


@pytest.mark.parametrize("script", ["echo.py", "hello.py"])
def test_bad_command_lines_fail_like_the_c_examples(examples_dir, sockdir, script):
    path = os.path.join(examples_dir, script)
    for args in (["--threads", "0"], ["--threads", "many"], ["--bogus"]):
        done = subprocess.run([sys.executable, path, *args], capture_output=True, timeout=30)
        assert done.returncode == 2, (args, done.stderr)
        assert b"usage:" in done.stderr
    not_a_socket = os.path.join(sockdir, "file")
    open(not_a_socket, "w").close()
    done = subprocess.run([sys.executable, path, "--socket", not_a_socket], capture_output=True,
                          timeout=30)
    assert done.returncode == 1
    assert done.stderr.decode().startswith(f"{script}: ") and not_a_socket in done.stderr.decode()
    assert b"Traceback" not in done.stderr
