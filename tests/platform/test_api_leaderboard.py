"""The leaderboard and its live events through the API."""

import json
from datetime import timedelta
from io import BytesIO

import pytest
import requests

from ultrathon.platform.challenges.publication import publish_results
from ultrathon.platform.extensions import db
from ultrathon.platform.leaderboard.cache import clear_leaderboard
from ultrathon.platform.models import utcnow

SLUG = "breast-cancer-diagnosis"
BOARD = f"/api/v1/challenges/{SLUG}/leaderboard"


@pytest.fixture
def scored(client, make_challenge, make_team, token_for, run_worker):
    """Three teams with one scored submission each; return the challenge and one member's header."""
    challenge = make_challenge(SLUG)
    sample = next(f.content for f in challenge.files if f.name == "sample_submission.csv")
    lines = sample.decode().splitlines()
    headers = None
    for n, name in enumerate(["Ants", "Bees", "Cats"]):
        headers = token_for(make_team(challenge, name=name).memberships[0].user)
        # Different constant-free predictions so the teams' scores differ.
        rows = [lines[0]] + [f"{line.split(',')[0]},{(i * (n + 1)) % 97 / 97:.3f}" for i, line in enumerate(lines[1:])]
        data = ("\n".join(rows) + "\n").encode()
        response = client.post(f"/api/v1/challenges/{SLUG}/submissions", headers=headers,
                               data={"file": (BytesIO(data), "p.csv")}, content_type="multipart/form-data")
        assert response.status_code == 202, response.get_json()
    run_worker()
    return challenge, headers


def test_the_public_leaderboard_ranks_every_team_with_intervals(client, scored):
    body = client.get(BOARD).get_json()
    assert body["challenge"] == SLUG and body["split"] == "public" and body["metric"] == "roc_auc"
    assert body["higher_is_better"] is True and body["as_of"]
    entries = body["entries"]
    assert [e["rank"] for e in entries] == [1, 2, 3]
    assert sorted(e["team"] for e in entries) == ["Ants", "Bees", "Cats"]
    scores = [e["score"] for e in entries]
    assert scores == sorted(scores, reverse=True)
    assert all(e["ci_low"] <= e["score"] <= e["ci_high"] and e["submissions"] == 1 for e in entries)
    assert body["next_cursor"] is None


def test_entries_are_paginated(client, scored):
    first = client.get(f"{BOARD}?limit=2").get_json()
    assert [e["rank"] for e in first["entries"]] == [1, 2] and first["next_cursor"]
    rest = client.get(f"{BOARD}?limit=2&cursor={first['next_cursor']}").get_json()
    assert [e["rank"] for e in rest["entries"]] == [3] and rest["next_cursor"] is None


def test_the_private_split_is_403_before_the_close_except_for_organisers(client, scored, make_user, token_for):
    challenge, member = scored
    refused = client.get(f"{BOARD}?split=private", headers=member)
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    assert "organisers" in refused.get_json()["detail"]
    assert client.get(f"{BOARD}?split=private").status_code == 403
    organiser = token_for(make_user("organiser@example.org"))
    allowed = client.get(f"{BOARD}?split=private", headers=organiser)
    assert allowed.status_code == 200 and len(allowed.get_json()["entries"]) == 3
    challenge.closes_at = challenge.phases[-1].closes_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    publish_results(challenge, None)  # results.publish is manual by default
    clear_leaderboard(challenge.id, challenge.slug, settings_changed=True)  # as the loader does when a reload moves the close
    assert client.get(f"{BOARD}?split=private", headers=member).status_code == 200


@pytest.mark.parametrize("query", ["split=both", "split=", "limit=0", "limit=abc", "cursor=eyJhZnRlciI6IDUwfQ"])
def test_a_bad_query_is_400(client, make_challenge, query):
    make_challenge(SLUG)
    response = client.get(f"{BOARD}?{query}")
    assert response.status_code == 400 and response.mimetype == "application/problem+json"


def test_an_unknown_challenge_has_no_leaderboard_and_no_events(client):
    assert client.get("/api/v1/challenges/nope/leaderboard").status_code == 404
    assert client.get("/api/v1/challenges/nope/events").status_code == 404


@pytest.mark.slow
def test_events_announce_a_leaderboard_change(app, live_server, make_challenge):
    import threading

    from ultrathon.platform.leaderboard.cache import clear_leaderboard

    challenge = make_challenge(SLUG)
    challenge_id, stop = challenge.id, threading.Event()

    def keep_changing():
        # The server subscribes to Redis in the background: announce until one change gets through.
        with app.app_context():
            while not stop.wait(0.3):
                clear_leaderboard(challenge_id, SLUG)

    changer = threading.Thread(target=keep_changing, daemon=True)
    try:
        with requests.get(f"{live_server}/api/v1/challenges/{SLUG}/events", stream=True, timeout=20) as response:
            assert response.status_code == 200
            assert response.headers["Content-Type"].startswith("text/event-stream")
            changer.start()
            event = data = None
            for line in response.iter_lines(decode_unicode=True):
                if line.startswith("event:"):
                    event = line.split(":", 1)[1].strip()
                elif line.startswith("data:") and event:
                    data = line.split(":", 1)[1].strip()
                    break
    finally:
        stop.set()
    assert event == "leaderboard" and json.loads(data)["slug"] == SLUG


def test_a_kept_page_is_not_served_after_the_standings_change(client, scored):
    challenge, _ = scored
    first = client.get(BOARD).get_json()
    assert len(first["entries"]) == 3 and client.get(BOARD).get_json() == first  # the second read is kept
    ants = next(t for t in challenge.teams if t.name == "Ants")
    ants.disqualified_at = utcnow()
    db.session.commit()
    clear_leaderboard(challenge.id, challenge.slug)  # as the organisers' disqualify action does

    after = client.get(BOARD).get_json()

    assert sorted(e["team"] for e in after["entries"]) == ["Bees", "Cats"]
    assert client.get(f"{BOARD}?limit=2").get_json()["entries"] == after["entries"][:2]
