"""The audit trail: one function that appends an event to the current transaction."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request

from .extensions import db
from .models import AuditEvent, Challenge, User


def record(
    action: str,
    *,
    actor: User | None = None,
    challenge: Challenge | None = None,
    target: Any = None,
    **detail: Any,
) -> AuditEvent:
    """Add an audit event to the session; the caller's commit writes it with the change."""
    event = AuditEvent(
        action=action,
        actor_id=actor.id if actor is not None else None,
        challenge_id=challenge.id if challenge is not None else None,
        target_type=type(target).__name__.lower() if target is not None else None,
        target_id=str(target.id) if target is not None else None,
        detail=detail,
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(event)
    return event
