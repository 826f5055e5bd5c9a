"""The organisers' suspensions of participants: suspend with a reason, lift (kept apart from routes.py for size)."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
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
                flash(f"{user.name} is not suspended: {error}", "error")
        return _back(slug)
    try:
        suspend_user(challenge, user, form.reason.data, current_user._get_current_object())
    except SuspensionError as error:
        db.session.rollback()
        flash(f"{user.name} is not suspended: {error}.", "error")
    else:
        flash(f"{user.name} is suspended from {challenge.title}; every request of theirs touching it is refused.", "success")
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
        flash(f"Nothing was lifted: {error}.", "error")
    else:
        flash(f"{user.name}'s suspension is lifted; they can take part again.", "success")
    return _back(slug)
