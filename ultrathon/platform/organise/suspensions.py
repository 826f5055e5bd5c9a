"""The organisers' suspensions of participants: suspend with a reason, lift (kept apart from routes.py for size)."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..governance.suspension import SuspensionError, lift_suspension, suspend_user
from ..models import User
from . import bp
from .forms import ActionForm, SuspendForm
from .routes import _organised


def _back(slug: str):
    return redirect(url_for("organise.dashboard", slug=slug) + "#participants")


@bp.post("/challenges/<slug>/organise/participants/<int:user_id>/suspend")
def suspend(slug: str, user_id: int):
    """Suspend a participant from the challenge with the reason typed beside the button."""
    challenge = _organised(slug)
    user = db.session.get(User, user_id) or abort(404)
    form = SuspendForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(_("%(name)s is not suspended: %(reason)s", name=user.name, reason=error), category="error")
        return _back(slug)
    try:
        suspend_user(challenge, user, form.reason.data, current_user._get_current_object())
    except SuspensionError as error:
        db.session.rollback()
        flash(_("%(name)s is not suspended: %(reason)s.", name=user.name, reason=error), category="error")
    else:
        flash(_("%(name)s is suspended from %(challenge)s; every request of theirs touching it is refused.",
                name=user.name, challenge=challenge.title), category="success")
    return _back(slug)


@bp.post("/challenges/<slug>/organise/participants/<int:user_id>/lift")
def lift(slug: str, user_id: int):
    """Lift a participant's suspension."""
    challenge = _organised(slug)
    user = db.session.get(User, user_id) or abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        lift_suspension(challenge, user, current_user._get_current_object())
    except SuspensionError as error:
        db.session.rollback()
        flash(_("Nothing was lifted: %(reason)s.", reason=error), category="error")
    else:
        flash(_("%(name)s's suspension is lifted; they can take part again.", name=user.name), category="success")
    return _back(slug)
