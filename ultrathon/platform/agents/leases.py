"""Leasing agent jobs: one agent holds a submission until its lease expires or its result is stored."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app

from .. import telemetry
from ..audit import record
from ..extensions import db
from ..models import Challenge, Submission, SubmissionStatus, utcnow
from .models import AgentLease, AgentToken, agent_token_challenge

QUEUED, SCORING = SubmissionStatus.QUEUED.value, SubmissionStatus.SCORING.value
DEFAULT_LEASE_S = 120
CANDIDATES = 20  # submissions looked at per try; others wait for the next


class LeaseRefused(Exception):
    """A lease operation the agent may not do: status and a message for the problem document."""

    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status, self.detail = status, detail


@dataclass(frozen=True)
class LeaseView:
    """A lease as the agent needs it, read before the session lets the rows go."""

    id: str
    submission_id: int
    challenge: str
    expires_at: str
    sha256: str
    size: int
    site: str | None = None  # several sites: the site whose rows this job scores
    phase: str = "main"  # the phase whose solution rows score it (data.phase_column)


def lease_seconds() -> float:
    """Return how long a lease lasts without a heartbeat (ULTRATHON_AGENT_LEASE_S)."""
    return float(current_app.config.get("ULTRATHON_AGENT_LEASE_S") or DEFAULT_LEASE_S)


def token_challenge_ids(token: AgentToken) -> list[int]:
    """Return the ids of the challenges this token may lease."""
    return list(db.session.execute(
        db.select(agent_token_challenge.c.challenge_id).where(agent_token_challenge.c.agent_token_id == token.id)
    ).scalars())


def _holds(lease: AgentLease | None, now) -> bool:
    return lease is not None and lease.ended_at is None and lease.expires_at > now


def lease_next(token: AgentToken) -> LeaseView | None:
    """Lease the oldest waiting submission of the token's challenges (or one whose lease expired)."""
    if token.site is not None:
        from .sites import lease_site_job

        return lease_site_job(token)
    now = utcnow()
    rows = db.session.execute(
        db.select(Submission.id, Submission.status, Submission.job_id)
        .where(Submission.challenge_id.in_(token_challenge_ids(token)), Submission.status.in_([QUEUED, SCORING]))
        .order_by(Submission.id).limit(CANDIDATES)
    ).all()
    for row in rows:
        previous = db.session.get(AgentLease, row.job_id) if row.job_id else None
        if row.status == SCORING and _holds(previous, now):
            continue
        if _gave_up(row, previous, now):
            continue
        lease_id = f"lease-{row.id}-{secrets.token_hex(6)}"
        # Compare and set: of agents racing for one submission, one wins and the others try the next.
        taken = db.session.execute(
            db.update(Submission)
            .where(Submission.id == row.id, Submission.status == row.status, Submission.job_id == row.job_id)
            .values(status=SCORING, job_id=lease_id, started_at=now, attempts=Submission.attempts + 1,
                    error=None, error_detail=None, problems=None)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not taken:
            continue
        if previous is not None and previous.ended_at is None:
            previous.ended_at, previous.outcome = now, "expired"
        submission = db.session.get(Submission, row.id)
        lease = AgentLease(id=lease_id, submission_id=row.id, challenge_id=submission.challenge_id,
                           agent_token_id=token.id, leased_at=now, expires_at=now + timedelta(seconds=lease_seconds()))
        db.session.add(lease)
        record("agent.lease", challenge=submission.challenge, target=submission, lease=lease_id,
               agent_token_id=token.id, agent=token.name, again=previous is not None)
        view = LeaseView(lease_id, row.id, submission.challenge.slug, lease.expires_at.isoformat(), submission.sha256,
                         submission.size, phase=submission.phase.slug)
        db.session.commit()
        telemetry.count("agent_leases", agent=token.name)
        return view
    db.session.rollback()  # a long poll waits outside any transaction, and then sees new rows
    return None


def _gave_up(row, previous: AgentLease | None, now) -> bool:
    """End an expired lease; fail its submission (and return True) when too many have expired."""
    from .failures import expired_leases, give_up, max_leases

    if row.status != SCORING or previous is None or previous.ended_at is not None:
        return False
    expired = expired_leases(row.id) + 1
    if expired < max_leases():
        return False
    previous.ended_at, previous.outcome = now, "expired"
    if not give_up(row.id, row.job_id, expired):
        db.session.rollback()
    return True


def held_lease(token: AgentToken, lease_id: str) -> AgentLease:
    """Return the token's lease that still holds its submission; refuse with 403, 404 or 409."""
    lease = db.session.get(AgentLease, lease_id)
    if lease is None:
        raise LeaseRefused(404, f"no job {lease_id!r}")
    if lease.challenge_id not in token_challenge_ids(token) or lease.agent_token_id != token.id:
        refuse(token, lease, 403, "this job belongs to another agent's challenge or lease; this token may not touch it")
    if lease.site is not None:  # several sites: the site's job, not the submission, says who holds it
        from .sites import site_job_holder

        job_id = site_job_holder(lease)
    else:
        job_id = db.session.execute(db.select(Submission.job_id).where(Submission.id == lease.submission_id)).scalar()
    if lease.ended_at is not None or job_id != lease.id or lease.expires_at <= utcnow():
        refuse(token, lease, 409, "this lease has ended (expired, released or done); lease a job again", count=False)
    return lease


def extend_lease(token: AgentToken, lease_id: str) -> str:
    """Push a held lease's expiry on by one lease period; return the new expiry."""
    lease = held_lease(token, lease_id)
    lease.expires_at = utcnow() + timedelta(seconds=lease_seconds())
    expires = lease.expires_at.isoformat()
    # Counted on the agent's row, not audited: a beat every 30 s per job would swamp the audit log.
    token.heartbeats = (token.heartbeats or 0) + 1
    db.session.commit()
    telemetry.count("agent_heartbeats", agent=token.name)
    return expires


def submission_bytes(token: AgentToken, lease_id: str) -> tuple[bytes, str]:
    """Return a held lease's submission file and its name."""
    lease = held_lease(token, lease_id)
    row = db.session.execute(
        db.select(Submission.content, Submission.filename).where(Submission.id == lease.submission_id)
    ).one()
    db.session.commit()
    return bytes(row.content), row.filename


def refuse(token: AgentToken, lease: AgentLease, status: int, detail: str, *, release: bool = False,
           count: bool = True) -> None:
    """Record a refusal (counted against the agent unless told), release the lease if asked, and raise it."""
    db.session.rollback()
    token = db.session.merge(token)
    lease = db.session.merge(lease)
    if release and lease.agent_token_id == token.id:
        from .tokens import release_lease

        release_lease(lease, "refused")
    if count:  # a late call on an ended lease is the platform's doing as often as the agent's
        token.failures = (token.failures or 0) + 1
    record("agent.refused", challenge=db.session.get(Challenge, lease.challenge_id),
           target=db.session.get(Submission, lease.submission_id), lease=lease.id, agent_token_id=token.id,
           agent=token.name, status=status, reason=detail)
    db.session.commit()
    raise LeaseRefused(status, detail)
