"""Accepting uploads: every check answers with a clear refusal and changes nothing; quotas;
organisers' actions; what a viewer may see."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from rq.job import Job

from ultrathon.platform.challenges.publication import publish_results
from ultrathon.platform.extensions import db
from ultrathon.platform.models import AuditEvent, Score, Submission, Team, utcnow
from ultrathon.platform.queueing import get_queue, get_redis
from ultrathon.platform.submissions.actions import (
    CANCELLED,
    cancel_submission,
    disqualify_team,
    requalify_team,
    rescore_challenge,
    rescore_submission,
)
from ultrathon.platform.submissions.delivery import JOB_TIMEOUT_GRACE_S
from ultrathon.platform.submissions.errors import SubmissionRefused
from ultrathon.platform.submissions.quota import day_start, quota_for
from ultrathon.platform.submissions.reading import submission_for_viewer, submission_to_dict
from ultrathon.platform.submissions.selections import select_submission, unselect_submission
from ultrathon.platform.submissions.uploads import accept_baseline, accept_submission


def sample(challenge) -> bytes:
    return next(f.content for f in challenge.files if f.name == "sample_submission.csv")


def submission_count() -> int:
    return db.session.execute(db.select(db.func.count(Submission.id))).scalar_one()


def refused(call, *args, **kwargs) -> SubmissionRefused:
    with pytest.raises(SubmissionRefused) as caught:
        call(*args, **kwargs)
    assert submission_count() == 0 or caught.value.status == 429
    return caught.value


@pytest.fixture
def challenge(make_challenge):
    return make_challenge("breast-cancer-diagnosis")


@pytest.fixture
def member(challenge, make_team):
    team = make_team(challenge)
    return team.memberships[0].user


# --- accepting ------------------------------------------------------------------------------


def test_an_accepted_upload_stores_bytes_hash_and_row_and_queues_one_job(challenge, member):
    data = sample(challenge)
    submission = accept_submission(challenge, member, data, "my preds.csv", note="first try")
    db.session.expire_all()
    stored = db.session.get(Submission, submission.id)
    assert stored.status == "queued"
    assert stored.content == data and stored.size == len(data)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.note == "first try" and stored.filename == "my preds.csv"
    job = Job.fetch(stored.job_id, connection=get_redis())
    assert job.func_name == "ultrathon.worker.jobs.score_submission"
    assert job.args == (stored.id,)
    assert job.timeout == 600 + JOB_TIMEOUT_GRACE_S  # the spec's default scoring.timeout_s, then a grace
    assert job.result_ttl > 0 and job.failure_ttl > 0
    assert job.retries_left == 2
    assert get_queue().count == 1
    actions = db.session.execute(db.select(AuditEvent.action)).scalars().all()
    assert "submission.upload" in actions


def test_the_job_timeout_comes_from_the_challenge(challenge, member):
    challenge.spec = {**challenge.spec, "scoring": {"timeout_s": 42}}
    db.session.commit()
    submission = accept_submission(challenge, member, sample(challenge), "a.csv")
    assert Job.fetch(submission.job_id, connection=get_redis()).timeout == 42 + JOB_TIMEOUT_GRACE_S


@pytest.mark.parametrize("given, shown", [
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\me\\preds.csv", "preds.csv"),
    ("bad\x00name\n.csv", "badname.csv"),
    ("<script>alert(1)</script>.csv", "script_.csv"),
    ("", "submission.csv"),
    ("...", "submission.csv"),
])
def test_the_original_filename_is_kept_for_display_only(challenge, member, given, shown):
    submission = accept_submission(challenge, member, sample(challenge), given)
    assert submission.filename == shown


def test_anonymous_users_are_asked_to_log_in(challenge):
    error = refused(accept_submission, challenge, None, sample(challenge), "a.csv")
    assert (error.status, error.detail) == (401, "log in to submit")


def test_a_user_without_a_team_is_told_to_join_one(challenge, make_user):
    error = refused(accept_submission, challenge, make_user(), sample(challenge), "a.csv")
    assert (error.status, error.detail) == (403, "join or create a team first")


def test_a_member_who_has_not_accepted_the_terms_is_refused(challenge, make_team):
    team = make_team(challenge, accept_terms=False)
    error = refused(accept_submission, challenge, team.memberships[0].user, sample(challenge), "a.csv")
    assert error.status == 403 and "terms" in error.detail


def test_a_disqualified_team_cannot_submit(challenge, member, make_user):
    team = db.session.execute(db.select(Team)).scalar_one()
    disqualify_team(team, "shared the test labels", make_user(admin=True))
    error = refused(accept_submission, challenge, member, sample(challenge), "a.csv")
    assert error.status == 403 and "shared the test labels" in error.detail


def test_before_the_window_the_answer_names_the_opening_time(challenge, member):
    challenge.opens_at = challenge.phases[0].opens_at = utcnow() + timedelta(days=2)
    db.session.commit()
    error = refused(accept_submission, challenge, member, sample(challenge), "a.csv")
    assert error.status == 403
    assert error.detail.startswith("the challenge is not open: it opens at ")
    assert challenge.opens_at.strftime("%Y-%m-%d %H:%M UTC") in error.detail


def test_after_the_window_the_answer_names_the_closing_time(challenge, member):
    challenge.closes_at = challenge.phases[-1].closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    error = refused(accept_submission, challenge, member, sample(challenge), "a.csv")
    assert error.status == 403
    assert error.detail == f"the challenge is not open: it closed at {challenge.closes_at:%Y-%m-%d %H:%M} UTC"


def test_a_file_over_the_size_limit_is_413_naming_the_limit(challenge, member):
    big = sample(challenge) + b"x" * (1024 * 1024)  # the demo challenge takes max_mb: 1
    error = refused(accept_submission, challenge, member, big, "a.csv")
    assert error.status == 413
    assert "up to 1 MB" in error.detail


def test_an_empty_file_is_refused(challenge, member):
    error = refused(accept_submission, challenge, member, b"", "a.csv")
    assert error.status == 400 and "empty" in error.detail


def test_a_malformed_file_is_400_with_row_and_column_problems(challenge, member):
    data = sample(challenge).replace(b"P00008,0.37", b"P00008,high", 1)
    error = refused(accept_submission, challenge, member, data, "a.csv")
    assert error.status == 400
    assert error.problems == [{"row": 3, "column": "probability", "message": error.problems[0]["message"]}]
    assert "line 3" in error.detail and "probability" in error.detail
    assert get_queue().count == 0


def test_a_wrong_header_is_refused_at_once(challenge, member):
    error = refused(accept_submission, challenge, member, b"id,prob\nP00004,0.3\n", "a.csv")
    assert error.status == 400 and error.problems


def test_a_long_note_is_refused(challenge, member):
    error = refused(accept_submission, challenge, member, sample(challenge), "a.csv", note="x" * 501)
    assert error.status == 400 and "500 characters" in error.detail


def test_redis_down_at_upload_still_accepts_and_stores(challenge, member, app, tmp_path):
    from dataclasses import replace

    from ultrathon.platform.app import create_app

    # The same database, a Redis nobody listens on: the upload must still succeed.
    settings = replace(app.config["ULTRATHON"], redis_url=f"unix://{tmp_path}/nobody.sock")
    other = create_app({"ULTRATHON": settings, "RATELIMIT_STORAGE_URI": "memory://"})
    with other.app_context():
        from ultrathon.platform.models import Challenge, User

        submission = accept_submission(db.session.get(Challenge, challenge.id), db.session.get(User, member.id),
                                       sample(challenge), "a.csv")
        assert submission.status == "queued" and submission.job_id
        sid = submission.id
        db.session.remove()
    db.session.expire_all()
    assert db.session.get(Submission, sid).status == "queued"
    assert get_queue().count == 0  # nothing was delivered: the sweeper's job


# --- quotas ---------------------------------------------------------------------------------


def test_the_daily_quota_refuses_the_sixth_upload_with_retry_after(challenge, member):
    for _ in range(5):
        accept_submission(challenge, member, sample(challenge), "a.csv")
    with pytest.raises(SubmissionRefused) as caught:
        accept_submission(challenge, member, sample(challenge), "a.csv")
    error = caught.value
    assert error.status == 429
    now = utcnow()
    midnight = day_start(now) + timedelta(days=1)
    assert abs(error.retry_after - (midnight - now).total_seconds()) < 5
    assert error.quota.used_today == 5 and error.quota.remaining_today == 0
    assert error.quota.resets_at == midnight
    assert "5 submissions for today" in error.detail and "00:00 UTC" in error.detail
    assert submission_count() == 5


def test_failed_submissions_do_not_use_up_the_quota(challenge, member):
    first = accept_submission(challenge, member, sample(challenge), "a.csv")
    for _ in range(4):
        accept_submission(challenge, member, sample(challenge), "a.csv")
    first.status = "failed"
    db.session.commit()
    accept_submission(challenge, member, sample(challenge), "a.csv")  # the freed slot
    assert quota_for(challenge, first.team).remaining_today == 0


def test_yesterdays_submissions_do_not_count_today_but_count_in_total(challenge, member):
    challenge.spec = {**challenge.spec, "limits": {"per_day": 2, "total": 3, "final_selections": 2}}
    db.session.commit()
    old = [accept_submission(challenge, member, sample(challenge), "a.csv") for _ in range(2)]
    for submission in old:
        submission.created_at = utcnow() - timedelta(days=1)
    db.session.commit()
    team = old[0].team
    quota = quota_for(challenge, team)
    assert (quota.used_today, quota.used_total, quota.remaining_today, quota.remaining_total) == (0, 2, 1, 1)
    accept_submission(challenge, member, sample(challenge), "a.csv")
    with pytest.raises(SubmissionRefused) as caught:
        accept_submission(challenge, member, sample(challenge), "a.csv")
    assert caught.value.status == 429 and caught.value.retry_after is None
    assert "all 3 submissions" in caught.value.detail


def test_the_quota_answer_as_data(challenge, member):
    accept_submission(challenge, member, sample(challenge), "a.csv")
    team = db.session.execute(db.select(Team)).scalar_one()
    data = quota_for(challenge, team).to_dict()
    assert data["per_day"] == 5 and data["used_today"] == 1 and data["remaining_today"] == 4
    assert data["total"] == 150 and data["used_total"] == 1 and data["remaining_total"] == 149
    assert data["resets_at"].endswith("+00:00") and "T00:00:00" in data["resets_at"]
    json.dumps(data)


# --- organisers' actions --------------------------------------------------------------------


@pytest.fixture
def organiser(make_user):
    return make_user("organiser@example.org")  # listed in the demo challenge's YAML


def test_cancel_ends_a_queued_submission_failed_without_using_quota(challenge, member, organiser):
    submission = accept_submission(challenge, member, sample(challenge), "a.csv")
    cancel_submission(submission, organiser)
    db.session.expire_all()
    stored = db.session.get(Submission, submission.id)
    assert (stored.status, stored.error) == ("failed", CANCELLED)
    assert quota_for(challenge, stored.team).used_today == 0
    assert Job.fetch(stored.job_id, connection=get_redis()).get_status() == "canceled"
    assert "submission.cancel" in db.session.execute(db.select(AuditEvent.action)).scalars().all()


def test_only_queued_submissions_can_be_cancelled(challenge, member, organiser):
    submission = accept_submission(challenge, member, sample(challenge), "a.csv")
    submission.status = "scoring"
    db.session.commit()
    with pytest.raises(SubmissionRefused) as caught:
        cancel_submission(submission, organiser)
    assert caught.value.status == 409 and "scoring" in caught.value.detail


def test_a_member_cannot_cancel_or_rescore(challenge, member):
    submission = accept_submission(challenge, member, sample(challenge), "a.csv")
    for action in (cancel_submission, rescore_submission):
        with pytest.raises(SubmissionRefused) as caught:
            action(submission, member)
        assert caught.value.status == 403


def test_rescore_puts_a_submission_back_in_the_queue_with_a_new_job(challenge, member, organiser, run_worker):
    submission = accept_submission(challenge, member, sample(challenge), "a.csv")
    run_worker()
    db.session.expire_all()
    assert db.session.get(Submission, submission.id).status == "scored"
    old_job = submission.job_id
    rescore_submission(db.session.get(Submission, submission.id), organiser)
    db.session.expire_all()
    stored = db.session.get(Submission, submission.id)
    assert stored.status == "queued" and stored.job_id != old_job
    assert db.session.execute(db.select(Score).where(Score.submission_id == stored.id)).first() is None
    run_worker()
    db.session.expire_all()
    assert db.session.get(Submission, submission.id).status == "scored"


def test_rescore_challenge_requeues_all_but_cancelled(challenge, make_team, organiser):
    members = [make_team(challenge).memberships[0].user for _ in range(3)]
    subs = [accept_submission(challenge, m, sample(challenge), "a.csv") for m in members]
    cancel_submission(subs[0], organiser)
    get_redis().delete(get_queue().key)  # forget the first deliveries
    assert rescore_challenge(challenge) == 2
    db.session.expire_all()
    assert db.session.get(Submission, subs[0].id).status == "failed"
    assert get_queue().count == 2
    assert {db.session.get(Submission, s.id).status for s in subs[1:]} == {"queued"}


def test_disqualify_records_the_reason_and_requalify_lifts_it(challenge, member, organiser):
    team = db.session.execute(db.select(Team)).scalar_one()
    with pytest.raises(SubmissionRefused) as caught:
        disqualify_team(team, "  ", organiser)
    assert caught.value.status == 400
    pubsub = get_redis().pubsub()
    pubsub.subscribe("ultrathon:events")
    pubsub.get_message(timeout=1)
    disqualify_team(team, "label leakage", organiser)
    db.session.expire_all()
    team = db.session.get(Team, team.id)
    assert team.disqualified_at is not None and team.disqualified_reason == "label leakage"
    event = pubsub.get_message(timeout=2)
    assert json.loads(event["data"])["event"] == "leaderboard"
    audit = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "team.disqualify")).scalar_one()
    assert audit.detail["reason"] == "label leakage" and audit.actor_id == organiser.id
    requalify_team(team, organiser)
    assert db.session.get(Team, team.id).disqualified_at is None
    pubsub.close()


# --- final selections -----------------------------------------------------------------------


def test_selection_takes_scored_submissions_up_to_the_limit(challenge, member, run_worker):
    subs = [accept_submission(challenge, member, sample(challenge), "a.csv") for _ in range(3)]
    with pytest.raises(SubmissionRefused) as caught:
        select_submission(subs[0], member)
    assert caught.value.status == 409 and "scored" in caught.value.detail
    run_worker()
    db.session.expire_all()
    subs = [db.session.get(Submission, s.id) for s in subs]
    select_submission(subs[0], member)
    select_submission(subs[1], member)
    with pytest.raises(SubmissionRefused) as caught:
        select_submission(subs[2], member)
    assert caught.value.status == 409
    assert "already chosen 2 final submissions" in caught.value.detail
    unselect_submission(subs[0], member)
    select_submission(subs[2], member)
    db.session.expire_all()
    chosen = {s.id for s in db.session.execute(db.select(Submission).where(Submission.selected_at.is_not(None))).scalars()}
    assert chosen == {subs[1].id, subs[2].id}


def test_another_team_cannot_select_a_submission(challenge, member, make_team, run_worker):
    submission = accept_submission(challenge, member, sample(challenge), "a.csv")
    run_worker()
    db.session.expire_all()
    other = make_team(challenge).memberships[0].user
    with pytest.raises(SubmissionRefused) as caught:
        select_submission(db.session.get(Submission, submission.id), other)
    assert caught.value.status == 404


# --- baseline -------------------------------------------------------------------------------


def test_an_organiser_baseline_goes_on_a_baseline_team_without_quota(challenge, organiser, member):
    for _ in range(7):
        baseline = accept_baseline(challenge, organiser, sample(challenge), "baseline.csv", "logistic regression")
    team = db.session.get(Team, baseline.team_id)
    assert team.is_baseline and team.name == "Baseline" and team.memberships == []
    with pytest.raises(SubmissionRefused) as caught:
        accept_baseline(challenge, member, sample(challenge), "baseline.csv")
    assert caught.value.status == 403


# --- viewing --------------------------------------------------------------------------------


def test_only_the_team_and_organisers_see_a_submission(challenge, member, make_team, organiser):
    submission = accept_submission(challenge, member, sample(challenge), "a.csv")
    stranger = make_team(challenge).memberships[0].user
    assert submission_for_viewer(submission.id, member).id == submission.id
    assert submission_for_viewer(submission.id, organiser).id == submission.id
    assert submission_for_viewer(submission.id, stranger) is None
    assert submission_for_viewer(submission.id, None) is None
    assert submission_for_viewer(999_999, organiser) is None


def test_private_scores_are_hidden_from_the_team_until_the_close(challenge, member, organiser, run_worker):
    submission = accept_submission(challenge, member, sample(challenge), "a.csv", note="n")
    run_worker()
    db.session.expire_all()
    submission = db.session.get(Submission, submission.id)
    seen = submission_to_dict(submission, member)
    assert seen["status"] == "scored" and seen["challenge"] == "breast-cancer-diagnosis"
    assert set(seen["public"]) == {"roc_auc", "average_precision", "brier"}
    assert all(v is None or round(v, 4) == v for v in seen["public"].values())
    assert seen["private"] is None and seen["private_ci_low"] is None
    assert seen["ci_low"] is not None and seen["ci_low"] <= seen["public"]["roc_auc"] <= seen["ci_high"]
    assert "error_detail" not in seen
    assert submission_to_dict(submission, organiser)["private"] is not None
    challenge.closes_at = challenge.phases[-1].closes_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    publish_results(challenge, None)  # results.publish is manual by default
    assert submission_to_dict(db.session.get(Submission, submission.id), member)["private"] is not None
    json.dumps(seen)
