"""The organiser's agent tokens on the dashboard: create one (shown once) and revoke one, as the CLI does."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..agents.models import AgentToken
from ..agents.tokens import create_agent_token, revoke_agent_token
from ..challenges.access import is_organiser
from ..extensions import db
from . import bp
from .forms import ActionForm, AgentTokenForm
from .routes import _organised


def _agent_scored(slug: str):
    """Return the challenge the user organises, if an agent scores it; 404 otherwise."""
    challenge = _organised(slug)
    if not challenge.settings.scoring.by_agent:
        abort(404)
    return challenge


@bp.route("/challenges/<slug>/organise/agents/new", methods=["GET", "POST"])
def new_agent_token(slug: str):
    """Create a scoring agent's token for this challenge and show its secret this once."""
    challenge = _agent_scored(slug)
    form = AgentTokenForm().with_sites(challenge.settings.sites)
    if form.validate_on_submit():
        site = form.site.data if "site" in form else None
        token, secret = create_agent_token([challenge], form.name.data.strip(), current_user._get_current_object(), site=site)
        db.session.commit()
        page = render_template("organise/agent_token_created.html", challenge=challenge, token=token, secret=secret,
                               platform_url=url_for("main.index", _external=True).rstrip("/"))
        return page, 200, {"Cache-Control": "no-store"}  # the secret is on this page once, never in a cache
    status = 400 if form.is_submitted() else 200
    return render_template("organise/agent_token_new.html", challenge=challenge, form=form), status


@bp.post("/challenges/<slug>/organise/agents/<int:token_id>/revoke")
def revoke_agent(slug: str, token_id: int):
    """Revoke one of this challenge's agent tokens; the jobs it holds go back to the queue."""
    challenge = _agent_scored(slug)
    token = db.session.get(AgentToken, token_id)
    if token is None or all(c.id != challenge.id for c in token.challenges):
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    others = [c.slug for c in token.challenges if not is_organiser(current_user, c)]
    if others:
        flash(_("Agent token %(prefix)s… also scores %(challenges)s, which you do not organise: "
                "an administrator revokes it (ultrathon agents revoke).", prefix=token.prefix, challenges=", ".join(others)),
              category="error")
    elif token.revoked_at is not None:
        flash(_("Agent token %(prefix)s… was revoked already.", prefix=token.prefix), category="success")
    else:
        released = revoke_agent_token(token, current_user._get_current_object())
        flash(_("Agent token %(prefix)s… (%(name)s) is revoked; %(num)s job(s) it held are queued again.",
                prefix=token.prefix, name=token.name, num=released), category="success")
    return redirect(url_for(".dashboard", slug=slug) + "#agent-tokens")
