"""The challenge's audit log as the organisers page through it."""

from __future__ import annotations

from flask_sqlalchemy.pagination import Pagination

from ..extensions import db
from ..models import AuditEvent, Challenge, Team, User

AUDIT_PER_PAGE = 50


def audit_page(challenge: Challenge, page: int) -> Pagination:
    """Return one page of the challenge's audit events, newest first; a page past the end shows the last."""
    events = (
        db.select(AuditEvent)
        .where(AuditEvent.challenge_id == challenge.id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )
    found = db.paginate(events, page=page, per_page=AUDIT_PER_PAGE, error_out=False)
    if found.page > max(found.pages, 1):  # e.g. an old link after events were pruned: the last page, as before
        found = db.paginate(events, page=found.pages, per_page=AUDIT_PER_PAGE, error_out=False)
    return found


def actors(events) -> dict[int, User]:
    """Return the users who acted in these audit events, keyed by id."""
    ids = {event.actor_id for event in events if event.actor_id is not None}
    if not ids:
        return {}
    return {user.id: user for user in db.session.execute(db.select(User).where(User.id.in_(ids))).scalars()}


def team_names(events) -> dict[str, str]:
    """Return the names of the teams audit events point at, keyed by the event's target id."""
    ids = {int(event.target_id) for event in events if event.target_type == "team" and (event.target_id or "").isdigit()}
    if not ids:
        return {}
    return {str(i): name for i, name in db.session.execute(db.select(Team.id, Team.name).where(Team.id.in_(ids))).all()}
