"""The team page: create a team, invite by code or link, join, leave, rename."""

from __future__ import annotations

from typing import Any, Callable, Mapping

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..challenges.access import has_accepted_terms, team_of, terms_version
from ..challenges.views import challenge_or_404
from ..extensions import db
from ..models import Challenge, Membership, Team, User
from ..phases.commitments import LABEL_LIMIT, CommitmentRefused, make_commitment, team_commitments
from . import bp
from .service import TeamError, create_team, find_team_by_code, join_team, leave_team, rename_team


def _sentence(message: str) -> str:
    """Return a service message as a sentence for the page."""
    return message[:1].upper() + message[1:] + ("" if message.endswith((".", "?", "!")) else ".")


def _members(team: Team) -> list[tuple[Membership, User]]:
    return db.session.execute(
        db.select(Membership, User).join(User, User.id == Membership.user_id)
        .where(Membership.team_id == team.id).order_by(Membership.joined_at, Membership.id)
    ).all()


def _page(challenge: Challenge, *, status: int = 200, errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
          invited: Team | None = None):
    user = current_user._get_current_object()
    team = team_of(user, challenge)
    return render_template(
        "teams/team.html",
        challenge=challenge,
        team=team,
        members=_members(team) if team is not None else [],
        commitments=[(p, team_commitments(team, p)) for p in challenge.phases] if team is not None else [],
        label_limit=LABEL_LIMIT,
        max_size=challenge.settings.teams.max_size,
        accepted=has_accepted_terms(user, challenge),
        terms=challenge.settings.terms,
        terms_version=terms_version(challenge),
        invited=invited,
        errors=errors or {},
        values=values or {},
    ), status


def _attempt(challenge: Challenge, form: str, action: Callable[[], Any], success: Callable[[Any], str], **page: Any):
    """Run a team action: on success flash its message and go to the team page; on a refusal roll
    back and show the page again, the reason under the form that asked."""
    try:
        result = action()
    except TeamError as error:
        db.session.rollback()
        return _page(challenge, status=error.status, errors={form: _sentence(str(error))}, **page)
    flash(success(result), category="success")
    return redirect(url_for("teams.team_page", slug=challenge.slug))


def _code_and_team(challenge: Challenge, fields: Mapping[str, str]) -> tuple[str, Team | None]:
    """Return the invite code given in these fields and the team it belongs to, if any."""
    code = (fields.get("code") or "").strip()
    return code, find_team_by_code(challenge, code) if code else None


@bp.get("/challenges/<slug>/team")
@login_required
def team_page(slug: str):
    """Show the user's team, or the forms to create or join one (an invite link fills in the code)."""
    challenge = challenge_or_404(slug)
    code, invited = _code_and_team(challenge, request.args)
    errors = {}
    if code and invited is None:
        errors["join"] = _("That invite code does not belong to any team in this challenge; check the link you were sent.")
    return _page(challenge, errors=errors, values={"code": code}, invited=invited)


@bp.post("/challenges/<slug>/team")
@login_required
def create(slug: str):
    """Create a team with the user as its owner."""
    challenge = challenge_or_404(slug)
    name = request.form.get("name", "")
    return _attempt(challenge, "create", lambda: create_team(challenge, current_user._get_current_object(), name,
                                                             accept=request.form.get("accept") == "yes"),
                    lambda team: _("Team “%(name)s” is created. Share its invite link with your team mates.", name=team.name),
                    values={"name": name})


@bp.post("/challenges/<slug>/team/join")
@login_required
def join(slug: str):
    """Join the team whose invite code the user typed or followed."""
    challenge = challenge_or_404(slug)
    code, team = _code_and_team(challenge, request.form)
    if team is None:
        message = _("Enter the invite code a team member gave you.") if not code else \
            _("That invite code does not belong to any team in this challenge; check it and try again.")
        return _page(challenge, status=400 if not code else 404, errors={"join": message}, values={"code": code})
    return _attempt(challenge, "join", lambda: join_team(team, current_user._get_current_object(), code,
                                                         accept=request.form.get("accept") == "yes"),
                    lambda _membership: _("You joined team “%(name)s”.", name=team.name), values={"code": code}, invited=team)


@bp.post("/challenges/<slug>/team/rename")
@login_required
def rename(slug: str):
    """Rename the user's team."""
    challenge = challenge_or_404(slug)
    team = team_of(current_user, challenge)
    name = request.form.get("name", "")
    if team is None:
        return _page(challenge, status=404,
                     errors={"create": _("You are not in a team in this challenge, so there is none to rename.")})
    return _attempt(challenge, "rename", lambda: rename_team(team, current_user._get_current_object(), name),
                    lambda _none: _("Your team is now called “%(name)s”.", name=team.name), values={"name": name})


@bp.post("/challenges/<slug>/team/leave")
@login_required
def leave(slug: str):
    """Leave the user's team."""
    challenge = challenge_or_404(slug)
    team = team_of(current_user, challenge)
    if team is None:
        return _page(challenge, status=404, errors={"create": _("You are not in a team in this challenge.")})
    name = team.name
    return _attempt(challenge, "leave", lambda: leave_team(team, current_user._get_current_object()),
                    lambda _none: _("You left team “%(name)s”.", name=name))


@bp.post("/challenges/<slug>/team/commitments")
@login_required
def commit(slug: str):
    """Commit the SHA-256 of the team's model or code archive for a phase that has not opened yet."""
    challenge = challenge_or_404(slug)
    fields = {name: request.form.get(name, "") for name in ("phase", "sha256", "label")}
    try:
        made = make_commitment(challenge, current_user._get_current_object(), fields["phase"] or None,
                               fields["sha256"], fields["label"])
    except CommitmentRefused as error:
        db.session.rollback()
        return _page(challenge, status=error.status, errors={"commit": _sentence(error.detail)}, values=fields)
    flash(_("Committed %(sha256)s for the %(phase)s phase; it is the one in force until a later one.", sha256=made.sha256,
            phase=made.phase.title), category="success")
    return redirect(url_for("teams.team_page", slug=challenge.slug))


from . import access_routes  # noqa: E402,F401  (its views join the blueprint; kept apart for size)
