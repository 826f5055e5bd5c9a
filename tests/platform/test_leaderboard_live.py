"""Server-sent events: one Redis listener per process fans each change out to the open streams."""

from __future__ import annotations

import json
import threading

import pytest

from ultrathon.platform.extensions import db
from ultrathon.platform.leaderboard import live
from ultrathon.platform.leaderboard.cache import clear_leaderboard, generation_key
from ultrathon.platform.queueing import get_redis


@pytest.fixture
def quick_keepalive(monkeypatch):
    """Keep-alives every 0.3 s, so a missed event shows up as a keep-alive instead of a long wait."""
    monkeypatch.setattr(live, "KEEPALIVE_S", 0.3)


def open_stream(client, slug):
    response = client.get(f"/api/v1/challenges/{slug}/events", buffered=False)
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    assert response.headers["Cache-Control"] == "no-cache"
    chunks = iter(response.response)
    first = next(chunks).decode()
    assert first.startswith("retry: ")
    assert live.broadcaster.connected.wait(5), "the listener never subscribed"
    return response, chunks


def next_event(chunks, limit: int = 20) -> str:
    """Return the next chunk that is not a keep-alive, within a few keep-alive periods."""
    for _ in range(limit):
        chunk = next(chunks).decode()
        if not chunk.startswith(": keep-alive"):
            return chunk
    raise AssertionError("no event arrived")


def test_a_stream_says_leaderboard_when_its_challenge_changes(client, make_challenge, quick_keepalive):
    challenge = make_challenge()
    response, chunks = open_stream(client, challenge.slug)
    try:
        clear_leaderboard(challenge.id, challenge.slug)
        chunk = next_event(chunks)
    finally:
        response.close()

    event, data = chunk.strip().split("\n")
    assert event == "event: leaderboard"
    data = json.loads(data.removeprefix("data: "))
    assert data["slug"] == challenge.slug
    # The state the page should ask for, so no web process answers with an older copy.
    assert data["generation"] == get_redis().get(generation_key(challenge.id)).decode()


def test_idle_streams_get_keep_alive_comments(client, make_challenge, quick_keepalive):
    challenge = make_challenge()
    response, chunks = open_stream(client, challenge.slug)
    try:
        assert next(chunks) == b": keep-alive\n\n"
    finally:
        response.close()


def test_events_of_another_challenge_are_not_sent(client, make_challenge, quick_keepalive):
    watched, other = make_challenge("breast-cancer-diagnosis"), make_challenge("diabetes-progression")
    response, chunks = open_stream(client, watched.slug)
    try:
        clear_leaderboard(other.id, other.slug)
        assert next(chunks) == b": keep-alive\n\n"
        assert next(chunks) == b": keep-alive\n\n"
        clear_leaderboard(watched.id, watched.slug)
        assert next_event(chunks).startswith("event: leaderboard")
    finally:
        response.close()


def test_many_streams_share_one_listener_and_each_gets_the_event(client, make_challenge, quick_keepalive):
    challenge = make_challenge()
    streams = [open_stream(client, challenge.slug) for _ in range(5)]
    try:
        listeners = [t for t in threading.enumerate() if t.name == "leaderboard-events"]
        assert len(listeners) == 1
        assert live.broadcaster.stream_count() == 5
        clear_leaderboard(challenge.id, challenge.slug)
        for _, chunks in streams:
            assert next_event(chunks).startswith("event: leaderboard")
    finally:
        for response, _ in streams:
            response.close()
    assert live.broadcaster.stream_count() == 0


def test_a_stream_holds_no_database_session(app, make_challenge):
    challenge = make_challenge()
    with app.test_request_context(f"/api/v1/challenges/{challenge.slug}/events"):
        db.session.execute(db.select(db.literal(1)))
        assert db.session.registry.has()
        response = live.event_stream(challenge)
        assert not db.session.registry.has()
        response.close()  # a client that left before the first byte
    assert live.broadcaster.stream_count() == 0
