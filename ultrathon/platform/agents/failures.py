"""Submissions an agent cannot score: its failure reports, leases that keep expiring, and the wait."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app

from ...i18n import N_
from .. import telemetry
from ..audit import record
from ..extensions import db
from ..models import Submission, SubmissionStatus, utcnow
from .leases import LeaseRefused, refuse, token_challenge_ids
from .models import AgentChallenge, AgentLease, AgentToken

QUEUED, SCORING, FAILED = (SubmissionStatus.QUEUED.value, SubmissionStatus.SCORING.value,
                           SubmissionStatus.FAILED.value)
# Stored as written, in English, and shown in the reader's language (submissions/reading.shown_error).
GAVE_UP = N_("the scoring agent could not score this submission")
WAITING = "waiting for the data holder's scoring agent"
FAILURE_KEYS = {"solution_sha256", "error", "problems"}
PROBLEM_KEYS = {"row", "column", "message"}
MAX_ERROR = 500
MAX_PROBLEMS = 20


def max_leases() -> int:
    """Return how many leases of one submission may expire before it ends failed."""
    return int(current_app.config.get("ULTRATHON_AGENT_MAX_LEASES") or 3)


def agent_wait() -> timedelta:
    """Return how long a submission waits for an agent before its page says so."""
    return timedelta(seconds=int(current_app.config.get("ULTRATHON_AGENT_WAIT_S") or 300))


def expired_leases(submission_id: int) -> int:
    """Return how many of the submission's leases expired without a result."""
    return db.session.execute(
        db.select(db.func.count()).select_from(AgentLease)
        .where(AgentLease.submission_id == submission_id, AgentLease.outcome == "expired")
    ).scalar_one()


def give_up(submission_id: int, job_id: str | None, expired: int) -> bool:
    """Fail a submission whose leases kept expiring, if nobody changed it meanwhile; commit; return whether."""
    from ..notifications.triggers import notify_submission_outcome
    from ..submissions.delivery import publish_submission_event

    taken = db.session.execute(
        db.update(Submission).where(Submission.id == submission_id, Submission.job_id == job_id,
                                    Submission.status.in_([QUEUED, SCORING]))
        .values(status=FAILED, error=GAVE_UP, error_detail=f"{expired} leases expired without a result", problems=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not taken:
        return False
    submission = db.session.get(Submission, submission_id)
    db.session.refresh(submission)
    record("submission.failed", challenge=submission.challenge, target=submission, by="agent leases",
           reason=f"{expired} leases expired")
    db.session.commit()
    telemetry.count("scoring_failures", reason="agent_leases_expired")
    publish_submission_event(submission)
    notify_submission_outcome(submission)
    return True


def _checked_failure(body: Any, lease: AgentLease, token: AgentToken) -> tuple[str, list[dict] | None]:
    """Return the report's message and problems, or refuse it (400) and give the job back."""

    def bad(detail: str) -> None:
        refuse(token, lease, 400, detail, release=True)

    if not isinstance(body, dict) or set(body) != FAILURE_KEYS:
        bad(f"the body must be a JSON object with exactly the keys {sorted(FAILURE_KEYS)}")
    pinned = db.session.get(AgentChallenge, lease.challenge_id)
    if not isinstance(body["solution_sha256"], str) or body["solution_sha256"].lower() != pinned.solution_sha256:
        bad("solution_sha256 is not the fingerprint this challenge pins: the agent holds another solution")
    error, problems = body["error"], body["problems"]
    if not isinstance(error, str) or not 0 < len(error.strip()) <= MAX_ERROR:
        bad(f"error must be the message a team reads, 1 to {MAX_ERROR} characters")
    if problems is None:
        return error.strip(), None
    if not isinstance(problems, list) or len(problems) > MAX_PROBLEMS:
        bad(f"problems must be null or a list of at most {MAX_PROBLEMS} objects")
    for index, problem in enumerate(problems):
        if (not isinstance(problem, dict) or set(problem) != PROBLEM_KEYS
                or not (problem["row"] is None or (isinstance(problem["row"], int) and not isinstance(problem["row"], bool)))
                or not (problem["column"] is None or isinstance(problem["column"], str))
                or not isinstance(problem["message"], str) or len(problem["message"]) > MAX_ERROR):
            bad(f"problems[{index}] must be an object with row (integer or null), column (text or null) and message (text)")
    return error.strip(), problems


def store_failure(token: AgentToken, lease_id: str, body: Any) -> dict[str, Any]:
    """End a leased submission `failed` with the agent's message; a repeat of the report changes nothing."""
    from ultrathon.worker.jobs import _announce, _finish

    lease = db.session.get(AgentLease, lease_id)
    if lease is None:
        raise LeaseRefused(404, f"no job {lease_id!r}")
    if lease.challenge_id not in token_challenge_ids(token) or lease.agent_token_id != token.id:
        refuse(token, lease, 403, "this job belongs to another agent's challenge or lease; this token may not report on it")
    error, problems = _checked_failure(body, lease, token)
    submission = db.session.get(Submission, lease.submission_id)
    if submission.job_id == lease.id and submission.status in (FAILED, SubmissionStatus.SCORED.value):
        db.session.rollback()  # reported twice: the first report stands
        return {"submission_id": submission.id, "status": submission.status, "stored": False}
    if submission.job_id != lease.id or submission.status != SCORING:
        refuse(token, lease, 409, f"this lease no longer holds the submission (it is {submission.status}); nothing is stored",
               count=False)
    values = {"status": FAILED, "error": error, "problems": problems,
              "error_detail": f"reported by the scoring agent {token.name!r}"}
    finished = _finish(submission.id, lease.id, values)
    if finished is None:
        return {"submission_id": submission.id, "status": db.session.get(Submission, submission.id).status, "stored": False}
    _announce(finished)
    lease, token = db.session.merge(lease), db.session.merge(token)
    lease.ended_at, lease.outcome = utcnow(), "failed"
    token.failures = (token.failures or 0) + 1
    record("agent.failure", challenge=finished.challenge, target=finished, lease=lease.id, agent_token_id=token.id,
           agent=token.name, error=error)
    db.session.commit()
    return {"submission_id": finished.id, "status": FAILED, "stored": True}


def mark_waiting(now: datetime | None = None) -> list[int]:
    """Say on agent challenges' submissions that nobody leased for the configured wait that they wait for it."""
    from ..submissions.delivery import publish_submission_event
    from .challenges import agent_challenge_ids

    now = now or utcnow()
    cutoff = now - agent_wait()
    rows = db.session.execute(
        db.select(Submission.id, Submission.status, Submission.job_id, Submission.created_at, Submission.started_at)
        .where(Submission.challenge_id.in_(agent_challenge_ids()), Submission.status.in_([QUEUED, SCORING]),
               Submission.error.is_(None))
    ).all()
    leases = {lease.id: lease for lease in db.session.execute(
        db.select(AgentLease).where(AgentLease.id.in_([r.job_id for r in rows if r.job_id]))).scalars()}
    waiting = []
    for row in rows:
        lease = leases.get(row.job_id)
        since = row.created_at if lease is None else (lease.ended_at or lease.expires_at)
        if row.status == SCORING and lease is not None and lease.ended_at is None and lease.expires_at > now:
            continue  # an agent holds it
        if since is not None and since <= cutoff and db.session.execute(
            db.update(Submission).where(Submission.id == row.id, Submission.status == row.status,
                                        Submission.job_id == row.job_id, Submission.error.is_(None))
            .values(error=WAITING).execution_options(synchronize_session=False)
        ).rowcount:
            waiting.append(row.id)
    db.session.commit()
    for submission_id in waiting:
        publish_submission_event(db.session.get(Submission, submission_id))
    return waiting
