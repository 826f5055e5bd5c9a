"""Probe routes: /healthz, /readyz and /metrics."""

from flask import Response, abort, jsonify
from flask_babel import gettext as _

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


@bp.get("/metrics")
def metrics():
    """Serve the Prometheus scrape to an allow-listed address or the configured bearer token."""
    from prometheus_client import CONTENT_TYPE_LATEST

    from .metrics import exposition, metrics_allowed

    if not metrics_allowed():
        abort(403, description=_("/metrics is read from an allow-listed address or with the metrics token"))
    return Response(exposition(), mimetype=CONTENT_TYPE_LATEST.split(";")[0], headers={"Cache-Control": "no-store"})
