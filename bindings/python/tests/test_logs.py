"""The logs and the status page from Python: Server(access_log=, error_log=, log_level=),
access_log(), error_log(), log(), reopen_logs(), log_level(); lines written
by libffcgi in its format (the C tests check every field; these check that
Python reaches them and that its errors are the right classes)."""
import json
import os
import re
import time

import pytest

import ffcgi

PREFIX = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4} \S+\[\d+\]: "


def wait_for_lines(path: str, count: int) -> list:
    """The file's lines once there are ``count`` (the library writes its
    access-log lines in batches, within a quarter second)."""
    deadline = time.monotonic() + 10
    while True:
        with open(path, encoding="utf-8") as log:
            lines = log.read().splitlines()
        if len(lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.01)


def test_log_levels_are_named_as_in_the_library():
    assert [ffcgi.log_level(name) for name in ("off", "error", "WARNING", "info", "debug")] == \
        [ffcgi.LOG_OFF, ffcgi.LOG_ERROR, ffcgi.LOG_WARNING, ffcgi.LOG_INFO, ffcgi.LOG_DEBUG]
    assert ffcgi.log_level(ffcgi.LOG_INFO) == ffcgi.LOG_INFO
    for bad in ("loud", "warn\0ing", 7, -1, True, 2.0):
        with pytest.raises(ffcgi.InvalidArgumentError):
            ffcgi.log_level(bad)
    with pytest.raises(ffcgi.InvalidArgumentError, match="off, error, warning, info or debug"):
        ffcgi.log_level("loud")


def test_access_and_error_logs_are_written_and_reopened(client, serving, address, tmp_path):
    access, errors = str(tmp_path / "access.log"), str(tmp_path / "error.log")
    server = ffcgi.Server(address, access_log=access, error_log=errors, log_level="info",
                          limits={ffcgi.LIMIT_BODY_BYTES: 100})
    server.log("debug", "below the level")
    server.log(ffcgi.LOG_WARNING, "from Python: é\nand a second line")
    serving.start(lambda request: request.print("hello"), server=server)
    client.request(address, method="GET", params=[("REQUEST_URI", "/a?b=1"),
                                                  ("REMOTE_ADDR", "192.0.2.9")])
    client.request(address, method="POST", params=[("REQUEST_URI", "/big")], stdin=b"x" * 500)
    lines = wait_for_lines(access, 2)
    assert len(lines) == 2
    assert re.match(r'^192\.0\.2\.9 - - \[[^]]+\] "GET /a\?b=1" 200 5 "-" "-" \d+$', lines[0])
    assert re.match(r'^- - - \[[^]]+\] "POST /big" 413 22 "-" "-" \d+$', lines[1])

    error_lines = wait_for_lines(errors, 4)
    assert re.match(PREFIX + "warning: from Python: é$", error_lines[0])
    assert error_lines[1] == "  and a second line"
    assert not any("below the level" in line for line in error_lines)
    assert re.match(PREFIX + r'warning: "POST /big" from - via unix peer pid \d+: '
                    r"CONTENT_LENGTH 500 is over FFCGI_LIMIT_BODY_BYTES \(100\)", error_lines[2])

    with pytest.raises(ffcgi.StateError):
        server.access_log(access)  # fixed once serving began
    with pytest.raises(ffcgi.StateError):
        server.error_log(errors)
    os.rename(access, access + ".1")
    os.rename(errors, errors + ".1")
    server.reopen_logs()
    client.request(address, params=[("REQUEST_URI", "/after")])
    server.log("error", "after the rotation")
    assert "/after" in wait_for_lines(access, 1)[0]
    assert "after the rotation" in wait_for_lines(errors, 1)[0]


def test_log_files_that_cannot_be_opened_raise_file_error(address):
    with ffcgi.Server(address) as server:
        with pytest.raises(ffcgi.FileError, match="/nonexistent-dir/error.log"):
            server.error_log("/nonexistent-dir/error.log")
        with pytest.raises(ffcgi.FileError) as raised:
            server.access_log("/nonexistent-dir/access.log")
        assert isinstance(raised.value, OSError)
        with pytest.raises(ffcgi.InvalidArgumentError):
            server.error_log("-", "loud")
        server.error_log(None)  # off again: no error
        server.log("error", "dropped: no log")


def test_status_path_and_status(client, serving, address):
    server = ffcgi.Server(address, status_path="/status")
    with pytest.raises(ffcgi.InvalidArgumentError):
        server.status_path("status")
    with pytest.raises(ffcgi.InvalidArgumentError):
        server.status("xml")
    seen = []
    serving.start(lambda request: seen.append(request.env.get("REQUEST_URI")) or
                  request.print("app"), server=server)
    client.request(address, params=[("REQUEST_URI", "/a")])
    page = client.request(address, params=[("REQUEST_URI", "/status")], query="json")
    assert page.status_line == b"200 OK" and b'"processes":1' in page.body
    assert seen == ["/a"]
    deadline = time.monotonic() + 10
    while '"requests":2,' not in server.status("json") and time.monotonic() < deadline:
        time.sleep(0.01)
    status = json.loads(server.status("json"))
    assert status["requests"] == 2 and status["accepted_connections"] == 2
    assert server.status().startswith("pid:")
    with pytest.raises(ffcgi.StateError):
        server.status_path("/other")
