"""Who may take part in a challenge: a verified address, no suspension in force, and approved access where asked.

The services ask `participation_refusal` before a team change, a download, an upload or a
final choice; `refuse_suspended` runs before every request, so a suspended person's session
and tokens stop working for anything that touches the challenge (and only that challenge).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import render_template, request
from flask_login import current_user

from ...i18n import gettext as _
from ..extensions import db
from ..models import Challenge, Submission, Team, User
from .access import access_block
from .suspension import active_suspension, suspended_message
from .verification import unverified_message

UNVERIFIED = "unverified-email"
SUSPENDED = "suspended"


@dataclass(frozen=True)
class Refusal:
    """Why a user may not act in a challenge: a problem type, a title and a sentence."""

    kind: str
    title: str
    detail: str


def participation_refusal(user: User | None, challenge: Challenge, *, need_verified: bool = True) -> Refusal | None:
    """Return why the user may not act in the challenge, or None when they may."""
    suspension = active_suspension(user, challenge.id)
    if suspension is not None:
        return Refusal(SUSPENDED, _("Suspended"), suspended_message(suspension, challenge.title))
    message = unverified_message(user) if need_verified else None
    if message is not None:
        return Refusal(UNVERIFIED, _("E-mail address not verified"), message)
    # Leaving, renaming and final choices (need_verified=False) stay open to whoever is in a team already.
    block = access_block(user, challenge) if need_verified else None
    return Refusal(*block) if block is not None else None


def _challenge_id_of_request() -> int | None:
    """Return the id of the challenge the request's address names (by slug, team or submission), if any."""
    args = request.view_args or {}
    if "slug" in args:
        return db.session.execute(db.select(Challenge.id).where(Challenge.slug == args["slug"])).scalar_one_or_none()
    if "submission_id" in args:
        return db.session.execute(db.select(Submission.challenge_id).where(Submission.id == args["submission_id"])).scalar_one_or_none()
    if "team_id" in args:
        return db.session.execute(db.select(Team.challenge_id).where(Team.id == args["team_id"])).scalar_one_or_none()
    return None


def _caller() -> User | None:
    from ..api.auth import current_api_user
    from ..api.errors import ApiProblem, is_api_request

    if is_api_request():
        try:
            return current_api_user()
        except ApiProblem:
            return None  # the API's own check answers a bad token
    return current_user._get_current_object() if current_user.is_authenticated else None


def refuse_suspended():
    """Refuse any request of a suspended person that touches the challenge they are suspended from."""
    if request.endpoint in (None, "static") or request.routing_exception is not None:
        return None
    user = _caller()
    challenge_id = _challenge_id_of_request() if user is not None else None
    suspension = active_suspension(user, challenge_id) if challenge_id is not None else None
    if suspension is None:
        return None
    challenge = db.session.get(Challenge, challenge_id)
    detail = suspended_message(suspension, challenge.title)
    from ..api.errors import is_api_request, problem_response

    if is_api_request():
        return problem_response(403, detail, kind=SUSPENDED, title=_("Suspended"))
    return render_template("governance/suspended.html", challenge=challenge, suspension=suspension, detail=detail), 403

