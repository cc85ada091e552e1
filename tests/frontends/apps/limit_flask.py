"""limit_flask.py — a Flask app for the nginx_body_limit test: /upload
reads the whole body (request.get_data()) and answers its size; /calls
answers how many times /upload ran. Served by `python3 -m ffcgi.wsgi
limit_flask.py:app --max-body N`: an upload over N must never reach it."""
import threading

from flask import Flask, request

app = Flask(__name__)
_lock = threading.Lock()
_uploads = 0


@app.post("/upload")
def upload():
    global _uploads
    with _lock:
        _uploads += 1
    return {"size": len(request.get_data())}


@app.get("/calls")
def calls():
    with _lock:
        return {"uploads": _uploads}
