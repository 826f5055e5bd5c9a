"""The agent lease API through the real app and Redis: lease, download, heartbeat, result, refusals."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from tests.platform.agent_support import sample_of, wire_report
from ultrathon.platform.agents.models import AgentLease, AgentToken
from ultrathon.platform.agents.tokens import revoke_agent_token
from ultrathon.platform.extensions import db
from ultrathon.platform.models import AuditEvent, Score, Submission, utcnow

NO_WAIT = {"wait": 0}


def lease(client, headers, wait=0):
    return client.post("/api/v1/agent/lease", json={"wait": wait}, headers=headers)


def result_body(challenge, data=None, pin=None):
    from tests.platform.agent_support import PIN
    return {"solution_sha256": pin or PIN, "report": wire_report(challenge, data or sample_of(challenge))}


def actions(name: str) -> list[AuditEvent]:
    return list(db.session.execute(db.select(AuditEvent).where(AuditEvent.action == name).order_by(AuditEvent.id)).scalars())


def status_of(submission_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Submission, submission_id).status


def test_nothing_to_lease_answers_204(client, make_agent_challenge, agent_token):
    _, headers = agent_token(make_agent_challenge())
    assert lease(client, headers).status_code == 204


def test_a_job_is_leased_downloaded_kept_alive_and_scored(client, make_agent_challenge, agent_token, make_submission):
    challenge = make_agent_challenge()
    token_id, headers = agent_token(challenge)
    submission = make_submission(challenge)
    answer = lease(client, headers)
    assert answer.status_code == 200
    job = answer.get_json()
    assert job["submission_id"] == submission.id and job["challenge"] == challenge.slug
    assert job["sha256"] == submission.sha256 and status_of(submission.id) == "scoring"

    download = client.get(job["submission_url"], headers=headers)
    assert download.status_code == 200 and download.data == sample_of(challenge)

    before = db.session.get(AgentLease, job["id"]).expires_at
    time.sleep(0.01)
    beat = client.post(job["heartbeat_url"], headers=headers)
    assert beat.status_code == 200
    db.session.expire_all()
    assert db.session.get(AgentLease, job["id"]).expires_at > before

    body = result_body(challenge)
    stored = client.post(job["result_url"], json=body, headers=headers)
    assert stored.status_code == 200 and stored.get_json() == {"submission_id": submission.id, "status": "scored", "stored": True}
    assert status_of(submission.id) == "scored"
    scores = {s.split: s for s in db.session.execute(db.select(Score).where(Score.submission_id == submission.id)).scalars()}
    assert set(scores) == {"public", "private"}
    assert scores["public"].value == body["report"]["splits"]["public"]["metrics"]["roc_auc"]
    assert len(scores["private"].replicates) == 8 * 20
    token = db.session.get(AgentToken, token_id)
    assert token.jobs_done == 1 and token.version == "ultrathon-agent/0.1-test" and token.last_seen_at is not None
    assert len(actions("agent.lease")) == 1 and len(actions("agent.result")) == 1 and len(actions("submission.scored")) == 1


def test_a_result_posted_twice_is_stored_once(client, make_agent_challenge, agent_token, make_submission):
    challenge = make_agent_challenge()
    token_id, headers = agent_token(challenge)
    make_submission(challenge)
    job = lease(client, headers).get_json()
    body = result_body(challenge)
    assert client.post(job["result_url"], json=body, headers=headers).get_json()["stored"] is True
    again = client.post(job["result_url"], json=body, headers=headers)
    assert again.status_code == 200 and again.get_json()["stored"] is False
    assert len(actions("submission.scored")) == 1
    assert db.session.execute(db.select(db.func.count()).select_from(Score)).scalar() == 2
    assert db.session.get(AgentToken, token_id).jobs_done == 1


def test_another_fingerprint_is_refused_and_the_job_goes_back(client, make_agent_challenge, agent_token, make_submission):
    challenge = make_agent_challenge()
    token_id, headers = agent_token(challenge)
    submission = make_submission(challenge)
    job = lease(client, headers).get_json()
    refused = client.post(job["result_url"], json=result_body(challenge, pin="0" * 64), headers=headers)
    assert refused.status_code == 400 and refused.mimetype == "application/problem+json"
    assert "not the fingerprint this challenge pins" in refused.get_json()["detail"]
    assert status_of(submission.id) == "queued"
    assert db.session.get(AgentToken, token_id).failures == 1
    assert actions("agent.refused")[0].detail["status"] == 400
    assert lease(client, headers).get_json()["submission_id"] == submission.id  # leasable again


def test_a_malformed_report_is_refused_and_the_job_goes_back(client, make_agent_challenge, agent_token, make_submission):
    challenge = make_agent_challenge()
    _, headers = agent_token(challenge)
    submission = make_submission(challenge)
    bad_reports = [
        {"solution_sha256": result_body(challenge)["solution_sha256"]},
        "not json",
        {**result_body(challenge), "extra": 1},
    ]
    body = result_body(challenge)
    del body["report"]["splits"]["private"]
    bad_reports.append(body)
    body = result_body(challenge)
    body["report"]["splits"]["public"]["replicates"] = "AAAA"
    bad_reports.append(body)
    for bad in bad_reports:
        job = lease(client, headers).get_json()
        refused = client.post(job["result_url"], json=bad, headers=headers)
        assert refused.status_code == 400, bad
        assert refused.mimetype == "application/problem+json"
        assert status_of(submission.id) == "queued"
    assert not db.session.execute(db.select(Score)).first()


def test_a_token_leases_only_its_challenges_and_cannot_touch_another_challenge_job(
        client, make_agent_challenge, agent_token, make_submission):
    mine = make_agent_challenge()
    other = make_agent_challenge(slug="another-agent-challenge")
    _, my_headers = agent_token(mine, name="odense")
    _, other_headers = agent_token(other, name="stockholm")
    submission = make_submission(mine)
    assert lease(client, other_headers).status_code == 204
    job = lease(client, my_headers).get_json()
    for answer in (client.post(job["result_url"], json=result_body(mine), headers=other_headers),
                   client.get(job["submission_url"], headers=other_headers),
                   client.post(job["heartbeat_url"], headers=other_headers)):
        assert answer.status_code == 403 and answer.mimetype == "application/problem+json"
    assert status_of(submission.id) == "scoring"  # still my lease: the refusal took nothing from it
    assert client.post(job["result_url"], json=result_body(mine), headers=my_headers).get_json()["stored"] is True


def test_an_expired_lease_is_leased_again_and_its_late_result_is_stored_once(
        client, make_agent_challenge, agent_token, make_submission):
    challenge = make_agent_challenge()
    _, first = agent_token(challenge, name="first")
    _, second = agent_token(challenge, name="second")
    submission = make_submission(challenge)
    old = lease(client, first).get_json()
    assert lease(client, second).status_code == 204  # held, not expired
    db.session.execute(db.update(AgentLease).where(AgentLease.id == old["id"]).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    new = lease(client, second).get_json()
    assert new["submission_id"] == submission.id and new["id"] != old["id"]
    assert client.post(old["heartbeat_url"], headers=first).status_code == 409
    body = result_body(challenge)
    assert client.post(old["result_url"], json=body, headers=first).get_json()["stored"] is True
    assert client.post(new["result_url"], json=body, headers=second).get_json()["stored"] is False
    assert len(actions("submission.scored")) == 1 and status_of(submission.id) == "scored"
    assert [e.detail["again"] for e in actions("agent.lease")] == [False, True]


def test_revoking_a_token_mid_lease_gives_the_job_to_another_agent(client, make_agent_challenge, agent_token, make_submission):
    challenge = make_agent_challenge()
    revoked_id, revoked = agent_token(challenge, name="revoked")
    _, other = agent_token(challenge, name="other")
    submission = make_submission(challenge)
    job = lease(client, revoked).get_json()
    assert revoke_agent_token(db.session.get(AgentToken, revoked_id)) == 1
    assert status_of(submission.id) == "queued"
    for answer in (client.post(job["heartbeat_url"], headers=revoked),
                   client.post(job["result_url"], json=result_body(challenge), headers=revoked),
                   lease(client, revoked)):
        assert answer.status_code == 401 and answer.mimetype == "application/problem+json"
    taken = lease(client, other).get_json()
    assert taken["submission_id"] == submission.id
    assert client.post(taken["result_url"], json=result_body(challenge), headers=other).get_json()["stored"] is True
    assert [e.action for e in actions("agent.revoke")] == ["agent.revoke"]


def test_a_waiting_agent_is_woken_by_a_new_submission(app, make_agent_challenge, agent_token, make_submission):
    challenge = make_agent_challenge()
    _, headers = agent_token(challenge)
    answers = []

    def wait_for_a_job():
        started = time.monotonic()
        answer = app.test_client().post("/api/v1/agent/lease", json={"wait": 20}, headers=headers)
        answers.append((answer.status_code, answer.get_json(), time.monotonic() - started))

    waiter = threading.Thread(target=wait_for_a_job)
    waiter.start()
    time.sleep(0.5)  # the agent is in its long poll
    submission = make_submission(challenge)
    waiter.join(30)
    (status, job, waited), = answers
    assert status == 200 and job["submission_id"] == submission.id
    # Woken by the upload, not by the poll's own re-check (every 5 s) or its end (20 s).
    assert waited < 4


def test_revoking_ends_a_long_poll_in_progress(app, make_agent_challenge, agent_token):
    challenge = make_agent_challenge()
    token_id, headers = agent_token(challenge)
    answers = []

    def wait_for_a_job():
        started = time.monotonic()
        answer = app.test_client().post("/api/v1/agent/lease", json={"wait": 20}, headers=headers)
        answers.append((answer.status_code, time.monotonic() - started))

    waiter = threading.Thread(target=wait_for_a_job)
    waiter.start()
    time.sleep(0.5)
    revoke_agent_token(db.session.get(AgentToken, token_id))
    waiter.join(30)
    (status, waited), = answers
    assert status == 401
    assert waited < 4  # woken by the revocation, not by the poll's own re-check every 5 s


def test_refusals_name_what_is_wrong(client, make_agent_challenge, agent_token, token_for, make_user):
    _, headers = agent_token(make_agent_challenge())
    anonymous = client.post("/api/v1/agent/lease", json=NO_WAIT)
    assert anonymous.status_code == 401 and "agent token" in anonymous.get_json()["detail"]
    person = client.post("/api/v1/agent/lease", json=NO_WAIT, headers=token_for(make_user()))
    assert person.status_code == 401
    for wait in (-1, 21, "soon", True):
        answer = client.post("/api/v1/agent/lease", json={"wait": wait}, headers=headers)
        assert answer.status_code == 400 and "wait must be" in answer.get_json()["detail"]
    missing = client.post("/api/v1/agent/jobs/lease-1-abc/heartbeat", headers=headers)
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
