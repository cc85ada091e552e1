#!/usr/bin/python3
"""wsgi_app.py — a small Flask app served by ffcgi.wsgi (Debian's python3-flask).
    build/devenv /usr/bin/python3 examples/wsgi_app.py --socket /tmp/flask.sock [--threads N]
    build/devenv /usr/bin/python3 -m ffcgi.wsgi examples/wsgi_app.py:app --socket /tmp/flask.sock

Routes (tests/frontends/nginx_flask.py drives them all through nginx):
  GET  /                 links built with url_for (they follow SCRIPT_NAME)
  GET  /hello?name=N     a query string; JSON with the name and the URL parts
  POST /form             an urlencoded or multipart form; JSON of its fields
  POST /upload           a multipart file upload of any size; its size and SHA-256
  GET  /stream?count=N&delay=S   N lines, one every S seconds, each sent at once
  GET  /cookies          three Set-Cookie headers
  GET  /boom             an exception: the app's 500 page; the traceback goes
                         to wsgi.errors (the web server's error log)
"""
import hashlib
import sys
import time

from flask import Flask, Response, jsonify, request, stream_with_context, url_for

app = Flask(__name__)
application = app  # the name ffcgi.wsgi looks for by default


@app.get("/")
def index() -> str:
    links = "".join(f'<li><a href="{url_for(name)}">{name}</a></li>'
                    for name in ("hello", "stream", "cookies", "boom"))
    return f"<h1>Flask on ffcgi</h1><ul>{links}</ul>\n"


@app.get("/hello")
def hello() -> Response:
    return jsonify(hello=request.args.get("name", "world"), args=request.args.to_dict(flat=False),
                   script_root=request.script_root, path=request.path,
                   url=url_for("hello", _external=False), scheme=request.scheme)


@app.post("/form")
def form() -> Response:
    return jsonify(fields=request.form.to_dict(flat=False), content_type=request.mimetype)


@app.post("/upload")
def upload() -> Response:
    digest, size = hashlib.sha256(), 0
    stored = request.files["file"]
    while block := stored.stream.read(1 << 16):
        digest.update(block)
        size += len(block)
    return jsonify(filename=stored.filename, size=size, sha256=digest.hexdigest(),
                   fields=request.form.to_dict())


@app.get("/stream")
def stream() -> Response:
    count = min(int(request.args.get("count", "5")), 1000)
    delay = min(float(request.args.get("delay", "0.2")), 5.0)

    def lines():
        for number in range(count):
            if number:
                time.sleep(delay)
            yield f"line {number} produced at {time.time():.6f}\n"

    # X-Accel-Buffering: nginx passes each chunk on at once instead of buffering.
    return Response(stream_with_context(lines()), mimetype="text/plain",
                    headers={"X-Accel-Buffering": "no"})


@app.get("/cookies")
def cookies() -> Response:
    response = jsonify(set=["flavour", "session", "theme"])
    response.set_cookie("flavour", "chocolate")
    response.set_cookie("session", "s3cr3t", httponly=True, samesite="Lax")
    response.set_cookie("theme", "dark", path="/", max_age=3600)
    return response


@app.get("/boom")
def boom() -> str:
    raise RuntimeError("boom: an error raised on purpose by examples/wsgi_app.py")


@app.errorhandler(500)
def server_error(error: Exception):
    return "<h1>500: something broke</h1><p>The details are in the server's error log.</p>\n", 500


if __name__ == "__main__":
    import ffcgi.wsgi

    sys.exit(ffcgi.wsgi.run(application, description=__doc__.splitlines()[0]))
