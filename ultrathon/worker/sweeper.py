"""The sweeper: the database is the truth, so re-deliver what the queue lost.

It finds submissions `queued` with no live job (Redis restarted or was down at upload) and
submissions `scoring` whose job died or outlived its timeout (a killed worker), and enqueues
them again; one that used every attempt ends `failed` with a message a team understands.
Several sweepers may run at once (one per worker machine): each change is a compare-and-set
on the submission's job id, so only one of them re-delivers a given submission.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ultrathon.platform.audit import record
from ultrathon.platform.extensions import db
from ultrathon.platform.models import Challenge, Submission, SubmissionStatus, utcnow
from ultrathon.platform.queueing import get_redis
from ultrathon.platform.submissions.delivery import (
    DEFAULT_TIMEOUT_S,
    enqueue_scoring,
    new_job_id,
    publish_submission_event,
    scoring_timeout,
    timeout_message,
)

log = logging.getLogger(__name__)

QUEUED, SCORING, FAILED = (SubmissionStatus.QUEUED.value, SubmissionStatus.SCORING.value,
                           SubmissionStatus.FAILED.value)
# An upload is committed a moment before its job is enqueued: leave it that moment.
QUEUED_GRACE_S = 2
# RQ stops a job at its timeout; past timeout + this, whoever ran it is gone.
STALE_GRACE_S = 10
MAX_ATTEMPTS = 3
LIVE_JOB_STATUSES = {"queued", "started", "scheduled", "deferred"}
GAVE_UP = "scoring could not finish after {n} attempts; the organisers have been told"


@dataclass
class SweepResult:
    """What one sweep did."""

    requeued: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def _job_statuses(job_ids: list[str]) -> dict[str, str | None]:
    """Return each job's RQ status (None when Redis holds no such job), in one round trip."""
    if not job_ids:
        return {}
    pipe = get_redis().pipeline(transaction=False)
    for job_id in job_ids:
        pipe.hget(f"rq:job:{job_id}", "status")
    return {job_id: (s.decode() if isinstance(s, bytes) else s) for job_id, s in zip(job_ids, pipe.execute())}


def _stop_job(job_id: str) -> None:
    """Ask the worker still running a superseded job to stop it (best effort)."""
    try:
        from rq.command import send_stop_job_command

        send_stop_job_command(get_redis(), job_id)
    except Exception:
        pass  # not running anywhere: nothing to stop


def sweep(now: datetime | None = None, *, queued_grace_s: float = QUEUED_GRACE_S,
          stale_grace_s: float = STALE_GRACE_S) -> SweepResult:
    """Re-deliver submissions whose job vanished or stalled; fail those out of attempts."""
    now = now or utcnow()
    rows = db.session.execute(
        db.select(Submission.id, Submission.status, Submission.job_id, Submission.created_at,
                  Submission.started_at, Submission.attempts, Submission.challenge_id)
        .where(Submission.status.in_([QUEUED, SCORING]))
        .order_by(Submission.id)
    ).all()
    result = SweepResult()
    if not rows:
        return result
    timeouts = {
        c.id: scoring_timeout(c)
        for c in db.session.execute(db.select(Challenge).where(Challenge.id.in_({r.challenge_id for r in rows}))).scalars()
    }
    # Redis down: nothing can be delivered now, and no job's fate is known; try next time.
    statuses = _job_statuses([r.job_id for r in rows if r.job_id])

    deliveries, to_stop, changed = [], [], []
    for row in rows:
        timeout = timeouts.get(row.challenge_id, DEFAULT_TIMEOUT_S)
        live = row.job_id is not None and statuses.get(row.job_id) in LIVE_JOB_STATUSES
        if row.status == QUEUED:
            if live or now - row.created_at < timedelta(seconds=queued_grace_s):
                continue
            reason = "no job in the queue"
        else:
            overdue = row.started_at is None or now - row.started_at > timedelta(seconds=timeout + stale_grace_s)
            if live and not overdue:
                continue
            reason = "scoring outlived its timeout" if live else "the job running it ended without a result"
            if live:
                to_stop.append(row.job_id)
            if row.attempts >= MAX_ATTEMPTS:
                ran_out = row.started_at is not None and now - row.started_at > timedelta(seconds=timeout)
                message = timeout_message(timeout) if ran_out else GAVE_UP.format(n=row.attempts)
                if _compare_and_set(row, status=FAILED, error=message,
                                    error_detail=f"given up by the sweeper: {reason}"):
                    result.failed.append(row.id)
                    changed.append((row.id, "submission.failed", reason))
                continue
        job_id = new_job_id(row.id)
        if _compare_and_set(row, status=QUEUED, job_id=job_id):
            deliveries.append((row.id, job_id, timeout))
            result.requeued.append(row.id)
            changed.append((row.id, "submission.requeue", reason))
    if not changed:
        db.session.rollback()
        return result

    submissions = {s.id: s for s in db.session.execute(
        db.select(Submission).where(Submission.id.in_([sid for sid, _, _ in changed]))).scalars()}
    for sid, action, reason in changed:
        record(action, challenge=submissions[sid].challenge, target=submissions[sid], by="sweeper", reason=reason)
    db.session.commit()
    for job_id in to_stop:
        _stop_job(job_id)
    enqueue_scoring(deliveries)
    for sid in result.requeued + result.failed:
        publish_submission_event(submissions[sid])
    if result.requeued or result.failed:
        log.info("sweeper re-delivered %s and failed %s", result.requeued, result.failed)
    return result


def _compare_and_set(row, **values) -> bool:
    """Change the submission only if nobody else changed it since it was read."""
    where = [Submission.id == row.id, Submission.status == row.status]
    where.append(Submission.job_id.is_(None) if row.job_id is None else Submission.job_id == row.job_id)
    return bool(db.session.execute(
        db.update(Submission).where(*where).values(**values).execution_options(synchronize_session=False)
    ).rowcount)
