"""The cached-standings front: it answers only what Flask would answer the same way, and only fresh."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
from flask import request, request_started

from ultrathon.platform.challenges.publication import publish_results
from ultrathon.platform.extensions import db
from ultrathon.platform.leaderboard.cache import clear_leaderboard, near_cache
from ultrathon.platform.leaderboard.standings import find_board, standings_body
from ultrathon.platform.models import Score, Submission, utcnow


@pytest.fixture
def reached_flask(app):
    """The paths of the requests that got past the front to Flask."""
    seen: list[str] = []

    def note(sender, **extra):
        seen.append(request.full_path)

    request_started.connect(note, app)
    yield seen
    request_started.disconnect(note, app)


@pytest.fixture
def challenge(make_challenge, make_team):
    """A challenge with one team scored 0.7, whose standings this process keeps fresh."""
    challenge = make_challenge()
    add_score(make_team(challenge, name="Solo"), 0.7)
    return challenge


def add_score(team, value: float) -> None:
    """Store a scored submission and clear the standings, as the scoring job does."""
    now = utcnow()
    submission = Submission(challenge_id=team.challenge_id, team_id=team.id, status="scored", size=1,
                            sha256="0" * 64, content=b"x", created_at=now, scored_at=now)
    db.session.add(submission)
    db.session.flush()
    for split in ("public", "private"):
        db.session.add(Score(submission_id=submission.id, challenge_id=team.challenge_id, team_id=team.id,
                             split=split, metric="roc_auc", value=value, ci_low=value - 0.03, ci_high=value + 0.03,
                             n_rows=100, metrics={}, subgroups=[]))
    db.session.commit()
    clear_leaderboard(team.challenge_id, team.challenge.slug)


def read_until_kept(client, url: str):
    """Read a URL until this process's events listener is up, so the kept copy counts as fresh."""
    deadline = time.monotonic() + 10
    client.get(url)
    while not near_cache.listening and time.monotonic() < deadline:
        time.sleep(0.05)
        client.get(url)
    assert near_cache.listening, "the events listener did not start"
    return client.get(url)


def test_a_repeated_anonymous_read_is_answered_before_flask_with_the_same_bytes(client, challenge, reached_flask):
    url = f"/challenges/{challenge.slug}/leaderboard.json"
    from_flask = read_until_kept(client, url)
    reached_flask.clear()

    kept = client.get(url)

    assert reached_flask == []
    assert kept.status_code == from_flask.status_code == 200
    assert kept.data == from_flask.data and kept.json["entries"][0]["score"] == 0.7
    assert sorted(kept.headers.items()) == sorted(from_flask.headers.items())  # the security headers too
    assert kept.headers["Content-Security-Policy"] and kept.headers["X-Frame-Options"] == "DENY"
    assert "Set-Cookie" not in kept.headers


def test_after_a_change_the_next_read_goes_to_flask_and_has_it(client, challenge, reached_flask):
    url = f"/challenges/{challenge.slug}/leaderboard.json"
    read_until_kept(client, url)
    add_score(challenge.teams[0], 0.9)
    reached_flask.clear()

    response = client.get(url)

    assert reached_flask == [url + "?"]
    assert response.json["entries"][0]["score"] == 0.9


def test_once_the_listener_reports_a_change_the_kept_bytes_are_not_answered(client, challenge, reached_flask):
    url = f"/challenges/{challenge.slug}/leaderboard.json"
    read_until_kept(client, url)
    near_cache.note_change(challenge.id)  # what the events listener does on another process's write
    reached_flask.clear()

    client.get(url)

    assert reached_flask == [url + "?"]


def test_a_page_that_names_a_newer_state_goes_to_flask(client, challenge, reached_flask):
    url = f"/challenges/{challenge.slug}/leaderboard.json"
    read_until_kept(client, url)
    reached_flask.clear()

    client.get(f"{url}?g={uuid.uuid4().hex}")

    assert len(reached_flask) == 1


@pytest.mark.parametrize("query, headers, status", [
    ("?split=private", {}, 403),  # before the close: organisers only
    ("?split=secret", {}, 400),
    ("?split=public&page=2", {}, 200),  # a parameter the front does not know
    ("", {"cookie": "session=anything"}, 200),
    ("", {"Authorization": "Bearer anything"}, 200),
])
def test_reads_the_front_must_not_answer_reach_flask(client, challenge, reached_flask, query, headers, status):
    url = f"/challenges/{challenge.slug}/leaderboard.json"
    read_until_kept(client, url)
    standings_body(find_board(challenge.slug), "private")  # as an organiser's read keeps the private split
    reached_flask.clear()

    if "cookie" in headers:
        client.set_cookie(*headers.pop("cookie").split("="))
    response = client.get(url + query, headers=headers)

    assert response.status_code == status
    assert len(reached_flask) == 1
    if status == 200:
        assert response.json["split"] == "public"


def test_after_the_close_the_private_standings_are_answered_before_flask(client, challenge, reached_flask):
    challenge.closes_at = challenge.phases[-1].closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    publish_results(challenge, None)  # results.publish is manual by default
    clear_leaderboard(challenge.id, challenge.slug, settings_changed=True)
    url = f"/challenges/{challenge.slug}/leaderboard.json?split=private"
    from_flask = read_until_kept(client, url)
    reached_flask.clear()

    kept = client.get(url)

    assert reached_flask == []
    assert kept.data == from_flask.data and kept.json["split"] == "private"
    read_until_kept(client, url.replace("private", "public"))
    reached_flask.clear()
    repeated = client.get(url + "&split=public")  # Flask reads the first of a repeated parameter
    assert repeated.json["split"] == "private" and len(reached_flask) == 1


def test_an_unknown_challenge_is_left_to_flask(client, reached_flask):
    response = client.get("/challenges/no-such-challenge/leaderboard.json")
    assert response.status_code == 404
    assert len(reached_flask) == 1
