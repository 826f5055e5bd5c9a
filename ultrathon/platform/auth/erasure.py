"""A person's data on request: the JSON export of it, and its erasure behind a stable pseudonym."""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

from flask import current_app

from ...i18n import gettext as _
from ..audit import record
from ..extensions import db
from ..governance.models import AccessRequest
from ..leaderboard.cache import clear_leaderboard
from ..models import ApiToken, AuditEvent, Challenge, Membership, Submission, Team, TermsAcceptance, User
from ..notifications.settings import settings_of
from .service import ERASED_DOMAIN, AccountError, end_sessions

_UNUSABLE_HASH = "!erased"  # not an Argon2 hash, so no password ever matches it


def pseudonym_for(user_id: int) -> str:
    """Return the stable pseudonym of a user id, keyed with the app's secret so the id alone cannot give it."""
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    digest = hmac.new(key, f"ultrathon.erasure:{user_id}".encode(), hashlib.sha256).hexdigest()
    return f"erased-user-{digest[:8]}"


def is_erased(user: User) -> bool:
    """Return whether the account has been erased."""
    return user.email.endswith("@" + ERASED_DOMAIN)


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _events_about(user: User) -> list[AuditEvent]:
    """Return the audit events the user did or that were done to their account, oldest first."""
    return db.session.execute(
        db.select(AuditEvent).where(
            (AuditEvent.actor_id == user.id) | ((AuditEvent.target_type == "user") & (AuditEvent.target_id == str(user.id)))
        ).order_by(AuditEvent.at, AuditEvent.id)
    ).scalars().all()


def export_user_data(user: User) -> dict[str, Any]:
    """Return everything kept about a person, as JSON-ready data (no secrets: no hashes, no token values)."""
    memberships = db.session.execute(db.select(Membership).where(Membership.user_id == user.id).order_by(Membership.id)).scalars()
    slugs = dict(db.session.execute(db.select(Challenge.id, Challenge.slug)).all())
    submissions = db.session.execute(
        db.select(Submission).where(Submission.user_id == user.id).order_by(Submission.created_at, Submission.id)).scalars()
    terms = db.session.execute(db.select(TermsAcceptance).where(TermsAcceptance.user_id == user.id)).scalars()
    tokens = db.session.execute(db.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)).scalars()
    asked = db.session.execute(db.select(AccessRequest).where(AccessRequest.user_id == user.id).order_by(AccessRequest.id)).scalars()
    return {
        "profile": {"id": user.id, "email": user.email, "name": user.name, "is_admin": user.is_admin,
                    "active": user.is_active_account, "created_at": _iso(user.created_at),
                    "last_login_at": _iso(user.last_login_at), "language": user.language,
                    "notifications": settings_of(user)},
        "memberships": [{"challenge": slugs.get(m.challenge_id), "team": m.team.name, "team_id": m.team_id,
                         "role": m.role, "joined_at": _iso(m.joined_at)} for m in memberships],
        "terms_accepted": [{"challenge": slugs.get(t.challenge_id), "version": t.version, "text_sha256": t.text_sha256,
                            "language": t.language,
                            "accepted_at": _iso(t.accepted_at)} for t in terms],
        "submissions": [{"id": s.id, "challenge": slugs.get(s.challenge_id), "team_id": s.team_id, "status": s.status,
                         "filename": s.filename, "note": s.note, "size": s.size, "sha256": s.sha256,
                         "created_at": _iso(s.created_at), "scored_at": _iso(s.scored_at),
                         "selected": s.selected_at is not None, "error": s.error} for s in submissions],
        "access_requests": [{"challenge": slugs.get(a.challenge_id), "answers": a.answers, "status": a.status,
                             "reason": a.reason, "created_at": _iso(a.created_at), "decided_at": _iso(a.decided_at)}
                            for a in asked],
        "api_tokens": [{"name": t.name, "prefix": t.prefix, "created_at": _iso(t.created_at),
                        "expires_at": _iso(t.expires_at), "last_used_at": _iso(t.last_used_at),
                        "revoked_at": _iso(t.revoked_at)} for t in tokens],
        "audit_events": [{"at": _iso(e.at), "action": e.action, "challenge": slugs.get(e.challenge_id),
                          "target_type": e.target_type, "target_id": e.target_id, "detail": e.detail,
                          # Another person's address (an admin acting on the account) is theirs, not this person's.
                          "ip": e.ip if e.actor_id == user.id else None}
                         for e in _events_about(user)],
    }


def _scrubber(needles: list[str], pseudonym: str):
    """Return a function replacing every needle, in any case, inside a string or JSON value."""
    pattern = re.compile("|".join(re.escape(n) for n in sorted({n for n in needles if n}, key=len, reverse=True)),
                         re.IGNORECASE)

    def scrub(value: Any) -> Any:
        if isinstance(value, str):
            return pattern.sub(pseudonym, value)
        if isinstance(value, dict):
            return {scrub(k): scrub(v) for k, v in value.items()}
        if isinstance(value, list):
            return [scrub(v) for v in value]
        return value

    return scrub


def _check_erasable(user: User) -> None:
    """Refuse an erasure that would leave the address behind, or that was done already."""
    if is_erased(user):
        raise AccountError(_("this account has been erased already"))
    named = [c.slug for c in db.session.execute(db.select(Challenge).order_by(Challenge.slug)).scalars()
             if user.email in c.organisers]
    if named:
        # The address is in the challenge folder's spec, which the platform loads but does not own.
        raise AccountError(_("%(email)s organises %(challenges)s: take the address out of organisers: in challenge.yaml "
                             "and load the challenge again first", email=user.email, challenges=", ".join(named)))


def _pseudonymise_sole_teams(user: User, pseudonym: str) -> tuple[list[str], list[Team]]:
    """Rename each team the user is alone in to the pseudonym; return the old names and those teams."""
    old_names, teams = [], []
    for membership in db.session.execute(db.select(Membership).where(Membership.user_id == user.id)).scalars().all():
        team = membership.team
        if len(team.memberships) == 1:
            old_names.append(team.name)
            teams.append(team)
            team.name = pseudonym  # unique per challenge: the user has one team in each
    return old_names, teams


def _scrub_audit_trail(user: User, teams: list[Team], scrub) -> None:
    """Rewrite the details of the events about the user and their sole teams, and drop their addresses."""
    team_ids = [str(t.id) for t in teams]
    events = db.session.execute(db.select(AuditEvent.id, AuditEvent.actor_id, AuditEvent.detail).where(
        (AuditEvent.actor_id == user.id)
        | ((AuditEvent.target_type == "user") & (AuditEvent.target_id == str(user.id)))
        | ((AuditEvent.target_type == "team") & AuditEvent.target_id.in_(team_ids))
    )).all()
    for event_id, actor_id, detail in events:
        values: dict[str, Any] = {"detail": scrub(detail or {})}
        if actor_id == user.id:
            values["ip"] = None  # where a person was is personal data too
        # The one sanctioned rewrite of the append-only trail: a bulk UPDATE, which the flush guard does not see.
        db.session.execute(db.update(AuditEvent).where(AuditEvent.id == event_id).values(**values),
                           execution_options={"synchronize_session": False})


def erase_user(user: User, actor: User | None = None, **detail: Any) -> str:
    """Erase a person's data, keep their team's rows under a pseudonym, commit; return the pseudonym."""
    _check_erasable(user)
    pseudonym = pseudonym_for(user.id)
    old_team_names, teams = _pseudonymise_sole_teams(user, pseudonym)
    scrub = _scrubber([user.email, user.name, *old_team_names], pseudonym)
    _scrub_audit_trail(user, teams, scrub)
    for submission in db.session.execute(db.select(Submission).where(Submission.user_id == user.id)).scalars():
        submission.note, submission.filename = scrub(submission.note or ""), scrub(submission.filename or "")
    db.session.execute(db.delete(ApiToken).where(ApiToken.user_id == user.id), execution_options={"synchronize_session": False})
    for asked in db.session.execute(db.select(AccessRequest).where(AccessRequest.user_id == user.id)).scalars():
        asked.answers = {}  # the person's own words (institution, ORCID); the decision stays
        asked.reason = scrub(asked.reason) if asked.reason else asked.reason
    user.email, user.name = f"{pseudonym}@{ERASED_DOMAIN}", pseudonym
    user.password_hash, user.is_admin, user.is_active_account, user.last_login_at = _UNUSABLE_HASH, False, False, None
    end_sessions(user)
    member_of = {m.challenge_id: m.team.challenge for m in user.memberships}
    # The pseudonym alone: organisers and admins see that an erasure happened, not whose.
    record("account.erased", actor=actor, target=user, pseudonym=pseudonym, **detail)
    for challenge in member_of.values():
        record("account.erased", challenge=challenge, target=user, pseudonym=pseudonym)
    db.session.commit()
    for challenge in member_of.values():
        clear_leaderboard(challenge.id, challenge.slug)  # cached standings hold the old names
    return pseudonym
