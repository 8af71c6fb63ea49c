"""The baseline of ``bench/catalog.py``: Flask's hello world, served by the same gunicorn
settings as the app, so every page's req/s can be read as a share of what Flask itself gives on
this machine in the same minute."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello, World!"
