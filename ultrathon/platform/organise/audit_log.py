"""The challenge's audit log as the organisers page through it."""

from __future__ import annotations

import math

from ..extensions import db
from ..models import AuditEvent, Challenge, Team, User

AUDIT_PER_PAGE = 50


def audit_page(challenge: Challenge, page: int):
    """Return one page of the challenge's audit events, newest first, each with its actor."""
    query = (
        db.select(AuditEvent, User)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.challenge_id == challenge.id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )
    total = db.session.execute(
        db.select(db.func.count()).select_from(AuditEvent).where(AuditEvent.challenge_id == challenge.id)
    ).scalar_one()
    pages = max(1, math.ceil(total / AUDIT_PER_PAGE))
    page = min(max(page, 1), pages)
    rows = db.session.execute(query.limit(AUDIT_PER_PAGE).offset((page - 1) * AUDIT_PER_PAGE)).all()
    return rows, page, pages, total


def team_names(rows) -> dict[str, str]:
    """Return the names of the teams audit events point at, keyed by the event's target id."""
    ids = {int(event.target_id) for event, _ in rows if event.target_type == "team" and (event.target_id or "").isdigit()}
    if not ids:
        return {}
    return {str(i): name for i, name in db.session.execute(db.select(Team.id, Team.name).where(Team.id.in_(ids))).all()}
