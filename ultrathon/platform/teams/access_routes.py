"""The web side of access requests: the person's form on the team page and its state on the challenge page."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..challenges.views import challenge_or_404
from ..extensions import db
from ..governance.access import ACCESS_KINDS, APPROVED, AccessError, latest_request, request_access
from ..governance.gate import participation_refusal
from ..governance.models import AccessRequest
from ..models import Challenge
from . import bp
from .routes import _page, _sentence


@bp.app_template_global()
def access_request_of(challenge: Challenge) -> AccessRequest | None:
    """Return the signed-in person's access request in force in the challenge, for the pages that show its state."""
    return latest_request(current_user, challenge) if current_user.is_authenticated else None


@bp.post("/challenges/<slug>/access-request")
@login_required
def ask(slug: str):
    """Make the person's access request with the answers typed on the team page."""
    challenge = challenge_or_404(slug)
    user = current_user._get_current_object()
    questions = challenge.settings.access.questions
    answers = {q.name: request.form.get(f"answer-{q.name}", "") for q in questions}
    refusal = participation_refusal(user, challenge)
    try:
        if refusal is not None and refusal.kind not in ACCESS_KINDS:
            raise AccessError(refusal.detail, 403)
        item = request_access(challenge, user, answers)
    except AccessError as error:
        db.session.rollback()
        return _page(challenge, status=error.status, errors={"access": _sentence(str(error))},
                     values={f"answer-{k}": v for k, v in answers.items()})
    if item.status == APPROVED:
        flash(_("Your access is approved (your address is at %(domain)s): you can now join or create a team.",
                domain=item.by_domain) if item.by_domain
              else _("Your access is approved: you can now join or create a team."), category="success")
    else:
        flash(_("Your access request is sent. The organisers will look at it; this page and the challenge page "
                "show their answer."), category="success")
    return redirect(url_for("teams.team_page", slug=challenge.slug))
