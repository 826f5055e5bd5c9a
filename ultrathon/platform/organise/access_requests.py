"""The organisers' decisions on access requests: approve, or refuse with a reason (kept apart from routes.py for size)."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..governance.access import AccessError, decide
from ..governance.models import AccessRequest
from . import bp
from .forms import ActionForm
from .routes import _organised


def _decide(slug: str, request_id: int, *, approve: bool):
    challenge = _organised(slug)
    item = db.session.get(AccessRequest, request_id)
    if item is None or item.challenge_id != challenge.id:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    name = item.user.name
    try:
        decide(challenge, item, current_user._get_current_object(), approve=approve, reason=request.form.get("reason", ""))
    except AccessError as error:
        db.session.rollback()
        flash(_("Nothing was decided for %(name)s: %(reason)s.", name=name, reason=error), category="error")
    else:
        flash(_("%(name)s is approved and can take part.", name=name) if approve
              else _("%(name)s's request is refused; they see your reason and may ask again.", name=name), category="success")
    return redirect(url_for("organise.dashboard", slug=slug) + "#access-requests")


@bp.post("/challenges/<slug>/organise/access-requests/<int:request_id>/approve")
def approve_access(slug: str, request_id: int):
    """Approve a pending access request."""
    return _decide(slug, request_id, approve=True)


@bp.post("/challenges/<slug>/organise/access-requests/<int:request_id>/refuse")
def refuse_access(slug: str, request_id: int):
    """Refuse a pending access request with the reason typed beside the button."""
    return _decide(slug, request_id, approve=False)
