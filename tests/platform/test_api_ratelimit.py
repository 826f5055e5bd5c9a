"""Rate limits per token, on Redis, separate from the submission quota."""

import pytest

from ultrathon.platform.auth.tokens import create_token
from ultrathon.platform.extensions import db


@pytest.fixture
def low_limit(app):
    """Lower the per-token API limit for one test."""
    saved = app.config["ULTRATHON_API_RATE_LIMIT"]
    app.config["ULTRATHON_API_RATE_LIMIT"] = "3 per minute"
    yield
    app.config["ULTRATHON_API_RATE_LIMIT"] = saved


def header(user) -> dict[str, str]:
    _, secret = create_token(user, "test")
    db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def test_a_token_over_its_limit_gets_429_with_retry_after(client, make_user, low_limit):
    busy = header(make_user())
    answers = [client.get("/api/v1/challenges", headers=busy) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    refused = answers[-1]
    assert refused.mimetype == "application/problem+json"
    body = refused.get_json()
    assert body["type"] == "urn:ultrathon:problem:rate-limited" and "3 per 1 minute" in body["detail"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 61


def test_the_limit_is_counted_per_token_across_every_route(client, make_user, low_limit):
    busy, calm = header(make_user()), header(make_user())
    for path in ("/api/v1/challenges", "/api/v1/openapi.json", "/api/v1/challenges/nope"):
        client.get(path, headers=busy)
    assert client.get("/api/v1/challenges", headers=busy).status_code == 429
    assert client.get("/api/v1/challenges", headers=calm).status_code == 200


def test_the_default_limit_lets_a_pipeline_work(client, make_user):
    busy = header(make_user())
    assert all(client.get("/api/v1/challenges", headers=busy).status_code == 200 for _ in range(30))


def test_the_limit_is_set_by_the_environment_and_checked_at_start(tmp_path):
    from ultrathon.platform.config import ConfigError, flask_config, load_settings

    settings = load_settings({"ULTRATHON_INSTANCE": str(tmp_path), "ULTRATHON_API_RATE_LIMIT": "10/second;500/hour"})
    assert flask_config(settings)["ULTRATHON_API_RATE_LIMIT"] == "10/second;500/hour"
    assert load_settings({"ULTRATHON_INSTANCE": str(tmp_path)}).api_rate_limit == "120 per minute"
    with pytest.raises(ConfigError, match="ULTRATHON_API_RATE_LIMIT must read like '120 per minute', got 'lots'"):
        load_settings({"ULTRATHON_INSTANCE": str(tmp_path), "ULTRATHON_API_RATE_LIMIT": "lots"})


def test_the_event_stream_is_not_counted_against_the_limit(client, make_challenge, low_limit):
    """Many viewers behind one hospital address each hold one long-lived stream."""
    make_challenge("breast-cancer-diagnosis")
    for _ in range(5):
        response = client.get("/api/v1/challenges/breast-cancer-diagnosis/events", buffered=False)
        assert response.status_code == 200 and response.mimetype == "text/event-stream"
        response.close()
