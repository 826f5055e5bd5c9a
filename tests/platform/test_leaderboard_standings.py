"""Standings: the one query, its ranks and tie-breaks, private selections, and the cache."""

from __future__ import annotations

import itertools
import json
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from ultrathon.platform.extensions import db
from ultrathon.platform.leaderboard.cache import cache_generation, cache_key, clear_leaderboard, store_if_current, stored_key
from ultrathon.platform.leaderboard.standings import (
    as_board, find_board, get_standings, standings_body, standings_query,
)
from ultrathon.platform.models import Score, Submission, utcnow
from ultrathon.platform.queueing import get_redis

START = datetime(2026, 11, 10, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def scored(ctx):
    """Add a scored submission with its scores straight into the database (no cache clearing)."""
    clock = itertools.count()

    def make(team, public, private=None, *, at=None, selected=False, ci=0.05, replicates=None):
        at = at or START + timedelta(minutes=next(clock))
        challenge = team.challenge
        submission = Submission(
            challenge_id=team.challenge_id, team_id=team.id, status="scored", size=1, sha256="0" * 64,
            content=b"x", created_at=at, scored_at=at, selected_at=at if selected else None,
        )
        db.session.add(submission)
        db.session.flush()
        for split, value in (("public", public), ("private", private)):
            if value is None and split == "private":
                continue
            db.session.add(Score(
                submission_id=submission.id, challenge_id=team.challenge_id, team_id=team.id, split=split,
                metric=challenge.spec["metrics"]["primary"], value=value,
                ci_low=None if value is None else value - ci, ci_high=None if value is None else value + ci,
                n_rows=100, metrics={}, subgroups=[],
                replicates=None if replicates is None else np.asarray(replicates[split], dtype="<f8").tobytes(),
            ))
        db.session.commit()
        return submission

    return make


def ranks(standings):
    return [(e["rank"], e["team"], e["score"]) for e in standings["entries"]]


def test_public_standings_show_each_teams_best_public_score_best_first(make_challenge, make_team, scored):
    challenge = make_challenge()
    alpha, beta = make_team(challenge, name="Alpha"), make_team(challenge, name="Beta")
    scored(alpha, 0.80, 0.70)
    scored(beta, 0.85, 0.90)
    last = scored(alpha, 0.90, 0.60)

    standings = get_standings(challenge, "public")

    assert standings["challenge"] == challenge.slug and standings["split"] == "public"
    assert standings["metric"] == "roc_auc" and standings["higher_is_better"] is True
    assert ranks(standings) == [(1, "Alpha", 0.9), (2, "Beta", 0.85)]
    alpha_entry = standings["entries"][0]
    assert alpha_entry["submissions"] == 2
    assert alpha_entry["last_submission_at"] == last.created_at.isoformat()
    assert alpha_entry["ci_low"] == pytest.approx(0.85) and alpha_entry["ci_high"] == pytest.approx(0.95)
    for key in ("baseline", "tied_with_leader", "p_rank1", "median_rank", "rank_low", "rank_high"):
        assert key in alpha_entry


def test_equal_scores_rank_the_earlier_submission_first(make_challenge, make_team, scored):
    challenge = make_challenge()
    late, early = make_team(challenge, name="Late"), make_team(challenge, name="Early")
    scored(late, 0.8, at=START + timedelta(hours=2))
    scored(early, 0.8, at=START + timedelta(hours=1))
    # The same team's own tie: its earlier submission is the one that stands.
    first = scored(early, 0.8, at=START + timedelta(hours=3))

    standings = get_standings(challenge, "public")

    assert ranks(standings) == [(1, "Early", 0.8), (2, "Late", 0.8)]
    assert standings["entries"][0]["submitted_at"] == (START + timedelta(hours=1)).isoformat()
    assert first.created_at.isoformat() == standings["entries"][0]["last_submission_at"]
    assert "earlier submission ranks higher" in standings["tie_break"]


def test_a_lower_is_better_metric_ranks_the_smallest_value_first(make_challenge, make_team, scored):
    challenge = make_challenge("diabetes-progression")
    big, small = make_team(challenge, name="Big"), make_team(challenge, name="Small")
    scored(big, 60.0)
    scored(big, 58.0)
    scored(small, 55.5)

    standings = get_standings(challenge, "public")

    assert standings["higher_is_better"] is False
    assert ranks(standings) == [(1, "Small", 55.5), (2, "Big", 58.0)]


def test_disqualified_teams_vanish_and_baselines_show_without_a_rank(make_challenge, make_team, scored):
    challenge = make_challenge()
    cheat, honest, baseline = (make_team(challenge, name=n) for n in ("Cheat", "Honest", "Organisers' baseline"))
    baseline.is_baseline = True
    cheat.disqualified_at = utcnow()
    db.session.commit()
    scored(cheat, 0.99)
    scored(baseline, 0.90)
    scored(honest, 0.70)

    entries = get_standings(challenge, "public")["entries"]

    assert [(e["rank"], e["team"], e["baseline"]) for e in entries] == [
        (None, "Organisers' baseline", True), (1, "Honest", False)]


def test_scores_and_intervals_are_rounded_to_the_challenge_decimals(make_challenge, make_team, scored):
    challenge = make_challenge()
    assert challenge.spec["leaderboard"]["decimals"] == 4
    scored(make_team(challenge), 0.123456789, ci=0.0111111)

    entry = get_standings(challenge, "public")["entries"][0]

    assert (entry["score"], entry["ci_low"], entry["ci_high"]) == (0.1235, 0.1123, 0.1346)


def test_undefined_scores_are_not_ranked(make_challenge, make_team, scored):
    challenge = make_challenge()
    only_undefined, mixed = make_team(challenge, name="Undefined"), make_team(challenge, name="Mixed")
    scored(only_undefined, None)
    scored(mixed, None)
    scored(mixed, 0.6)

    assert ranks(get_standings(challenge, "public")) == [(1, "Mixed", 0.6)]


def test_private_standings_judge_the_selected_submissions_or_else_the_best_by_public_score(
        make_challenge, make_team, scored):
    challenge = make_challenge()
    assert challenge.spec["limits"]["final_selections"] == 2
    chooser, default = make_team(challenge, name="Chooser"), make_team(challenge, name="Default")
    # Chooser selected its weaker public submission; its best private one was not selected.
    scored(chooser, 0.95, 0.99)
    scored(chooser, 0.70, 0.75, selected=True)
    # Default chose nothing: its best two by public score count, not the third, best private.
    scored(default, 0.90, 0.80)
    scored(default, 0.88, 0.85)
    scored(default, 0.60, 0.97)

    standings = get_standings(challenge, "private")

    assert standings["split"] == "private"
    assert ranks(standings) == [(1, "Default", 0.85), (2, "Chooser", 0.75)]
    assert standings["entries"][0]["submissions"] == 3


def _public_key(challenge, generation: str | None = None) -> str:
    """Return the Redis key of the challenge's public standings at a generation (the current one)."""
    key = cache_key(challenge.id, "public", phase=find_board(challenge.slug).phase_id)
    return stored_key(key, generation or cache_generation(challenge.id))


def test_standings_are_served_from_the_cache_until_a_write_clears_it(make_challenge, make_team, scored):
    challenge = make_challenge()
    team = make_team(challenge, name="Solo")
    scored(team, 0.7)
    assert ranks(get_standings(challenge, "public")) == [(1, "Solo", 0.7)]
    assert get_redis().exists(_public_key(challenge))

    scored(team, 0.8)  # written without clearing: the cache still answers
    assert ranks(get_standings(challenge, "public")) == [(1, "Solo", 0.7)]

    clear_leaderboard(challenge.id, challenge.slug)
    assert not get_redis().exists(_public_key(challenge))
    assert ranks(get_standings(challenge, "public")) == [(1, "Solo", 0.8)]


def test_standings_computed_before_a_write_are_not_cached_after_it(make_challenge):
    challenge = make_challenge()
    generation = cache_generation(challenge.id)
    clear_leaderboard(challenge.id, challenge.slug)  # a write lands while a slow reader computes

    key = cache_key(challenge.id, "public", phase=find_board(challenge.slug).phase_id)
    stored = store_if_current(challenge.id, key, b"stale", generation)

    assert stored is False
    assert get_redis().get(_public_key(challenge, generation)) is None
    assert store_if_current(challenge.id, key, b"fresh", cache_generation(challenge.id))
    assert get_redis().get(_public_key(challenge)) == b"fresh"


def test_one_sql_query_computes_the_standings_on_a_cache_miss(make_challenge, make_team, scored):
    challenge = make_challenge()
    for n in range(3):
        scored(make_team(challenge), 0.5 + n / 10)
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    from sqlalchemy import event

    board = find_board(challenge.slug)
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        standings_body(board, "public")
        standings_body(board, "public")  # a hit: no query at all
    finally:
        event.remove(db.engine, "before_cursor_execute", count)

    on_scores = [s for s in statements if " score" in s.lower()]
    assert len(on_scores) == 1, statements
    assert len(statements) <= 2  # the standings, and the stored rank figures
    assert json.loads(standings_body(board, "public"))["entries"][0]["rank"] == 1


def test_the_standings_query_uses_the_leaderboard_index(make_challenge, make_team, scored):
    challenge = make_challenge()
    scored(make_team(challenge), 0.5)
    board = as_board(challenge)
    query = standings_query(board, "public")
    compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
    if db.engine.dialect.name == "sqlite":
        plan = db.session.execute(db.text(f"EXPLAIN QUERY PLAN {compiled}")).all()
    else:
        db.session.execute(db.text("SET LOCAL enable_seqscan = off"))  # tiny tables: make the planner show its index choice
        plan = db.session.execute(db.text(f"EXPLAIN {compiled}")).all()
        db.session.rollback()
    assert "ix_score_leaderboard" in " ".join(str(part) for row in plan for part in row)


def test_concurrent_misses_in_one_process_share_one_computation(app, make_challenge, make_team, scored):
    import threading

    from sqlalchemy import event

    challenge = make_challenge()
    scored(make_team(challenge), 0.7)
    board = find_board(challenge.slug)
    queries: list[str] = []
    lock = threading.Lock()

    def count(conn, cursor, statement, parameters, context, executemany):
        if "row_number" in statement.lower():
            with lock:
                queries.append(statement)

    bodies: list[bytes] = []
    start = threading.Barrier(8)

    def reader() -> None:
        with app.app_context():
            start.wait()
            bodies.append(standings_body(board, "public"))
            db.session.remove()

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        threads = [threading.Thread(target=reader) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)

    assert len(bodies) == 8 and len(set(bodies)) == 1
    assert len(queries) == 1


def restart_redis_without_data() -> None:
    """Do to this process what a Redis restart without persistence does: data gone, connections cut."""
    import time

    from ultrathon.platform.leaderboard.cache import near_cache

    epoch = near_cache.epoch
    redis = get_redis()
    redis.flushdb()
    listening = near_cache.listening
    if listening:
        import os

        # Only this process's listener: the Redis server may be shared with other test runs.
        ours = [c for c in redis.client_list() if c.get("name") == f"ultrathon-events-{os.getpid()}"]
        for client in ours:
            redis.client_kill_filter(_id=client["id"])
        deadline = time.monotonic() + 10
        while near_cache.epoch == epoch and time.monotonic() < deadline:
            time.sleep(0.05)
        assert near_cache.epoch > epoch, "the events listener did not reconnect"


def test_after_redis_loses_its_data_no_copy_kept_by_the_process_is_served(make_challenge, make_team, scored):
    challenge = make_challenge()
    team = make_team(challenge, name="Solo")
    scored(team, 0.7)
    restart_redis_without_data()
    assert ranks(get_standings(challenge, "public")) == [(1, "Solo", 0.7)]

    restart_redis_without_data()
    scored(team, 0.8)

    assert ranks(get_standings(challenge, "public")) == [(1, "Solo", 0.8)]


@pytest.fixture
def kept_then_changed_elsewhere(make_challenge, make_team, scored):
    """Keep standings at 0.7 here, then write 0.8 as another process would (its event not yet here)."""
    import time
    import uuid

    from ultrathon.platform.leaderboard.cache import generation_key, near_cache

    challenge = make_challenge()
    team = make_team(challenge, name="Solo")
    scored(team, 0.7)
    board = find_board(challenge.slug)
    deadline = time.monotonic() + 10
    while not near_cache.listening and time.monotonic() < deadline:
        standings_body(board, "public")
        time.sleep(0.05)
    assert json.loads(standings_body(board, "public"))["entries"][0]["score"] == 0.7

    scored(team, 0.8)
    newer = uuid.uuid4().hex
    older = cache_generation(challenge.id)
    get_redis().set(generation_key(challenge.id), newer)
    get_redis().delete(_public_key(challenge, older))
    return challenge, newer


def test_a_page_told_of_a_newer_state_never_gets_an_older_copy(kept_then_changed_elsewhere):
    challenge, newer = kept_then_changed_elsewhere
    assert json.loads(standings_body(find_board(challenge.slug), "public", newer))["entries"][0]["score"] == 0.8


def test_an_expired_board_is_reread_by_one_request_while_the_others_keep_the_old_copy(make_challenge):
    from sqlalchemy import event

    from ultrathon.platform.leaderboard import cache as standings  # the kept boards live in cache.py

    challenge = make_challenge()
    challenge.title = "Before"
    db.session.commit()
    board = find_board(challenge.slug)
    assert board.title == "Before"
    challenge.title = "After"
    db.session.commit()
    standings._boards[f"{challenge.slug}@"] = (float("-inf"), board)  # its few seconds are over
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        with standings._board_refresh:  # another request of this process is reading the board
            assert find_board(challenge.slug).title == "Before"
            assert statements == []
        assert find_board(challenge.slug).title == "After"  # the next request reads it: the challenge, its phases, the publication
        assert len(statements) == 3
        assert find_board(challenge.slug).title == "After"  # and then it is kept
        assert len(statements) == 3
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_a_reload_makes_the_board_forgotten_and_a_score_does_not(make_challenge, make_team, scored):
    from ultrathon.platform.leaderboard import cache as standings  # the kept boards live in cache.py

    challenge = make_challenge()
    assert find_board(challenge.slug).title != "Reloaded"
    # Kept as fresh for the whole test: on a loaded machine its few seconds could pass before the score.
    standings._boards[f"{challenge.slug}@"] = (float("inf"), standings._boards[f"{challenge.slug}@"][1])
    challenge.title = "Reloaded"
    db.session.commit()
    scored(make_team(challenge), 0.7)
    clear_leaderboard(challenge.id, challenge.slug)  # a new score: the settings did not change
    assert find_board(challenge.slug).title != "Reloaded"

    clear_leaderboard(challenge.id, challenge.slug, settings_changed=True)  # as the loader does
    with standings._board_refresh:  # even while another request re-reads an expired board
        assert find_board(challenge.slug).title == "Reloaded"


def test_a_page_cut_from_the_standings_is_never_older_than_the_state_it_is_kept_for(client,
                                                                                     kept_then_changed_elsewhere):
    challenge, _ = kept_then_changed_elsewhere
    page = client.get(f"/api/v1/challenges/{challenge.slug}/leaderboard").get_json()
    assert page["entries"][0]["score"] == 0.8
