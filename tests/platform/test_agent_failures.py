"""Submissions an agent cannot score end `failed` with a plain message, never re-leased for ever."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.platform.agent_support import PIN
from ultrathon.platform.agents.failures import GAVE_UP, WAITING
from ultrathon.platform.agents.models import AgentLease, AgentToken
from ultrathon.platform.extensions import db
from ultrathon.platform.models import AuditEvent, Submission, utcnow

FAILURE = {"solution_sha256": PIN, "error": "line 3, column 'prediction': not a number",
           "problems": [{"row": 3, "column": "prediction", "message": "not a number"}]}


def lease(client, headers):
    return client.post("/api/v1/agent/lease", json={"wait": 0}, headers=headers)


def submission(submission_id: int) -> Submission:
    db.session.expire_all()
    return db.session.get(Submission, submission_id)


def actions(name: str) -> list[AuditEvent]:
    return list(db.session.execute(db.select(AuditEvent).where(AuditEvent.action == name)).scalars())


def expire(job_id: str) -> None:
    db.session.execute(db.update(AgentLease).where(AgentLease.id == job_id).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def test_a_failure_report_ends_the_submission_failed_once(client, make_agent_challenge, agent_token, make_submission):
    challenge = make_agent_challenge()
    token_id, headers = agent_token(challenge)
    sub = make_submission(challenge)
    job = lease(client, headers).get_json()
    answer = client.post(job["failure_url"], json=FAILURE, headers=headers)
    assert answer.status_code == 200 and answer.get_json() == {"submission_id": sub.id, "status": "failed", "stored": True}
    failed = submission(sub.id)
    assert failed.status == "failed" and failed.error == FAILURE["error"] and failed.problems == FAILURE["problems"]
    again = client.post(job["failure_url"], json=FAILURE, headers=headers)
    assert again.status_code == 200 and again.get_json()["stored"] is False
    assert db.session.get(AgentToken, token_id).failures == 1
    assert len(actions("agent.failure")) == 1 and len(actions("submission.failed")) == 1
    assert lease(client, headers).status_code == 204  # not offered again


@pytest.mark.parametrize("body, says", [
    ({"solution_sha256": PIN, "error": ""}, "exactly the keys"),
    ({**FAILURE, "error": ""}, "error must be"),
    ({**FAILURE, "problems": [{"row": "three", "column": None, "message": "x"}]}, "problems[0]"),
    ({**FAILURE, "solution_sha256": "0" * 64}, "another solution"),
])
def test_a_malformed_failure_report_is_refused_and_the_job_stays_leasable(
        client, make_agent_challenge, agent_token, make_submission, body, says):
    challenge = make_agent_challenge()
    _, headers = agent_token(challenge)
    sub = make_submission(challenge)
    job = lease(client, headers).get_json()
    answer = client.post(job["failure_url"], json=body, headers=headers)
    assert answer.status_code == 400 and says in answer.get_json()["detail"]
    assert submission(sub.id).status == "queued"
    assert lease(client, headers).get_json()["submission_id"] == sub.id


def test_leases_that_keep_expiring_end_the_submission_failed(app, client, make_agent_challenge, agent_token, make_submission):
    challenge = make_agent_challenge()
    _, headers = agent_token(challenge)
    sub = make_submission(challenge)
    app.config["ULTRATHON_AGENT_MAX_LEASES"] = 2
    try:
        expire(lease(client, headers).get_json()["id"])
        expire(lease(client, headers).get_json()["id"])  # the first expired: leased again
        assert lease(client, headers).status_code == 204  # the second expired: given up
    finally:
        app.config["ULTRATHON_AGENT_MAX_LEASES"] = 3
    failed = submission(sub.id)
    assert failed.status == "failed" and failed.error == GAVE_UP
    assert [e.detail["reason"] for e in actions("submission.failed")] == ["2 leases expired"]


def test_a_late_heartbeat_is_refused_audited_and_not_counted_as_a_failure(client, make_agent_challenge, agent_token, make_submission):
    challenge = make_agent_challenge()
    token_id, headers = agent_token(challenge)
    make_submission(challenge)
    job = lease(client, headers).get_json()
    assert client.post(job["heartbeat_url"], headers=headers).status_code == 200
    expire(job["id"])
    assert client.post(job["heartbeat_url"], headers=headers).status_code == 409
    token = db.session.get(AgentToken, token_id)
    assert token.heartbeats == 1 and token.failures == 0
    assert [e.detail["status"] for e in actions("agent.refused")] == [409]


def test_a_submission_no_agent_takes_says_it_waits_for_the_data_holders_agent(
        client, make_agent_challenge, agent_token, make_submission, token_for):
    from ultrathon.worker.sweeper import sweep

    challenge = make_agent_challenge()
    sub = make_submission(challenge)
    assert sweep(now=utcnow() + timedelta(seconds=60)).requeued == [] and submission(sub.id).error is None
    sweep(now=utcnow() + timedelta(seconds=301))
    waiting = submission(sub.id)
    assert waiting.status == "queued" and waiting.error == WAITING
    api = client.get(f"/api/v1/submissions/{sub.id}", headers=token_for(waiting.team.memberships[0].user))
    assert api.get_json()["error"] == WAITING
    _, headers = agent_token(challenge)
    assert lease(client, headers).get_json()["submission_id"] == sub.id
    assert submission(sub.id).error is None  # an agent has it now
