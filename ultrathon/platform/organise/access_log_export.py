"""The access log's export for the data-protection officer, as CSV or JSON (kept apart from routes.py for size)."""

from __future__ import annotations

from flask import Response, abort
from flask_babel import gettext as _
from flask_login import current_user

from ..audit import record
from ..challenges.access import get_challenge, is_organiser
from ..extensions import db
from ..terms.access_log import access_log, access_log_csv, access_log_json
from . import bp
from .routes import _signed_in

MIMETYPES = {"csv": "text/csv", "json": "application/json"}


@bp.get("/challenges/<slug>/organise/access-log.<fmt>")
def access_log_export(slug: str, fmt: str):
    """Send the challenge's access log to an organiser, and record that they took it."""
    _signed_in()
    challenge = get_challenge(slug)
    if challenge is None or fmt not in MIMETYPES:
        abort(404)
    if not is_organiser(current_user, challenge):
        abort(403, description=_("Only the organisers of %(challenge)s can export its access log.", challenge=challenge.title))
    rows = access_log(challenge)
    record("access_log.export", actor=current_user._get_current_object(), challenge=challenge, format=fmt, events=len(rows))
    db.session.commit()
    body = access_log_csv(rows) if fmt == "csv" else access_log_json(challenge, rows)
    return Response(body, mimetype=MIMETYPES[fmt], headers={
        "Content-Disposition": f'attachment; filename="{challenge.slug}-access-log.{fmt}"',
        "Cache-Control": "private, no-store",
    })
