"""What an operator sees of the agents: the organiser dashboard, /readyz and the /metrics scrape."""

from __future__ import annotations

import dataclasses

import pytest

from tests.platform.agent_support import sample_of, wire_report
from ultrathon.platform import telemetry

ORGANISER = "organiser@example.org"  # listed in the demo challenge's YAML


def lease(client, headers):
    return client.post("/api/v1/agent/lease", json={"wait": 0}, headers=headers)


def login(client, user) -> None:
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


@pytest.fixture
def metrics_settings(app):
    """Change the /metrics settings for one test."""
    saved = app.config["ULTRATHON"]

    def change(**values):
        app.config["ULTRATHON"] = dataclasses.replace(saved, **values)

    yield change
    app.config["ULTRATHON"] = saved


def scored_by_agent(client, challenge, headers, make_submission) -> int:
    from tests.platform.agent_support import PIN

    submission = make_submission(challenge)
    job = lease(client, headers).get_json()
    client.post(job["heartbeat_url"], headers=headers)
    body = {"solution_sha256": PIN, "report": wire_report(challenge, sample_of(challenge))}
    assert client.post(job["result_url"], json=body, headers=headers).get_json()["stored"] is True
    return submission.id


def test_the_organiser_dashboard_shows_each_agent_of_the_challenge(client, make_agent_challenge, agent_token,
                                                                   make_submission, make_user):
    challenge = make_agent_challenge()
    _, headers = agent_token(challenge, name="odense-rigshospitalet")
    scored_by_agent(client, challenge, headers, make_submission)
    login(client, make_user(ORGANISER, "Olga Organiser"))
    page = client.get(f"/challenges/{challenge.slug}/organise").get_data(as_text=True)
    section = page.split('id="agents-heading"')[1].split("</section>")[0]
    assert "odense-rigshospitalet" in section and "ultrathon-agent/0.1-test" in section
    assert '<td class="num">1</td><td class="num">0</td>' in section  # one job done, no failure


def test_readyz_lists_the_agents_without_their_tokens(client, make_agent_challenge, agent_token, make_submission):
    challenge = make_agent_challenge()
    _, headers = agent_token(challenge, name="odense")
    scored_by_agent(client, challenge, headers, make_submission)
    answer = client.get("/readyz")
    (agent,) = answer.get_json()["agents"]
    assert agent["name"] == "odense" and agent["jobs_done"] == 1 and agent["failures"] == 0
    assert agent["challenges"] == [challenge.slug] and agent["last_seen"] and agent["heartbeats"] == 1
    secret = headers["Authorization"].removeprefix("Bearer ")
    assert "uta_" not in answer.get_data(as_text=True) and secret[:12] not in answer.get_data(as_text=True)


def test_metrics_are_refused_to_other_addresses_without_the_token(client, metrics_settings):
    metrics_settings(metrics_token="a-metrics-token-long-enough")
    elsewhere = {"REMOTE_ADDR": "10.20.30.40"}
    assert client.get("/metrics", environ_base=elsewhere).status_code == 403
    wrong = client.get("/metrics", environ_base=elsewhere, headers={"Authorization": "Bearer not-the-token-at-all"})
    assert wrong.status_code == 403
    right = client.get("/metrics", environ_base=elsewhere, headers={"Authorization": "Bearer a-metrics-token-long-enough"})
    assert right.status_code == 200
    metrics_settings(metrics_allow=("10.20.30.40",))
    assert client.get("/metrics", environ_base=elsewhere).status_code == 200
    assert client.get("/metrics").status_code == 403  # 127.0.0.1 is no longer listed


def test_a_request_relayed_by_a_proxy_on_the_host_is_not_a_local_one(client, metrics_settings):
    metrics_settings(metrics_token="a-metrics-token-long-enough")  # loopback stays allow-listed by default
    assert client.get("/metrics").status_code == 200
    for header in ("X-Forwarded-For", "Forwarded", "X-Real-IP"):
        assert client.get("/metrics", headers={header: "203.0.113.9"}).status_code == 403
    relayed = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9",
                                              "Authorization": "Bearer a-metrics-token-long-enough"})
    assert relayed.status_code == 200


def test_an_agent_name_holding_the_counters_separators_keeps_metrics_readable():
    key = telemetry.field("agent_leases", agent="odense|x=y")  # the counter's field as it goes to Redis
    assert key.split("|") == ["agent_leases", "agent=odense_x_y"]


def test_metrics_count_queues_latency_failures_agents_and_the_leaderboard_cache(
        client, make_agent_challenge, agent_token, make_submission):
    from prometheus_client.parser import text_string_to_metric_families

    telemetry.reset()
    challenge = make_agent_challenge()
    _, headers = agent_token(challenge, name="odense")
    scored_by_agent(client, challenge, headers, make_submission)
    make_submission(challenge)  # waits for an agent
    make_submission(challenge)
    job = lease(client, headers).get_json()
    from tests.platform.agent_support import PIN

    client.post(job["failure_url"], json={"solution_sha256": PIN, "error": "scoring failed", "problems": None}, headers=headers)
    for _ in range(2):
        client.get(f"/api/v1/challenges/{challenge.slug}/leaderboard")
    answer = client.get("/metrics")
    assert answer.status_code == 200 and answer.mimetype == "text/plain"
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(answer.get_data(as_text=True)) for s in family.samples}
    assert samples[("ultrathon_queue_depth", (("queue", "agent"),))] == 1
    assert ("ultrathon_queue_depth", (("queue", "scoring"),)) in samples
    assert samples[("ultrathon_upload_to_scored_seconds_count", ())] == 1
    assert samples[("ultrathon_upload_to_scored_seconds_bucket", (("le", "+Inf"),))] == 1
    assert samples[("ultrathon_scoring_failures_total", (("reason", "agent_report"),))] == 1
    assert samples[("ultrathon_agent_leases_total", (("agent", "odense"),))] == 2
    assert samples[("ultrathon_agent_heartbeats_total", (("agent", "odense"),))] == 1
    cache = {labels: value for (name, labels), value in samples.items() if name == "ultrathon_leaderboard_cache_total"}
    assert sum(cache.values()) >= 2 and cache.get((("result", "hit"),), 0) >= 1
