"""The sweeper re-delivers what the queue lost, leaves live jobs alone, and gives up readably."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rq.job import Job, JobStatus

from ultrathon.platform.extensions import db
from ultrathon.platform.models import AuditEvent, Submission, utcnow
from ultrathon.platform.queueing import get_queue, get_redis
from ultrathon.worker.sweeper import GAVE_UP, MAX_ATTEMPTS, STALE_GRACE_S, sweep


def fresh(submission_id: int) -> Submission:
    db.session.expire_all()
    return db.session.get(Submission, submission_id)


def later(seconds: float):
    return utcnow() + timedelta(seconds=seconds)


@pytest.fixture
def queued(make_challenge, make_submission):
    """A freshly uploaded submission, its job on the queue."""
    return make_submission(make_challenge())


def lose_the_queue() -> None:
    """Empty Redis, as a restart without persistence does."""
    get_redis().flushdb()


def test_a_queued_submission_whose_job_vanished_is_delivered_again_and_scored(queued, run_worker):
    old_job = queued.job_id
    lose_the_queue()
    result = sweep(now=later(5))
    assert result.requeued == [queued.id]
    stored = fresh(queued.id)
    assert stored.status == "queued" and stored.job_id != old_job
    assert get_queue().job_ids == [stored.job_id]
    requeue = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "submission.requeue")).scalar_one()
    assert requeue.detail["reason"] == "no job in the queue"
    run_worker()
    assert fresh(queued.id).status == "scored"


def test_a_just_uploaded_submission_is_left_its_moment(queued):
    lose_the_queue()
    assert sweep().requeued == []
    assert fresh(queued.id).job_id == queued.job_id


def test_a_submission_whose_job_is_waiting_is_left_alone(queued):
    assert sweep(now=later(60)).requeued == []
    assert fresh(queued.id).job_id == queued.job_id
    assert get_queue().count == 1


def test_a_sweep_after_a_sweep_does_not_deliver_twice(queued):
    lose_the_queue()
    assert sweep(now=later(5)).requeued == [queued.id]
    assert sweep(now=later(10)).requeued == []
    assert get_queue().count == 1


def test_scoring_whose_job_ended_without_a_result_is_delivered_again(queued, run_worker):
    stored = fresh(queued.id)
    stored.status, stored.started_at, stored.attempts = "scoring", utcnow(), 1  # its worker was killed
    db.session.commit()
    lose_the_queue()
    assert sweep().requeued == [queued.id]
    run_worker()
    stored = fresh(queued.id)
    assert stored.status == "scored" and stored.attempts == 2  # the killed run and this one


def test_scoring_past_its_timeout_is_delivered_again_and_the_old_run_stores_nothing(queued, run_worker):
    stored = fresh(queued.id)
    stored.status, stored.started_at, stored.attempts = "scoring", utcnow(), 1
    db.session.commit()
    # The old job still looks alive to RQ (its worker vanished without telling anyone).
    assert sweep(now=later(600 + STALE_GRACE_S - 1)).requeued == []
    assert sweep(now=later(600 + STALE_GRACE_S + 1)).requeued == [queued.id]
    assert get_queue().count == 2  # the stale job, and the new delivery
    run_worker()
    stored = fresh(queued.id)
    assert stored.status == "scored" and stored.attempts == 2  # the stale job found it was replaced


def test_after_every_attempt_the_submission_ends_failed_with_a_message(queued):
    stored = fresh(queued.id)
    stored.status, stored.started_at, stored.attempts = "scoring", utcnow(), MAX_ATTEMPTS
    db.session.commit()
    lose_the_queue()
    assert sweep().failed == [queued.id]
    stored = fresh(queued.id)
    assert (stored.status, stored.error) == ("failed", GAVE_UP % {"n": MAX_ATTEMPTS})
    assert "sweeper" in stored.error_detail


def test_a_submission_out_of_attempts_and_time_ends_failed_for_its_timeout(queued):
    stored = fresh(queued.id)
    stored.status, stored.started_at, stored.attempts = "scoring", utcnow() - timedelta(seconds=700), MAX_ATTEMPTS
    db.session.commit()
    assert sweep().failed == [queued.id]
    assert fresh(queued.id).error == "the challenge's scoring program exceeded its time limit of 600 s"


def test_finished_submissions_are_never_touched(queued, run_worker):
    run_worker()
    lose_the_queue()
    result = sweep(now=later(3600))
    assert (result.requeued, result.failed) == ([], [])
    assert fresh(queued.id).status == "scored"


def test_a_job_left_as_a_bare_status_counts_as_lost_and_the_others_are_still_read(make_challenge, make_submission):
    challenge = make_challenge()
    broken, waiting = make_submission(challenge), make_submission(challenge)
    job = Job.fetch(broken.job_id, connection=get_redis())
    job.delete()
    job.set_status(JobStatus.QUEUED)  # as a status written after the job's key expired leaves it
    assert sweep(now=later(5)).requeued == [broken.id]
    assert fresh(waiting.id).job_id == waiting.job_id
    assert get_queue().count == 2  # the waiting job, and the new delivery
