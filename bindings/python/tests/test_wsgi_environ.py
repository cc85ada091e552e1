"""ffcgi.wsgi's environ (PEP 3333): every param as a latin-1 native string
that round-trips to its bytes, ffcgi.params, the CGI defaults, the removal of
HTTP_CONTENT_*, wsgi.url_scheme, the wsgi.* flags, and the SCRIPT_NAME /
PATH_INFO rule as nginx and Apache send them. Every app here runs inside
wsgiref.validate.validator, with its warnings made errors."""
import wsgiref.validate
from typing import Any, Dict, List

import pytest

from ffcgi.wsgi import WSGIHandler, split_path

pytestmark = pytest.mark.filterwarnings("error::wsgiref.validate.WSGIWarning")


class Recorder:
    """A WSGI app that keeps every environ it sees and answers "ok"."""

    def __init__(self) -> None:
        self.environs: List[Dict[str, Any]] = []

    def __call__(self, environ, start_response):
        self.environs.append(dict(environ))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]


def run(serving, client, params=(), *, threads=1, **options) -> Dict[str, Any]:
    """One request with ``params`` through a validated Recorder; its environ."""
    recorder = Recorder()
    handler = WSGIHandler(wsgiref.validate.validator(recorder), multithread=threads > 1, **options)
    address = serving.start(handler, threads=threads)
    response = client.request(address, params=params)
    assert response.stderr == b"", response.stderr.decode(errors="replace")
    assert response.body == b"ok"
    assert len(recorder.environs) == 1
    return recorder.environs[0]


NGINX = [("REQUEST_METHOD", "GET"), ("SERVER_NAME", "localhost"), ("SERVER_PORT", "8080"),
         ("SERVER_PROTOCOL", "HTTP/1.1"), ("QUERY_STRING", "")]


def test_every_byte_round_trips_through_latin1(serving, client):
    value = bytes(range(1, 256))
    name = b"HTTP_X_" + bytes(range(0x80, 0x100))
    params = NGINX + [(name, value), ("HTTP_X_UTF8", "caf\u00e9 \u2603".encode()),
                      ("HTTP_X_DUP", "first"), ("HTTP_X_DUP", "second"), ("EMPTY", "")]
    environ = run(serving, client, params)
    text_name = name.decode("latin-1")
    assert environ[text_name] == value.decode("latin-1")
    assert environ[text_name].encode("latin-1") == value
    assert environ["HTTP_X_UTF8"].encode("latin-1").decode("utf-8") == "caf\u00e9 \u2603"
    assert environ["HTTP_X_DUP"] == "first"
    assert environ["EMPTY"] == ""
    for key, item in environ.items():
        if "." not in key:
            assert type(key) is str and type(item) is str
            key.encode("latin-1")
            item.encode("latin-1")
    # ffcgi.params: exactly what was received, in order, libfcgi's own included.
    sent = [(n.encode() if isinstance(n, str) else n, v.encode() if isinstance(v, str) else v)
            for n, v in params]
    received = list(environ["ffcgi.params"])
    assert [pair for pair in received if pair[0] != b"FCGI_ROLE"] == sent
    assert (b"FCGI_ROLE", b"RESPONDER") in received


def test_a_utf8_path_reaches_the_app_as_latin1_mojibake_that_repairs(serving, client):
    environ = run(serving, client, NGINX + [("SCRIPT_NAME", "/caf\u00e9/\u2603".encode())])
    assert environ["SCRIPT_NAME"] == ""
    assert environ["PATH_INFO"] == "/caf\u00c3\u00a9/\u00e2\u0098\u0083"
    assert environ["PATH_INFO"].encode("latin-1").decode("utf-8") == "/caf\u00e9/\u2603"


def test_missing_cgi_variables_get_pep3333_defaults(serving, client):
    environ = run(serving, client, [])
    assert environ["REQUEST_METHOD"] == "GET"
    assert environ["SERVER_NAME"] == "localhost"
    assert environ["SERVER_PORT"] == "80"
    assert environ["SERVER_PROTOCOL"] == "HTTP/1.0"
    assert environ["QUERY_STRING"] == ""
    assert environ["SCRIPT_NAME"] == "" and environ["PATH_INFO"] == ""
    assert "CONTENT_LENGTH" not in environ and "CONTENT_TYPE" not in environ
    assert environ["ffcgi.params"] == ((b"FCGI_ROLE", b"RESPONDER"),)


def test_sent_cgi_variables_are_kept(serving, client):
    environ = run(serving, client, NGINX + [("REQUEST_METHOD", "ignored duplicate")])
    for name, value in NGINX:
        assert environ[name] == value


def test_nginx_http_content_headers_are_dropped_or_moved(serving, client):
    environ = run(serving, client, NGINX + [
        ("CONTENT_TYPE", "text/plain"), ("CONTENT_LENGTH", ""),
        ("HTTP_CONTENT_TYPE", "application/json"), ("HTTP_CONTENT_LENGTH", "0")])
    assert environ["CONTENT_TYPE"] == "text/plain"  # the web server's own wins
    assert environ["CONTENT_LENGTH"] == ""
    assert "HTTP_CONTENT_TYPE" not in environ and "HTTP_CONTENT_LENGTH" not in environ
    environ = run(serving, client, NGINX + [("HTTP_CONTENT_TYPE", "application/json")])
    assert environ["CONTENT_TYPE"] == "application/json"
    assert "HTTP_CONTENT_TYPE" not in environ


@pytest.mark.parametrize("params, scheme, port", [
    ([], "http", "80"),
    ([("HTTPS", "on")], "https", "443"),
    ([("HTTPS", "ON"), ("SERVER_PORT", "8443")], "https", "8443"),
    ([("HTTPS", "1")], "https", "443"),
    ([("HTTPS", "off")], "http", "80"),
    ([("REQUEST_SCHEME", "https")], "https", "443"),
    ([("REQUEST_SCHEME", "http")], "http", "80"),
])
def test_url_scheme_follows_https_and_request_scheme(serving, client, params, scheme, port):
    environ = run(serving, client, params)
    assert environ["wsgi.url_scheme"] == scheme
    assert environ["SERVER_PORT"] == port


def test_wsgi_keys_one_thread(serving, client):
    environ = run(serving, client, NGINX)
    assert environ["wsgi.version"] == (1, 0)
    assert environ["wsgi.multithread"] is False
    assert environ["wsgi.multiprocess"] is False
    assert environ["wsgi.run_once"] is False
    assert environ["wsgi.input_terminated"] is True
    assert callable(environ["wsgi.file_wrapper"])


def test_wsgi_keys_several_threads_and_processes(serving, client):
    environ = run(serving, client, NGINX, threads=3, multiprocess=True)
    assert environ["wsgi.multithread"] is True
    assert environ["wsgi.multiprocess"] is True
    assert environ["wsgi.run_once"] is False


@pytest.mark.parametrize("script_name, path_info, mount, expected", [
    # nginx's stock fastcgi_params: the whole path in SCRIPT_NAME, no PATH_INFO.
    ("/hello/world", None, None, ("", "/hello/world")),
    ("/", None, None, ("", "/")),
    (None, None, None, ("", "")),
    # The web server split the path (Apache mod_fcgid, nginx fastcgi_split_path_info).
    ("/app", "/hello", None, ("/app", "/hello")),
    ("/app", "", None, ("/app", "")),
    (None, "/hello", None, ("", "/hello")),
    # SCRIPT_NAME is never "/" nor ends in one: the slash belongs to PATH_INFO.
    ("/", "", None, ("", "/")),
    ("/app/", "hello", None, ("/app", "/hello")),
    # A mount prefix decides, whatever the split was.
    ("/app/hello", None, "/app", ("/app", "/hello")),
    ("/app", "/hello", "/app", ("/app", "/hello")),
    ("/app.fcgi", "/hello", "", ("", "/app.fcgi/hello")),
    ("/app", None, "/app", ("/app", "")),
    ("/application/x", None, "/app", ("", "/application/x")),  # not under the prefix
    ("/other", None, "/app", ("", "/other")),
])
def test_split_path(script_name, path_info, mount, expected):
    assert split_path(script_name, path_info, mount) == expected


@pytest.mark.parametrize("params, script_name, expected", [
    ([("SCRIPT_NAME", "/shop/cart")], None, ("", "/shop/cart")),
    ([("SCRIPT_NAME", "/shop"), ("PATH_INFO", "/cart")], None, ("/shop", "/cart")),
    ([("SCRIPT_NAME", "/shop/cart")], "/shop", ("/shop", "/cart")),
    ([("SCRIPT_NAME", "/shop/cart")], "/shop/", ("/shop", "/cart")),
    ([("SCRIPT_NAME", "/shop.fcgi"), ("PATH_INFO", "/cart")], "", ("", "/shop.fcgi/cart")),
    ([("SCRIPT_NAME", "/caf\u00e9/x".encode())], "/caf\u00e9",
     ("/caf\u00c3\u00a9", "/x")),  # a str prefix is compared as UTF-8 bytes
])
def test_script_name_and_path_info_in_the_environ(serving, client, params, script_name,
                                                  expected):
    environ = run(serving, client, NGINX + params, script_name=script_name)
    assert (environ["SCRIPT_NAME"], environ["PATH_INFO"]) == expected


def test_a_mount_prefix_must_be_absolute():
    with pytest.raises(ValueError, match="must be empty or start with '/'"):
        WSGIHandler(Recorder(), script_name="app")
