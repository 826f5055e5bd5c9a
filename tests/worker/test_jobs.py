"""The scoring job, run by a real RQ worker on the real Redis: what it stores, publishes and
records, how every kind of failure ends, and that running it again changes nothing."""

from __future__ import annotations

import json

import numpy as np
import pytest
from rq.job import Job
from rq.timeouts import JobTimeoutException

from ultrathon.platform.extensions import db
from ultrathon.platform.models import AuditEvent, Score, Submission
from ultrathon.platform.queueing import get_redis
from ultrathon.scorers import SCORER_VERSION
from ultrathon.scorers.errors import SCORING_FAILED
from ultrathon.worker.jobs import score_submission, scoring_job_failed


def fresh(submission_id: int) -> Submission:
    db.session.expire_all()
    return db.session.get(Submission, submission_id)


def scores_of(submission_id: int) -> dict[str, Score]:
    rows = db.session.execute(db.select(Score).where(Score.submission_id == submission_id)).scalars()
    return {row.split: row for row in rows}


@pytest.fixture
def events(ctx):
    """Collect what is published on the live-events channel."""
    pubsub = get_redis().pubsub()
    pubsub.subscribe("ultrathon:events")

    def read() -> list[dict]:
        out = []
        while (message := pubsub.get_message(timeout=0.5)) is not None:
            if message["type"] == "message":
                out.append(json.loads(message["data"]))
        return out

    yield read
    pubsub.close()


def test_a_scored_submission_has_both_splits_cis_replicates_and_an_audit_event(make_challenge, make_submission, run_worker, events):
    challenge = make_challenge()
    submission = make_submission(challenge)
    run_worker()
    stored = fresh(submission.id)
    assert (stored.status, stored.error, stored.attempts) == ("scored", None, 1)
    assert stored.scorer_version == SCORER_VERSION and stored.scored_at is not None
    scores = scores_of(stored.id)
    assert set(scores) == {"public", "private"}
    for split, row in scores.items():
        assert row.metric == "roc_auc" and row.value == row.metrics["roc_auc"]
        assert set(row.metrics) == {"roc_auc", "average_precision", "brier"}
        assert row.ci_low <= row.value <= row.ci_high
        assert row.n_rows > 0 and row.team_id == stored.team_id and row.challenge_id == challenge.id
        replicates = np.frombuffer(row.replicates, dtype="<f8")
        assert replicates.size == 1000 and np.isfinite(replicates).all()
    audit = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "submission.scored")).scalar_one()
    assert audit.target_id == str(stored.id) and audit.detail["fingerprint"]
    seen = events()
    statuses = [e["status"] for e in seen if e["event"] == "submission" and e["id"] == stored.id]
    assert statuses[-2:] == ["scoring", "scored"]
    assert {"event": "submission", "id": stored.id, "status": "scored", "team_id": stored.team_id,
            "challenge_id": challenge.id} in seen
    assert any(e["event"] == "leaderboard" and e["slug"] == challenge.slug for e in seen)


def test_scoring_twice_leaves_the_same_rows_with_the_same_values(make_challenge, make_submission, run_worker):
    submission = make_submission(make_challenge())
    run_worker()
    first = {split: (row.id, row.value, row.ci_low, row.ci_high, row.metrics, bytes(row.replicates))
             for split, row in scores_of(submission.id).items()}
    # A second delivery of the same submission (as after a lost acknowledgement).
    stored = fresh(submission.id)
    stored.status = "queued"
    db.session.commit()
    assert score_submission(submission.id) == "scored"
    db.session.expire_all()
    second = {split: (row.id, row.value, row.ci_low, row.ci_high, row.metrics, bytes(row.replicates))
              for split, row in scores_of(submission.id).items()}
    assert second == first
    assert fresh(submission.id).status == "scored"
    # A finished submission delivered again is left alone.
    assert score_submission(submission.id).startswith("skipped")


def test_a_superseded_delivery_does_nothing(make_challenge, make_submission, run_worker):
    submission = make_submission(make_challenge())
    stored = fresh(submission.id)
    stored.job_id = "score-replaced-by-the-sweeper"
    db.session.commit()
    run_worker()  # runs the original job, which no longer owns the submission
    stored = fresh(submission.id)
    assert stored.status == "queued" and stored.attempts == 0 and scores_of(stored.id) == {}


def test_missing_ids_end_failed_with_row_and_column_problems(make_challenge, make_submission, run_worker):
    challenge = make_challenge()
    sample = next(f.content for f in challenge.files if f.name == "sample_submission.csv")
    lines = sample.decode().splitlines()
    missing_id = lines[5].split(",")[0]
    data = ("\n".join(lines[:5] + lines[6:]) + "\n").encode()  # passes the quick check at upload
    submission = make_submission(challenge, data=data)
    run_worker()
    stored = fresh(submission.id)
    assert stored.status == "failed"
    assert missing_id in stored.error
    assert stored.problems and stored.problems[0]["column"] == "patient_id"
    assert all(set(p) == {"row", "column", "message"} for p in stored.problems)
    assert scores_of(stored.id) == {}


def test_a_crashing_custom_metric_fails_with_a_safe_message_and_a_trace_for_organisers(custom_challenge, make_submission, run_worker, varied_sample):
    challenge = custom_challenge("crashing-metric", """
        def score(solution, submission, row_id_column_name):
            secret = solution.iloc[0, 1]
            raise ValueError(f"bug in the organisers' code near label {secret}")
    """, hostile=True)
    submission = make_submission(challenge, data=varied_sample(challenge))
    run_worker()
    stored = fresh(submission.id)
    assert (stored.status, stored.error) == ("failed", SCORING_FAILED)
    assert "ValueError" in stored.error_detail
    assert "label" not in stored.error


def test_a_participant_visible_error_is_shown_as_written(custom_challenge, make_submission, run_worker, varied_sample):
    challenge = custom_challenge("picky-metric", """
        def score(solution, submission, row_id_column_name):
            raise ParticipantVisibleError("probabilities must not all be equal")
    """, hostile=True)
    submission = make_submission(challenge, data=varied_sample(challenge))
    run_worker()
    stored = fresh(submission.id)
    assert (stored.status, stored.error) == ("failed", "probabilities must not all be equal")


def test_a_job_over_its_timeout_ends_failed_saying_so(custom_challenge, make_submission, run_worker, varied_sample):
    challenge = custom_challenge("slow-metric", """
        import time

        def score(solution, submission, row_id_column_name):
            time.sleep(60)
            return 0.5
    """, timeout_s=5, hostile=True)
    submission = make_submission(challenge, data=varied_sample(challenge))
    run_worker()
    stored = fresh(submission.id)
    assert (stored.status, stored.error) == ("failed", "the challenge's scoring program exceeded its time limit of 5 s")


def test_the_failure_callback_ends_a_timed_out_submission_failed(make_challenge, make_submission):
    submission = make_submission(make_challenge())
    stored = fresh(submission.id)
    stored.status = "scoring"  # the work horse was stopped mid-way, outside the scorers
    db.session.commit()
    job = Job.fetch(stored.job_id, connection=get_redis())
    scoring_job_failed(job, get_redis(), JobTimeoutException, JobTimeoutException("too long"), None)
    stored = fresh(submission.id)
    assert (stored.status, stored.error) == ("failed", "the challenge's scoring program exceeded its time limit of 600 s")


def test_the_failure_callback_leaves_infrastructure_errors_to_retries(make_challenge, make_submission):
    submission = make_submission(make_challenge())
    job = Job.fetch(fresh(submission.id).job_id, connection=get_redis())
    scoring_job_failed(job, get_redis(), ConnectionError, ConnectionError("database gone"), None)
    assert fresh(submission.id).status == "queued"


def test_preparing_a_worker_touches_no_submission(make_challenge, make_submission, run_worker):
    import gc

    from ultrathon.worker.jobs import warm_up

    submission = make_submission(make_challenge())
    try:
        warm_up()  # rehearses the job's statements on no row
    finally:
        gc.unfreeze()
    stored = fresh(submission.id)
    assert (stored.status, stored.attempts, stored.scored_at) == ("queued", 0, None)
    assert db.session.execute(db.select(db.func.count(AuditEvent.id)).where(AuditEvent.action != "challenge.load")).scalar_one() == 1
    run_worker()
    assert fresh(submission.id).status == "scored"
