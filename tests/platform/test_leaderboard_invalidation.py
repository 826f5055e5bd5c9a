"""Every write that changes standings clears the cached leaderboard and tells live pages."""

from __future__ import annotations

import json
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from ultrathon.platform.extensions import db
from ultrathon.platform.leaderboard.cache import EVENTS_CHANNEL, SPLITS, cache_generation, cache_key, stored_key
from ultrathon.platform.leaderboard.fragments import charts_body, standings_fragment
from ultrathon.platform.leaderboard.standings import as_board, get_standings
from ultrathon.platform.models import Submission
from ultrathon.platform.queueing import get_redis

DEMO_DIR = Path(__file__).resolve().parents[2] / "challenges"


@pytest.fixture
def scored_submission(make_challenge, make_user, make_team, run_worker):
    """A submission of the sample file, uploaded and scored by the real pipeline."""
    from ultrathon.platform.submissions.uploads import accept_submission

    challenge = make_challenge()
    user = make_user()
    team = make_team(challenge, [user], name="Pipeline")
    data = (DEMO_DIR / challenge.slug / "sample_submission.csv").read_bytes()
    submission = accept_submission(challenge, user, data, "sample_submission.csv")
    assert run_worker()
    db.session.expire_all()
    assert db.session.get(Submission, submission.id).status == "scored"
    return challenge, user, team, db.session.get(Submission, submission.id)


CACHED_KINDS = ("json", "html-en", "charts")  # what the leaderboard caches per split: standings, page table (English), chart series


def _keys(challenge, generation: str) -> list[str]:
    """Return the Redis keys of every cached rendering of the challenge's current phase at a generation."""
    phase = as_board(challenge).phase_id
    return [stored_key(cache_key(challenge.id, split, kind, phase=phase), generation) for split in SPLITS for kind in CACHED_KINDS]


def _prime(challenge) -> str:
    board = as_board(challenge)
    for split in SPLITS:
        get_standings(board, split)
        standings_fragment(board, split)
        charts_body(board, split)
    generation = cache_generation(challenge.id)
    keys = _keys(challenge, generation)
    assert get_redis().exists(*keys) == len(keys)
    return generation


@contextmanager
def clears_the_leaderboard(challenge):
    """Assert the block empties every cached rendering of the challenge and publishes an event."""
    primed = _prime(challenge)
    pubsub = get_redis().pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(EVENTS_CHANNEL)
    try:
        yield
        current = cache_generation(challenge.id)
        assert current != primed  # what was cached is at a generation no reader asks for
        keys = _keys(challenge, current)
        assert get_redis().exists(*keys) == 0
        events = []
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            message = pubsub.get_message(timeout=0.5)
            if message is None:
                continue
            event = json.loads(message["data"])
            events.append(event)
            if event.get("event") == "leaderboard" and event.get("slug") == challenge.slug:
                break
        ours = [e for e in events if e.get("event") == "leaderboard" and e.get("challenge_id") == challenge.id]
        assert ours and ours[-1]["slug"] == challenge.slug and ours[-1]["generation"]
    finally:
        pubsub.close()


def test_a_new_score_clears_the_leaderboard(make_challenge, make_user, make_team, run_worker):
    from ultrathon.platform.submissions.uploads import accept_submission

    challenge = make_challenge()
    user = make_user()
    make_team(challenge, [user], name="Newcomer")
    data = (DEMO_DIR / challenge.slug / "sample_submission.csv").read_bytes()
    accept_submission(challenge, user, data, "sample_submission.csv")
    assert get_standings(challenge, "public")["entries"] == []

    with clears_the_leaderboard(challenge):
        assert run_worker()

    assert [e["team"] for e in get_standings(challenge, "public")["entries"]] == ["Newcomer"]


def test_a_final_selection_clears_the_leaderboard(scored_submission):
    from ultrathon.platform.submissions.selections import select_submission, unselect_submission

    challenge, user, _, submission = scored_submission
    with clears_the_leaderboard(challenge):
        select_submission(submission, user)
    with clears_the_leaderboard(challenge):
        unselect_submission(submission, user)


def test_a_disqualification_clears_the_leaderboard(scored_submission):
    from ultrathon.platform.submissions.actions import disqualify_team, requalify_team

    challenge, _, team, _ = scored_submission
    with clears_the_leaderboard(challenge):
        disqualify_team(team, "shared labels with another team", None)
    assert get_standings(challenge, "public")["entries"] == []
    with clears_the_leaderboard(challenge):
        requalify_team(team, None)
    assert len(get_standings(challenge, "public")["entries"]) == 1


def test_a_rescore_clears_the_leaderboard(scored_submission):
    from ultrathon.platform.submissions.actions import rescore_challenge, rescore_submission

    challenge, _, _, submission = scored_submission
    with clears_the_leaderboard(challenge):
        rescore_submission(submission, None)
    with clears_the_leaderboard(challenge):
        rescore_challenge(challenge)


def test_a_challenge_reload_clears_the_leaderboard(make_challenge, tmp_path):
    from ultrathon.platform.challenges.loader import load_challenge_folder

    challenge = make_challenge()
    folder = tmp_path / challenge.slug
    shutil.copytree(DEMO_DIR / challenge.slug, folder)
    yaml = folder / "challenge.yaml"
    yaml.write_text(yaml.read_text().replace(f"title: {challenge.title}", "title: A new title"))

    with clears_the_leaderboard(challenge):
        assert load_challenge_folder(folder) == "updated"
    assert get_standings(challenge, "public")["title"] == "A new title"
