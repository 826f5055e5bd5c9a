"""Wide tables stay inside a 1280 px window: the page never grows a horizontal scrollbar."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from ultrathon.platform.challenges.publication import publish_results
from ultrathon.platform.extensions import db
from ultrathon.platform.leaderboard.cache import clear_leaderboard
from ultrathon.platform.models import Challenge, Score, Submission, utcnow
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]

START = datetime(2026, 11, 3, 9, 0, tzinfo=timezone.utc)
SURVIVAL = Path(__file__).resolve().parents[1] / "challenges" / "survival_curve"
WIDTH = "() => document.documentElement.scrollWidth"
# A table wider than its box scrolls inside it, hiding columns behind a scrollbar headless Chromium does not draw.
OVERFLOW = "wrap => wrap.scrollWidth - wrap.clientWidth"
B = 400


def horizon_rows(seed: int) -> dict:
    """Return a per-horizon table as the scorer stores it, at the challenge's three horizons."""
    rng = np.random.default_rng(seed)
    rows = []
    for horizon in (200.0, 400.0, 600.0):
        auc, brier = rng.uniform(0.65, 0.85), rng.uniform(0.1, 0.25)
        rows.append({"horizon": horizon, "td_auc": auc, "td_auc_low": auc - 0.08, "td_auc_high": auc + 0.08,
                     "brier": brier, "brier_low": brier - 0.05, "brier_high": brier + 0.05})
    return {"ci_level": 0.95, "n_resamples": 200, "rows": rows}


def log_in(page, email: str, url: str) -> None:
    page.goto(url)
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(rf"{url}$"))


def test_a_closed_survival_curve_teams_page_with_both_horizon_tables_open_fits(page, ctx, make_user, make_team, screenshot):
    from ultrathon.platform.challenges.loader import load_challenge_folder

    load_challenge_folder(SURVIVAL)
    challenge = db.session.execute(db.select(Challenge).where(Challenge.slug == "survival-curve")).scalar_one()
    bob = make_user("bob@example.org", "Bob")
    team = make_team(challenge, [bob], name="Cox Crew")
    sub = Submission(challenge_id=challenge.id, team_id=team.id, status="scored", size=1, sha256="0" * 64,
                     content=b"x", filename="surv_1.csv", note="medium", created_at=START, scored_at=START)
    db.session.add(sub)
    db.session.flush()
    for seed, split in enumerate(("public", "private")):
        db.session.add(Score(submission_id=sub.id, challenge_id=challenge.id, team_id=team.id, split=split,
                             metric="integrated_brier", value=0.2018, ci_low=0.1611, ci_high=0.2544, n_rows=100,
                             metrics={}, subgroups=[], horizons=horizon_rows(seed)))
    challenge.closes_at = challenge.phases[-1].closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    publish_results(challenge, None)  # results.publish is manual by default

    log_in(page, "bob@example.org", f"/challenges/{challenge.slug}/submissions")
    for summary in page.locator("#submissions summary").all():
        summary.click()
    assert page.get_by_text("Private rows, per horizon").is_visible()
    screenshot(page, "survival-submissions-closed-open")
    assert page.evaluate(WIDTH) <= 1280
    assert page.locator("#submissions").locator("xpath=..").evaluate(OVERFLOW) <= 0


def test_a_private_board_ranked_by_significance_over_three_metrics_fits(page, make_challenge, make_team, screenshot):
    from ultrathon.worker.leaderboard_jobs import update_leaderboard_stats

    challenge = make_challenge()
    challenge.spec = {**challenge.spec, "ranking": {"scheme": "significance"}}
    common = np.random.default_rng(8).normal(0, 0.02, B)
    names = ["Dave Solo", "Kaplan Kids", "Cox Crew", "Random Forest Rangers", "Gradient Descenders"]
    for i, name in enumerate(names):
        team = make_team(challenge, name=name)
        at = START + timedelta(hours=i)
        sub = Submission(challenge_id=challenge.id, team_id=team.id, status="scored", size=1, sha256="0" * 64,
                         content=b"x", created_at=at, scored_at=at)
        db.session.add(sub)
        db.session.flush()
        auc, brier, ap = 0.984 - i / 60, 0.06 + i / 100, 0.97 - i / 50
        rng = np.random.default_rng(i)
        for split in ("public", "private"):
            others = {"brier": (brier + common + rng.normal(0, 0.004, B)).tolist(),
                      "average_precision": (ap + common + rng.normal(0, 0.004, B)).tolist()}
            db.session.add(Score(submission_id=sub.id, challenge_id=challenge.id, team_id=team.id, split=split,
                                 metric="roc_auc", value=auc, ci_low=auc - 0.03, ci_high=min(auc + 0.03, 1.0),
                                 n_rows=171, metrics={"roc_auc": auc, "brier": brier, "average_precision": ap},
                                 subgroups=[], metric_replicates=others,
                                 replicates=(auc + common + rng.normal(0, 0.004, B)).astype("<f8").tobytes()))
    challenge.closes_at = challenge.phases[-1].closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    publish_results(challenge, None)  # results.publish is manual by default
    update_leaderboard_stats(challenge.id)
    clear_leaderboard(challenge.id, challenge.slug, settings_changed=True)

    page.goto(f"/challenges/{challenge.slug}/leaderboard?split=private")
    page.locator("table.lb-table[data-ranking=significance]").wait_for()
    assert page.locator("table.lb-table tbody tr").count() == 5
    screenshot(page, "significance-private-board")
    assert page.evaluate(WIDTH) <= 1280
    # Thirteen columns cannot fit: the table scrolls inside its own box, the page does not.
    wrap = page.locator("#lb-board .table-wrap").first
    assert wrap.evaluate(OVERFLOW) > 0 and wrap.evaluate("w => getComputedStyle(w).overflowX") == "auto"
