"""Team logic shared by the web pages and the API."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy.exc import IntegrityError

from ...i18n import gettext as _
from ..audit import record
from ..challenges.access import has_accepted_terms, team_of
from ..extensions import db
from ..governance.access import ACCESS_REFUSED, ACCESS_REQUIRED, AccessError, ensure_request
from ..governance.gate import participation_refusal
from ..models import Challenge, Membership, Submission, Team, User
from ..submissions.quota import lock_team
from ..terms.acceptance import record_acceptance

MAX_TEAM_NAME = 80


class TeamError(ValueError):
    """A team request that cannot be carried out; `status` is the HTTP status that fits."""

    def __init__(self, message: str, status: int = 400, kind: str | None = None):
        super().__init__(message)
        self.status = status
        self.kind = kind  # the API's problem type, when not the status's own (governance refusals)


def _refuse_if_barred(challenge: Challenge, user: User, *, need_verified: bool = True, answers: Any = None) -> None:
    """Refuse a team change to an unverified, suspended or not (yet) admitted user, saying why and what to do."""
    refusal = participation_refusal(user, challenge, need_verified=need_verified)
    if need_verified and (refusal is None or refusal.kind in (ACCESS_REQUIRED, ACCESS_REFUSED)):
        # Answers given with the join or create make the access request (committed, whatever follows).
        try:
            ensure_request(challenge, user, answers)
        except AccessError as error:
            raise TeamError(str(error), error.status, error.kind) from None
        refusal = participation_refusal(user, challenge)
    if refusal is not None:
        raise TeamError(refusal.detail, 403, refusal.kind)


def _clean_name(name: str) -> str:
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise TeamError(_("a team needs a name"))
    if len(cleaned) > MAX_TEAM_NAME:
        raise TeamError(_("a team name has at most %(limit)s characters", limit=MAX_TEAM_NAME))
    return cleaned


def accept_terms(challenge: Challenge, user: User) -> None:
    """Record that the user accepts the challenge's data-use terms in force (idempotent)."""
    record_acceptance(challenge, user)  # with the exact text's SHA-256 and language (terms/acceptance.py)


def _check_name_free(challenge: Challenge, name: str, except_team: Team | None = None) -> None:
    clash = db.session.execute(
        db.select(Team.id).where(Team.challenge_id == challenge.id, db.func.lower(Team.name) == name.lower())
    ).scalar_one_or_none()
    if clash is not None and (except_team is None or clash != except_team.id):
        raise TeamError(_("a team named %(name)r exists already in this challenge", name=name), 409)


def create_team(challenge: Challenge, user: User, name: str, *, accept: bool = False, answers: Any = None) -> Team:
    """Create a team with the user as its owner; the user must accept the terms first or here."""
    name = _clean_name(name)
    _refuse_if_barred(challenge, user, answers=answers)
    if accept:
        accept_terms(challenge, user)
    elif not has_accepted_terms(user, challenge):
        raise TeamError(_("accept the challenge's data-use terms before creating a team"), 403)
    if team_of(user, challenge) is not None:
        raise TeamError(_("you are already in a team for this challenge; leave it first"), 409)
    _check_name_free(challenge, name)
    team = Team(challenge_id=challenge.id, name=name, invite_code=secrets.token_urlsafe(12))
    db.session.add(team)
    db.session.flush()
    db.session.add(Membership(team_id=team.id, user_id=user.id, challenge_id=challenge.id, role="owner"))
    record("team.create", actor=user, challenge=challenge, target=team, name=name)
    _commit_or_conflict(_("you are already in a team for this challenge, or that name is taken"))
    return team


def find_team_by_code(challenge: Challenge, code: str) -> Team | None:
    """Return the team of this challenge with this invite code."""
    return db.session.execute(
        db.select(Team).where(Team.challenge_id == challenge.id, Team.invite_code == (code or "").strip())
    ).scalar_one_or_none()


def join_team(team: Team, user: User, code: str, *, accept: bool = False, answers: Any = None) -> Membership:
    """Add the user to a team whose invite code they hold, within the size limit."""
    challenge = team.challenge
    # Compared as bytes: compare_digest refuses non-ASCII str, and a typed code may hold some.
    if not code or not secrets.compare_digest(team.invite_code.encode(), code.strip().encode()):
        raise TeamError(_("that invite code is not this team's"), 403)
    _refuse_if_barred(challenge, user, answers=answers)
    if accept:
        accept_terms(challenge, user)
    elif not has_accepted_terms(user, challenge):
        raise TeamError(_("accept the challenge's data-use terms before joining a team"), 403)
    current = team_of(user, challenge)
    if current is not None:
        raise TeamError(
            _("you are already in this team") if current.id == team.id
            else _("you are already in a team for this challenge; leave it first"), 409)
    if team.disqualified_at is not None:
        raise TeamError(_("this team has been disqualified"), 403)
    max_size = challenge.settings.teams.max_size
    # Counted under the team's lock, so joins racing for the last places take one each.
    lock_team(team.id)
    size = db.session.execute(db.select(db.func.count()).select_from(Membership).where(Membership.team_id == team.id)).scalar_one()
    if size >= max_size:
        db.session.rollback()
        raise TeamError(_("this team is full: a team has at most %(num)s members", num=max_size), 409)
    membership = Membership(team_id=team.id, user_id=user.id, challenge_id=challenge.id)
    db.session.add(membership)
    record("team.join", actor=user, challenge=challenge, target=team)
    _commit_or_conflict(_("you are already in a team for this challenge"))
    return membership


def leave_team(team: Team, user: User) -> None:
    """Remove the user from the team; an emptied team with no submissions is deleted."""
    membership = db.session.execute(
        db.select(Membership).where(Membership.team_id == team.id, Membership.user_id == user.id)
    ).scalar_one_or_none()
    if membership is None:
        raise TeamError(_("you are not in this team"), 404)
    _refuse_if_barred(team.challenge, user, need_verified=False)
    db.session.delete(membership)
    record("team.leave", actor=user, challenge=team.challenge, target=team)
    db.session.flush()
    remaining = db.session.execute(db.select(db.func.count()).select_from(Membership).where(Membership.team_id == team.id)).scalar_one()
    has_submissions = db.session.execute(db.select(Submission.id).where(Submission.team_id == team.id).limit(1)).first()
    if remaining == 0 and not has_submissions:
        db.session.delete(team)
    elif membership.role == "owner" and remaining:
        successor = db.session.execute(
            db.select(Membership).where(Membership.team_id == team.id).order_by(Membership.joined_at)
        ).scalars().first()
        successor.role = "owner"
    db.session.commit()


def rename_team(team: Team, user: User, name: str) -> None:
    """Rename a team; any member may."""
    name = _clean_name(name)
    if team_of(user, team.challenge) is None or team_of(user, team.challenge).id != team.id:
        raise TeamError(_("only the team's members can rename it"), 403)
    _refuse_if_barred(team.challenge, user, need_verified=False)
    _check_name_free(team.challenge, name, except_team=team)
    old = team.name
    team.name = name
    record("team.rename", actor=user, challenge=team.challenge, target=team, old=old, new=name)
    _commit_or_conflict(_("a team named %(name)r exists already in this challenge", name=name))


def _commit_or_conflict(message: str) -> None:
    # Two requests racing past the checks meet the unique constraints here instead.
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise TeamError(message, 409) from None
