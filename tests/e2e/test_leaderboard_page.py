"""The live leaderboard in a real browser, served by gunicorn as in production."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from ultrathon.platform.extensions import db
from ultrathon.platform.leaderboard.cache import clear_leaderboard
from ultrathon.platform.models import Score, Submission

pytestmark = [pytest.mark.browser, pytest.mark.slow]

START = datetime(2026, 11, 3, 9, 0, tzinfo=timezone.utc)
B = 400
COMMON = np.random.default_rng(1).normal(0, 0.02, B)  # paired resamples: shared difficulty


def add_score(team, public, private, at, seed):
    """Store a scored submission with paired bootstrap replicates, as the scoring job would."""
    submission = Submission(challenge_id=team.challenge_id, team_id=team.id, status="scored", size=1,
                            sha256="0" * 64, content=b"x", created_at=at, scored_at=at)
    db.session.add(submission)
    db.session.flush()
    own = np.random.default_rng(seed)
    for split, value in (("public", public), ("private", private)):
        replicates = value + COMMON + own.normal(0, 0.006, B)
        low, high = np.percentile(replicates, [2.5, 97.5])
        db.session.add(Score(submission_id=submission.id, challenge_id=team.challenge_id, team_id=team.id,
                             split=split, metric="roc_auc", value=value, ci_low=low, ci_high=high, n_rows=171,
                             metrics={}, subgroups=[], replicates=replicates.astype("<f8").tobytes()))
    db.session.commit()
    return submission


@pytest.fixture
def busy_board(make_challenge, make_team):
    """A challenge a few days in: eight teams with several submissions each, and a baseline."""
    from ultrathon.worker.leaderboard_jobs import update_leaderboard_stats

    challenge = make_challenge()
    names = ["Oncology ML Lab", "Kernel Trick", "Gradient Descenders", "Random Foresters", "Bayes Watch",
             "The Overfitters", "Sigmoid Society", "Null Hypothesis"]
    rng = np.random.default_rng(3)
    seed = 10
    for i, name in enumerate(names):
        team = make_team(challenge, name=name)
        level = 0.955 - 0.012 * i
        for k in range(3 + i % 3):
            seed += 1
            at = START + timedelta(days=k * 2 + i % 2, hours=int(rng.integers(0, 20)))
            value = round(level - 0.03 / (k + 1) + rng.normal(0, 0.003), 4)
            add_score(team, value, round(value + rng.normal(0, 0.01), 4), at, seed)
    baseline = make_team(challenge, name="Logistic regression (organisers)")
    baseline.is_baseline = True
    db.session.commit()
    add_score(baseline, 0.90, 0.905, START, 99)
    update_leaderboard_stats(challenge.id)
    return challenge


def test_the_leaderboard_updates_rows_in_place_when_a_score_arrives(page, busy_board, screenshot):
    challenge = busy_board
    page.goto(f"/challenges/{challenge.slug}/leaderboard")
    page.locator("#lb-live[data-state=live]").wait_for()
    first_row = page.locator("#lb-board tbody tr").first
    assert first_row.locator("[data-col=team]").inner_text().startswith("Oncology ML Lab")
    assert page.locator("#lb-board tbody tr").count() == 9
    assert page.get_by_text("tied with leader").first.is_visible()
    page.locator("canvas[data-chart=forest]").wait_for()
    screenshot(page, "leaderboard")

    page.evaluate("window.notReloaded = true")
    newcomer = next(t for t in challenge.teams if t.name == "Null Hypothesis")
    add_score(newcomer, 0.9912, 0.99, START + timedelta(days=9), 500)
    clear_leaderboard(challenge.id, challenge.slug)

    page.wait_for_function(  # a function, evaluated once: the page's CSP refuses to eval an expression per poll
        "() => document.querySelector('#lb-board tbody tr [data-col=team]').textContent.startsWith('Null Hypothesis')")
    assert first_row.locator("[data-col=score]").inner_text() == "0.9912"
    assert first_row.locator("[data-col=rank]").inner_text() == "1"
    assert page.evaluate("window.notReloaded") is True
    assert page.locator("#lb-board tbody tr").count() == 9


def test_the_page_polls_when_the_event_stream_fails(page, busy_board):
    challenge = busy_board
    page.add_init_script("window.UltrathonPollMs = 500")
    page.route("**/events", lambda route: route.abort())
    page.goto(f"/challenges/{challenge.slug}/leaderboard")
    page.locator("#lb-live[data-state=polling]").wait_for()

    newcomer = next(t for t in challenge.teams if t.name == "Bayes Watch")
    add_score(newcomer, 0.9990, 0.99, START + timedelta(days=9), 501)
    clear_leaderboard(challenge.id, challenge.slug)

    page.wait_for_function(
        "() => document.querySelector('#lb-board tbody tr [data-col=team]').textContent.startsWith('Bayes Watch')")


def test_a_leaderboard_without_scores_says_so_instead_of_drawing_empty_axes(page, make_challenge, screenshot):
    from ultrathon.worker.leaderboard_jobs import update_leaderboard_stats

    challenge = make_challenge()
    update_leaderboard_stats(challenge.id)  # the rank figures ran, over no team at all
    page.goto(f"/challenges/{challenge.slug}/leaderboard")
    page.locator("#lb-live[data-state=live]").wait_for()
    notes = page.locator(".lb-chart-empty")
    notes.first.wait_for()
    assert notes.count() == 3
    assert all(note.is_visible() and note.inner_text() == "No scores yet." for note in notes.all())
    for chart in ("history", "per_day", "forest"):
        assert not page.locator(f"canvas[data-chart={chart}]").is_visible()
    assert "1970" not in page.locator("#lb-board").inner_text()
    assert "from 0 paired" not in page.locator("#lb-board").inner_text()
    assert page.get_by_text("Rank statistics: none yet").is_visible()
    screenshot(page, "leaderboard-empty")
