"""A plain Flask app that answers every request with one prebuilt body: the stack's ceiling.

bench/leaderboard.py serves it with the same gunicorn settings as Ultrathon and a body of the
same bytes as the leaderboard JSON, so the difference is what Ultrathon's own work costs.
"""

import os

from flask import Flask, Response

BODY = open(os.environ["BENCH_BODY_FILE"], "rb").read()

app = Flask(__name__)


@app.get("/")
def body():
    """Return the prebuilt body."""
    return Response(BODY, mimetype="application/json")


@app.get("/healthz")
def healthz():
    """Answer the start-up probe."""
    return {"status": "ok"}
