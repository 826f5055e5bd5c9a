"""The challenge's access log for the data-protection officer: who took the data, submitted, accepted, was barred or attested."""

from __future__ import annotations

import csv
import io
import json
from datetime import timezone
from typing import Any

from ..auth.erasure import is_erased
from ..extensions import db
from ..models import AuditEvent, Challenge, Membership, Team, User, utcnow
from ..organise.exports import csv_safe
from .attestation import ATTEST_ACTION

ACCESS_ACTIONS = ("file.download", "submission.upload", "submission.baseline", "terms.accept",
                  "user.suspend", "user.unsuspend", ATTEST_ACTION)
ACCESS_PREFIX = "access."  # approvals and refusals of a place in the challenge
COLUMNS = ["at", "action", "email", "name", "team", "target", "ip"]


def _person(user: User | None) -> tuple[str, str]:
    """Return the e-mail and name the log shows of a person: the pseudonym in both once they are erased."""
    if user is None:
        return "", ""
    return (user.name, user.name) if is_erased(user) else (user.email, user.name)


def _events(challenge: Challenge) -> list[AuditEvent]:
    return db.session.execute(
        db.select(AuditEvent).where(AuditEvent.challenge_id == challenge.id,
                                    AuditEvent.action.in_(ACCESS_ACTIONS) | AuditEvent.action.startswith(ACCESS_PREFIX))
        .order_by(AuditEvent.at, AuditEvent.id)
    ).scalars().all()


def _target(event: AuditEvent, users: dict[int, User]) -> str:
    """Return what the event acted on: the terms' version and digest, a file's name, a person's address, or the row's kind and id."""
    detail = event.detail or {}
    if event.action == "terms.accept":
        return f"terms version {detail.get('version', '')}" + (f" (sha256 {detail['text_sha256']})" if detail.get("text_sha256") else "")
    if event.target_type == "user" and (event.target_id or "").isdigit():
        return _person(users.get(int(event.target_id)))[0]
    if event.target_type == "challengefile" and detail.get("name"):
        return str(detail["name"])
    return f"{event.target_type} {event.target_id}" if event.target_type else ""


def access_log(challenge: Challenge) -> list[dict[str, Any]]:
    """Return the challenge's access events, oldest first, each with time (UTC ISO), action, person, team, target and IP."""
    events = _events(challenge)
    ids = {e.actor_id for e in events if e.actor_id is not None}
    ids |= {int(e.target_id) for e in events if e.target_type == "user" and (e.target_id or "").isdigit()}
    users = {u.id: u for u in db.session.execute(db.select(User).where(User.id.in_(ids))).scalars()} if ids else {}
    team_names = dict(db.session.execute(db.select(Team.id, Team.name).where(Team.challenge_id == challenge.id)).all())
    team_of_user = dict(db.session.execute(
        db.select(Membership.user_id, Membership.team_id).where(Membership.challenge_id == challenge.id)).all())
    rows = []
    for event in events:
        email, name = _person(users.get(event.actor_id))
        team_id = (event.detail or {}).get("team_id") or team_of_user.get(event.actor_id)
        if team_id is None and event.target_type == "user" and (event.target_id or "").isdigit():
            team_id = team_of_user.get(int(event.target_id))  # a suspension: the suspended person's team
        rows.append({"at": event.at.astimezone(timezone.utc).isoformat(), "action": event.action, "email": email,
                     "name": name, "team": team_names.get(team_id, ""), "target": _target(event, users), "ip": event.ip or ""})
    return rows


def access_log_csv(rows: list[dict[str, Any]]) -> str:
    """Return the access log as CSV, one event a line."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([csv_safe(row[c]) for c in COLUMNS])
    return out.getvalue()


def access_log_json(challenge: Challenge, rows: list[dict[str, Any]]) -> str:
    """Return the access log as JSON: the challenge, when it was made, and the events."""
    return json.dumps({"challenge": challenge.slug, "generated_at": utcnow().isoformat(), "events": rows}, indent=1)
