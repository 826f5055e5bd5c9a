"""Probe routes: /healthz and /readyz."""

from flask import jsonify

from . import bp
from .service import readiness


@bp.get("/healthz")
def healthz():
    """Answer while the process is alive."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Answer 200 only when database, Redis and a worker are all there."""
    ready, detail = readiness()
    return jsonify(status="ready" if ready else "not ready", **detail), (200 if ready else 503)
