"""Rank uncertainty from paired bootstrap replicates, the shake-up and subgroups, and their debounced job."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from rq.registry import ScheduledJobRegistry

from ultrathon.platform.extensions import db
from ultrathon.platform.leaderboard.cache import clear_leaderboard, schedule_leaderboard_stats, stats_pending_key
from ultrathon.platform.leaderboard.standings import as_board, compute_standings, get_standings
from ultrathon.platform.leaderboard.stats import shake_up
from ultrathon.scorers.ranks import rank_statistics
from ultrathon.platform.models import LeaderboardStats, Score, Submission
from ultrathon.platform.queueing import STATS_QUEUE_NAME, get_queue, get_redis

START = datetime(2026, 11, 10, 9, 0, tzinfo=timezone.utc)
B = 1000
rng = np.random.default_rng(7)
# What every team shares on a resample: how easy that resample's rows happen to be.
COMMON = rng.normal(0, 0.03, B)


def paired(mean: float, own_noise: float = 0.002, seed: int = 0) -> np.ndarray:
    """Return replicates of a team scoring `mean`, paired with every other team's through COMMON."""
    return mean + COMMON + np.random.default_rng(seed).normal(0, own_noise, B)


@pytest.fixture
def scored(ctx):
    """Add a scored submission with scores and replicates straight into the database."""
    clock = itertools.count()

    def make(team, public, private=None, *, public_replicates=None, private_replicates=None, at=None,
             subgroups=None):
        at = at or START + timedelta(hours=next(clock))
        submission = Submission(challenge_id=team.challenge_id, team_id=team.id, status="scored", size=1,
                                sha256="0" * 64, content=b"x", created_at=at, scored_at=at)
        db.session.add(submission)
        db.session.flush()
        for split, value, reps in (("public", public, public_replicates), ("private", private, private_replicates)):
            if value is None:
                continue
            db.session.add(Score(
                submission_id=submission.id, challenge_id=team.challenge_id, team_id=team.id, split=split,
                metric="roc_auc", value=value, ci_low=value - 0.05, ci_high=value + 0.05, n_rows=100, metrics={},
                subgroups=(subgroups or []) if split == "private" else [],
                replicates=None if reps is None else np.asarray(reps, dtype="<f8").tobytes(),
            ))
        db.session.commit()
        return submission

    return make


@pytest.fixture
def stats_now(app, monkeypatch, run_worker):
    """Run the stats job as the pipeline would, at once instead of after the debounce delay."""
    monkeypatch.setitem(app.config, "LEADERBOARD_STATS_DELAY_S", 0)

    def run(challenge) -> None:
        clear_leaderboard(challenge.id, challenge.slug)
        assert run_worker()
        db.session.expire_all()

    return run


# --- the statistics themselves --------------------------------------------------------------------


def test_a_clearly_better_team_ranks_first_on_every_resample():
    replicates = np.stack([paired(0.90, seed=1), paired(0.80, seed=2), paired(0.70, seed=3)])

    figures = rank_statistics(replicates, higher_is_better=True, level=0.95)

    assert figures["p_rank1"].tolist() == [1.0, 0.0, 0.0]
    assert figures["median_rank"].tolist() == [1, 2, 3]
    assert figures["rank_low"].tolist() == [1, 2, 3] and figures["rank_high"].tolist() == [1, 2, 3]


def test_indistinguishable_teams_share_the_first_rank():
    replicates = np.stack([paired(0.800, own_noise=0.01, seed=1), paired(0.799, own_noise=0.01, seed=2), paired(0.6, seed=3)])

    figures = rank_statistics(replicates, higher_is_better=True, level=0.95)

    assert 0.3 < figures["p_rank1"][0] < 0.7 and 0.3 < figures["p_rank1"][1] < 0.7
    assert figures["p_rank1"].sum() == pytest.approx(1.0)
    assert (figures["rank_low"][0], figures["rank_high"][0]) == (1, 2)
    assert figures["rank_high"][2] == 3 and figures["p_rank1"][2] == 0.0


def test_when_lower_is_better_the_smallest_replicate_ranks_first():
    replicates = np.stack([paired(50.0, seed=1), paired(40.0, seed=2)])

    figures = rank_statistics(replicates, higher_is_better=False, level=0.95)

    assert figures["p_rank1"].tolist() == [0.0, 1.0]


def test_an_undefined_replicate_ranks_last_on_its_resample():
    replicates = np.array([[np.nan, 0.9], [0.5, 0.5]])

    figures = rank_statistics(replicates, higher_is_better=True, level=0.95)

    assert figures["p_rank1"].tolist() == [0.5, 0.5]


def test_the_shake_up_gives_kendalls_tau_and_each_teams_move(make_challenge, make_team, scored):
    challenge = make_challenge()
    teams = [make_team(challenge, name=n) for n in "ABCD"]
    # Public order A B C D; private order B A C D.
    for team, public, private in zip(teams, (0.9, 0.8, 0.7, 0.6), (0.8, 0.9, 0.7, 0.6)):
        scored(team, public, private)
    board = as_board(challenge)

    result = shake_up(compute_standings(board, "public"), compute_standings(board, "private"))

    assert result["tau"] == pytest.approx(2 / 3, abs=1e-4)  # one discordant pair of six
    assert [(t["team"], t["public_rank"], t["private_rank"], t["change"]) for t in result["teams"]] == [
        ("B", 2, 1, 1), ("A", 1, 2, -1), ("C", 3, 3, 0), ("D", 4, 4, 0)]


# --- the job and what the leaderboard shows of it -----------------------------------------------


def test_the_job_stores_rank_figures_that_the_standings_then_show(make_challenge, make_team, scored, stats_now):
    challenge = make_challenge()
    leader, close, far = (make_team(challenge, name=n) for n in ("Leader", "Close", "Far"))
    scored(leader, 0.900, 0.9, public_replicates=paired(0.900, seed=1), private_replicates=paired(0.9, seed=4))
    scored(close, 0.899, 0.8, public_replicates=paired(0.899, seed=2), private_replicates=paired(0.8, seed=5))
    scored(far, 0.700, 0.7, public_replicates=paired(0.700, seed=3), private_replicates=paired(0.7, seed=6))
    assert get_standings(challenge, "public")["stats_as_of"] is None

    stats_now(challenge)

    rows = db.session.execute(db.select(LeaderboardStats).where(LeaderboardStats.challenge_id == challenge.id)).scalars().all()
    assert sorted(row.split for row in rows) == ["private", "public"]
    standings = get_standings(challenge, "public")
    assert standings["stats_as_of"] is not None and standings["n_resamples"] == B
    by_team = {e["team"]: e for e in standings["entries"]}
    assert by_team["Leader"]["tied_with_leader"] is False
    assert by_team["Close"]["tied_with_leader"] is True
    assert by_team["Far"]["tied_with_leader"] is False
    assert by_team["Far"]["p_rank1"] == 0.0 and by_team["Far"]["median_rank"] == 3
    assert by_team["Leader"]["p_rank1"] + by_team["Close"]["p_rank1"] == pytest.approx(1.0)
    assert by_team["Leader"]["rank_low"] == 1 and by_team["Leader"]["rank_high"] == 2


def test_identical_submissions_get_the_same_rank_figures_whichever_came_first(make_challenge, make_team, scored,
                                                                              stats_now, client):
    """Mid-ranks: P(rank 1) 0.5 each, median rank 1.5, and the interval's ends rounded outward."""
    challenge = make_challenge()
    same = paired(0.9, seed=1)
    scored(make_team(challenge, name="Earlier"), 0.9, public_replicates=same)
    scored(make_team(challenge, name="Later"), 0.9, public_replicates=same)
    scored(make_team(challenge, name="Far"), 0.7, public_replicates=paired(0.7, seed=3))

    stats_now(challenge)

    by_team = {e["team"]: e for e in get_standings(challenge, "public")["entries"]}
    figures = [(by_team[t]["p_rank1"], by_team[t]["median_rank"], by_team[t]["rank_low"], by_team[t]["rank_high"])
               for t in ("Earlier", "Later", "Far")]
    assert figures == [(0.5, 1.5, 1, 2), (0.5, 1.5, 1, 2), (0.0, 3, 3, 3)]
    assert by_team["Later"]["tied_with_leader"] is True
    page = client.get(f"/challenges/{challenge.slug}/leaderboard").get_data(as_text=True)
    assert page.count('1.5 <span class="muted">(1–2)</span>') == 2


def test_ci_level_sets_the_tie_with_the_leader(make_challenge, make_team, scored, stats_now):
    """A 0.01 lead with a 0.008 paired spread: within the 95% interval of the difference, not the 60%."""
    challenge = make_challenge()
    scored(make_team(challenge, name="Leader"), 0.91, public_replicates=0.91 + COMMON)
    own = np.random.default_rng(11).normal(0, 0.008, B)
    scored(make_team(challenge, name="Close"), 0.90, public_replicates=0.90 + COMMON + own)
    ties = {}
    for level in (0.95, 0.6):
        challenge.spec = {**challenge.spec, "leaderboard": {**challenge.spec["leaderboard"], "ci_level": level}}
        db.session.commit()
        clear_leaderboard(challenge.id, challenge.slug, settings_changed=True)
        stats_now(challenge)
        ties[level] = get_standings(challenge, "public")["entries"][1]["tied_with_leader"]
    assert ties == {0.95: True, 0.6: False}


def test_rank_figures_are_kept_for_the_top_k_teams_only(make_challenge, make_team, scored, stats_now):
    challenge = make_challenge()
    challenge.spec = {**challenge.spec, "leaderboard": {**challenge.spec["leaderboard"], "top_k": 2}}
    db.session.commit()
    for n, mean in enumerate((0.9, 0.8, 0.7)):
        scored(make_team(challenge), mean, public_replicates=paired(mean, seed=n))

    stats_now(challenge)

    entries = get_standings(challenge, "public")["entries"]
    assert [e["p_rank1"] is not None for e in entries] == [True, True, False]
    assert entries[2]["median_rank"] is None and entries[2]["tied_with_leader"] is None


def test_figures_of_a_replaced_best_submission_are_withheld_until_recomputed(make_challenge, make_team, scored, stats_now):
    challenge = make_challenge()
    first, second = make_team(challenge, name="First"), make_team(challenge, name="Second")
    scored(first, 0.9, public_replicates=paired(0.9, seed=1))
    scored(second, 0.8, public_replicates=paired(0.8, seed=2))
    stats_now(challenge)

    # Second overtakes; until the job runs again its figures (and every tie flag) are unknown.
    scored(second, 0.95, public_replicates=paired(0.95, seed=3))
    clear_leaderboard(challenge.id, challenge.slug, schedule_stats=False)
    entries = {e["team"]: e for e in get_standings(challenge, "public")["entries"]}
    assert entries["Second"]["rank"] == 1 and entries["Second"]["p_rank1"] is None
    assert entries["First"]["p_rank1"] == 1.0 and entries["First"]["tied_with_leader"] is None

    stats_now(challenge)
    entries = {e["team"]: e for e in get_standings(challenge, "public")["entries"]}
    assert entries["Second"]["p_rank1"] == 1.0 and entries["First"]["tied_with_leader"] is False


def test_the_private_leaderboard_carries_the_shake_up_and_subgroups(make_challenge, make_team, scored, stats_now):
    challenge = make_challenge()
    cells = [
        {"split": "private", "column": "age_band", "group": "40-49", "n": 55, "n_positive": 21, "value": 0.91234,
         "ci_low": 0.85, "ci_high": 0.96, "suppressed": False},
        {"split": "private", "column": "age_band", "group": "80+", "n": 6, "n_positive": 2, "value": None,
         "ci_low": None, "ci_high": None, "suppressed": True},
    ]
    scored(make_team(challenge, name="Steady"), 0.9, 0.8, subgroups=cells)
    scored(make_team(challenge, name="Climber"), 0.8, 0.9, subgroups=cells)

    stats_now(challenge)

    standings = get_standings(challenge, "private")
    assert standings["kendall_tau"] == -1.0
    assert [(e["team"], e["public_rank"], e["rank_change"]) for e in standings["entries"]] == [
        ("Climber", 2, 1), ("Steady", 1, -1)]
    payload = db.session.execute(db.select(LeaderboardStats).where(
        LeaderboardStats.challenge_id == challenge.id, LeaderboardStats.split == "private")).scalar_one().payload
    table = payload["subgroups"]
    assert table["groups"] == [{"column": "age_band", "group": "40-49"}, {"column": "age_band", "group": "80+"}]
    assert table["teams"][0]["team"] == "Climber"
    assert table["teams"][0]["cells"][0]["value"] == 0.9123
    # a count stored with a suppressed group (as scores before 1.1.0 did) is dropped
    assert table["teams"][0]["cells"][1] == {"n": None, "suppressed": True, "value": None, "ci_low": None, "ci_high": None}


def test_the_charts_series_follow_each_teams_best_score_and_the_daily_count(make_challenge, make_team, scored, stats_now):
    challenge = make_challenge()
    team = make_team(challenge, name="Improver")
    scored(team, 0.7, at=START)
    scored(team, 0.6, at=START + timedelta(hours=1))  # worse: the best stays 0.7
    scored(team, 0.8, at=START + timedelta(days=2))

    stats_now(challenge)

    payload = db.session.execute(db.select(LeaderboardStats).where(
        LeaderboardStats.challenge_id == challenge.id, LeaderboardStats.split == "public")).scalar_one().payload
    assert [p["best"] for p in payload["history"][0]["points"]] == [0.7, 0.8]
    assert [(d["day"], d["submissions"]) for d in payload["per_day"]] == [
        ("2026-11-10", 2), ("2026-11-11", 0), ("2026-11-12", 1)]


def test_changes_in_quick_succession_schedule_one_stats_job(make_challenge):
    challenge = make_challenge()  # loading it scheduled the first run
    stats_queue = get_queue(name=STATS_QUEUE_NAME)
    registry = ScheduledJobRegistry(queue=stats_queue)
    assert len(stats_queue) == 0 and len(get_queue()) == 0 and registry.count == 1

    for _ in range(3):
        clear_leaderboard(challenge.id, challenge.slug)
    assert registry.count == 1

    # The job clears the mark when it starts; a change after that schedules the next run.
    get_redis().delete(stats_pending_key(challenge.id))
    assert schedule_leaderboard_stats(challenge.id) is True
    assert registry.count == 2
