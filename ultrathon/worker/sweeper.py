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

from rq.command import send_stop_job_command
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from ultrathon.i18n import N_, gettext as _, speaking
from ultrathon.platform import telemetry
from ultrathon.platform.agents.challenges import agent_challenge_ids
from ultrathon.platform.agents.failures import mark_waiting
from ultrathon.platform.audit import record
from ultrathon.platform.extensions import db
from ultrathon.platform.models import Challenge, Submission, SubmissionStatus, utcnow
from ultrathon.platform.notifications.triggers import notify_submission_outcome
from ultrathon.platform.queueing import get_redis
from ultrathon.platform.submissions.delivery import (
    DEFAULT_TIMEOUT_S,
    enqueue_scoring,
    message_language,
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
LIVE_JOB_STATUSES = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED}
GAVE_UP = N_("scoring could not finish after %(n)s attempts; the organisers have been told")


@dataclass
class SweepResult:
    """What one sweep did."""

    requeued: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def _job_statuses(job_ids: list[str]) -> dict[str, JobStatus | None]:
    """Return each job's RQ status (None when Redis holds no such job), in one round trip."""
    if not job_ids:
        return {}
    connection = get_redis()
    try:
        jobs = Job.fetch_many(job_ids, connection=connection)
    except NoSuchJobError:  # a hash RQ left without its job (a status written after expiry)
        jobs = [_fetch_or_none(job_id, connection) for job_id in job_ids]
    return {job_id: job.get_status(refresh=False) if job else None for job_id, job in zip(job_ids, jobs)}


def _fetch_or_none(job_id: str, connection) -> Job | None:
    """Return the job, or None when Redis holds nothing RQ could run."""
    try:
        return Job.fetch(job_id, connection=connection)
    except NoSuchJobError:
        return None


def _stop_job(job_id: str) -> None:
    """Ask the worker still running a superseded job to stop it (best effort)."""
    try:
        send_stop_job_command(get_redis(), job_id)
    except Exception:
        pass  # not running anywhere: nothing to stop


def sweep(now: datetime | None = None, *, queued_grace_s: float = QUEUED_GRACE_S,
          stale_grace_s: float = STALE_GRACE_S) -> SweepResult:
    """Re-deliver submissions whose job vanished or stalled; fail those out of attempts; name the agent waits."""
    mark_waiting(now)
    rows = db.session.execute(
        db.select(Submission.id, Submission.status, Submission.job_id, Submission.created_at,
                  Submission.started_at, Submission.attempts, Submission.challenge_id)
        .where(Submission.status.in_([QUEUED, SCORING]))
        # An agent challenge's submissions wait for its agent's lease, whose expiry re-offers them.
        .where(Submission.challenge_id.not_in(agent_challenge_ids()))
        .order_by(Submission.id)
    ).all()
    run = _Sweep(now or utcnow(), timedelta(seconds=queued_grace_s), timedelta(seconds=stale_grace_s))
    if not rows:
        return run.result
    timeouts = {
        c.id: scoring_timeout(c)
        for c in db.session.execute(db.select(Challenge).where(Challenge.id.in_({r.challenge_id for r in rows}))).scalars()
    }
    # Redis down: nothing can be delivered now, and no job's fate is known; try next time.
    statuses = _job_statuses([r.job_id for r in rows if r.job_id])
    for row in rows:
        live = row.job_id is not None and statuses.get(row.job_id) in LIVE_JOB_STATUSES
        run.visit(row, timeouts.get(row.challenge_id, DEFAULT_TIMEOUT_S), live)
    run.finish()
    return run.result


@dataclass
class _Sweep:
    """One sweep's clock and grace periods, what it changed, and what is due once committed."""

    now: datetime
    queued_grace: timedelta
    stale_grace: timedelta
    result: SweepResult = field(default_factory=SweepResult)
    deliveries: list[tuple[int, str, int]] = field(default_factory=list)  # (submission, job, timeout)
    to_stop: list[str] = field(default_factory=list)  # jobs still running a superseded delivery
    changed: list[tuple[int, str, str]] = field(default_factory=list)  # (submission, action, reason)

    def reason(self, row, timeout: int, live: bool) -> str | None:
        """Return why the submission needs the sweeper, or None when its job is in hand."""
        if row.status == QUEUED:
            if live or self.now - row.created_at < self.queued_grace:
                return None
            return "no job in the queue"
        overdue = row.started_at is None or self.now - row.started_at > timedelta(seconds=timeout) + self.stale_grace
        if live and not overdue:
            return None
        return "scoring outlived its timeout" if live else "the job running it ended without a result"

    def visit(self, row, timeout: int, live: bool) -> None:
        """Re-deliver the submission, or fail it when it is out of attempts, if it needs it."""
        reason = self.reason(row, timeout, live)
        if reason is None:
            return
        if row.status == SCORING:
            if live:
                self.to_stop.append(row.job_id)
            if row.attempts >= MAX_ATTEMPTS:
                self.give_up(row, timeout, reason)
                return
        job_id = new_job_id(row.id)
        if _compare_and_set(row, status=QUEUED, job_id=job_id):
            self.deliveries.append((row.id, job_id, timeout))
            self.result.requeued.append(row.id)
            self.changed.append((row.id, "submission.requeue", reason))

    def give_up(self, row, timeout: int, reason: str) -> None:
        """Fail a submission that used every attempt, with the message a team understands."""
        ran_out = row.started_at is not None and self.now - row.started_at > timedelta(seconds=timeout)
        submission = db.session.get(Submission, row.id)
        # Stored once for the team to read: in the uploader's language.
        with speaking(message_language(submission) if submission is not None else None):
            message = timeout_message(timeout) if ran_out else _(GAVE_UP, n=row.attempts)
        if _compare_and_set(row, status=FAILED, error=message, error_detail=f"given up by the sweeper: {reason}"):
            telemetry.count("scoring_failures", reason="sweeper_gave_up")
            self.result.failed.append(row.id)
            self.changed.append((row.id, "submission.failed", reason))

    def finish(self) -> None:
        """Commit the changes with their audit, then stop, deliver and announce."""
        if not self.changed:
            db.session.rollback()
            return
        submissions = {s.id: s for s in db.session.execute(
            db.select(Submission).where(Submission.id.in_([sid for sid, _, _ in self.changed]))).scalars()}
        for sid, action, reason in self.changed:
            record(action, challenge=submissions[sid].challenge, target=submissions[sid], by="sweeper", reason=reason)
        db.session.commit()
        for job_id in self.to_stop:
            _stop_job(job_id)
        enqueue_scoring(self.deliveries)
        for sid in self.result.requeued + self.result.failed:
            publish_submission_event(submissions[sid])
        for sid in self.result.failed:
            notify_submission_outcome(submissions[sid])
        if self.result.requeued or self.result.failed:
            log.info("sweeper re-delivered %s and failed %s", self.result.requeued, self.result.failed)


def _compare_and_set(row, **values) -> bool:
    """Change the submission only if nobody else changed it since it was read."""
    where = [Submission.id == row.id, Submission.status == row.status]
    where.append(Submission.job_id.is_(None) if row.job_id is None else Submission.job_id == row.job_id)
    return bool(db.session.execute(
        db.update(Submission).where(*where).values(**values).execution_options(synchronize_session=False)
    ).rowcount)
