"""Reliability diagrams and decision curves draw in a real browser: organiser's submission page, closed leaderboards."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from ultrathon.platform.challenges.publication import publish_results
from ultrathon.platform.extensions import db
from ultrathon.platform.leaderboard.cache import clear_leaderboard
from ultrathon.platform.models import Score, Submission, utcnow
from ultrathon.scorers.curves import binary_curves
from ultrathon.scorers.survival_curves import survival_curves

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ORGANISER = "organiser@example.org"
PASSWORD = "correct horse battery staple"
DRAWN = "canvas => Boolean(window.Chart && Chart.getChart(canvas))"


def drawn_curves(page) -> int:
    """Return how many curve canvases Chart.js drew, asserting every one on the page was."""
    canvases = page.locator("canvas[data-curve]")
    assert all(c.evaluate(DRAWN) for c in canvases.all())
    return canvases.count()


def test_the_organisers_submission_page_draws_both_curves_of_both_splits(
        page, live_worker, make_challenge, make_user, make_submission, screenshot):
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    challenge = make_challenge("breast-cancer-diagnosis")
    make_user(ORGANISER, "Olga Organiser", password=PASSWORD)
    submission = make_submission(challenge)
    url = f"/challenges/{challenge.slug}/organise/submissions/{submission.id}"
    page.goto(url)
    page.get_by_label("E-mail address").fill(ORGANISER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(rf"{url}$"))
    for _ in range(60):
        if page.locator("canvas[data-curve]").count():
            break
        page.wait_for_timeout(500)
        page.reload()
    assert drawn_curves(page) == 4
    assert page.get_by_role("img", name=re.compile("Decision curve, public split")).is_visible()
    assert errors == []
    screenshot(page, "organise-submission-curves")


def test_the_closed_private_leaderboard_draws_the_top_teams_curves(page, make_challenge, make_team, screenshot):
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    challenge = make_challenge()
    start = datetime(2026, 11, 3, 9, 0, tzinfo=timezone.utc)
    for i, name in enumerate(["Oncology ML Lab", "Kernel Trick", "Gradient Descenders", "Random Foresters",
                              "Bayes Watch", "The Overfitters"]):
        team = make_team(challenge, name=name)
        at = start + timedelta(hours=i)
        sub = Submission(challenge_id=challenge.id, team_id=team.id, status="scored", size=1, sha256="0" * 64,
                         content=b"x", created_at=at, scored_at=at)
        db.session.add(sub)
        db.session.flush()
        rng = np.random.default_rng(i)
        truth = rng.uniform(0.02, 0.9, size=300)
        y = (rng.uniform(size=300) < truth).astype(int)
        predicted = np.clip(truth + rng.normal(0, 0.05 + 0.05 * i, 300), 0.001, 0.999) ** (1 + i / 5)
        for split in ("public", "private"):
            db.session.add(Score(submission_id=sub.id, challenge_id=challenge.id, team_id=team.id, split=split,
                                 metric="roc_auc", value=0.95 - i / 50, n_rows=300, metrics={}, subgroups=[],
                                 curves=binary_curves(y, predicted)))
    challenge.closes_at = challenge.phases[-1].closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    publish_results(challenge, None)  # results.publish is manual by default
    clear_leaderboard(challenge.id, challenge.slug, settings_changed=True)
    page.goto(f"/challenges/{challenge.slug}/leaderboard?split=private")
    assert drawn_curves(page) == 2
    legend = page.evaluate("() => Chart.getChart(document.querySelector('canvas[data-curve$=decision]')).data.datasets.map(d => d.label)")
    assert legend == ["1. Oncology ML Lab", "2. Kernel Trick", "3. Gradient Descenders", "4. Random Foresters",
                      "5. Bayes Watch", "Treat all", "Treat none"]
    assert errors == []
    page.locator("#lb-curves-title").scroll_into_view_if_needed()
    screenshot(page, "leaderboard-curves")


def test_the_closed_survival_leaderboard_draws_figures_at_the_horizon(page, make_challenge, make_team, screenshot):
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    challenge = make_challenge("flchain-survival")
    start = datetime(2026, 11, 3, 9, 0, tzinfo=timezone.utc)
    for i, (name, horizon) in enumerate([("Cox Crew", 365.0), ("Hazard Ratios", 365.0), ("Late Horizon", 730.0)]):
        team = make_team(challenge, name=name)
        at = start + timedelta(hours=i)
        sub = Submission(challenge_id=challenge.id, team_id=team.id, status="scored", size=1, sha256="0" * 64,
                         content=b"x", created_at=at, scored_at=at)
        db.session.add(sub)
        db.session.flush()
        rng = np.random.default_rng(i)
        hazard = rng.uniform(0.0001, 0.002, size=400)
        true_time, censor = rng.exponential(1 / hazard), rng.uniform(100, 1500, size=400)
        predicted = np.clip(1 - np.exp(-hazard * horizon) + rng.normal(0, 0.03 * (i + 1), 400), 0.001, 0.999)
        curves = survival_curves(np.minimum(true_time, censor), true_time <= censor, predicted, horizon)
        for split in ("public", "private"):
            db.session.add(Score(submission_id=sub.id, challenge_id=challenge.id, team_id=team.id, split=split,
                                 metric="harrell_c", value=0.8 - i / 50, n_rows=400, metrics={}, subgroups=[],
                                 curves=curves))
    challenge.closes_at = challenge.phases[-1].closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    publish_results(challenge, None)  # results.publish is manual by default
    clear_leaderboard(challenge.id, challenge.slug, settings_changed=True)
    page.goto(f"/challenges/{challenge.slug}/leaderboard?split=private")
    assert drawn_curves(page) == 2
    chart = "Chart.getChart(document.querySelector('canvas[data-curve$=%s]'))"
    legend = page.evaluate(f"() => {chart % 'decision'}.data.datasets.map(d => d.label)")
    assert legend == ["1. Cox Crew", "2. Hazard Ratios", "Treat all", "Treat none"]  # 3. is at another horizon
    axes = page.evaluate(f"() => [{chart % 'reliability'}.options.scales.x.title.text, {chart % 'decision'}.options.scales.x.title.text]")
    assert axes == ["Mean predicted probability of event by time 365", "Threshold probability of event by time 365"]
    assert page.get_by_role("img", name=re.compile("Decision curve of event by time 365, private split")).is_visible()
    assert errors == []
    page.locator("#lb-curves-title").scroll_into_view_if_needed()
    screenshot(page, "leaderboard-survival-curves")


def test_withheld_thresholds_are_gaps_and_calibration_draws_its_intervals(page, make_challenge, make_team, screenshot):
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    challenge = make_challenge()
    start = datetime(2026, 11, 3, 9, 0, tzinfo=timezone.utc)
    for i, name in enumerate(["Oncology ML Lab", "Quiet Team"]):
        team = make_team(challenge, name=name)
        sub = Submission(challenge_id=challenge.id, team_id=team.id, status="scored", size=1, sha256="0" * 64,
                         content=b"x", created_at=start + timedelta(hours=i), scored_at=start + timedelta(hours=i))
        db.session.add(sub)
        db.session.flush()
        rng = np.random.default_rng(i)
        truth = rng.uniform(0.02, 0.98, size=300)
        curves = binary_curves((rng.uniform(size=300) < truth).astype(int), truth)
        if i:  # the second team's every threshold withheld, as the disclosure rule does on a small split
            curves["net_benefit"] = [None] * len(curves["net_benefit"])
        for split in ("public", "private"):
            db.session.add(Score(submission_id=sub.id, challenge_id=challenge.id, team_id=team.id, split=split,
                                 metric="roc_auc", value=0.9 - i / 10, n_rows=300, metrics={}, subgroups=[],
                                 curves=curves))
    challenge.closes_at = challenge.phases[-1].closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    publish_results(challenge, None)  # results.publish is manual by default
    clear_leaderboard(challenge.id, challenge.slug, settings_changed=True)
    page.goto(f"/challenges/{challenge.slug}/leaderboard?split=private")
    assert drawn_curves(page) == 2
    chart = "Chart.getChart(document.querySelector('canvas[data-curve$=%s]'))"
    decision = page.evaluate(f"() => {chart % 'decision'}.data.datasets.map(d => [d.label, d.spanGaps])")
    assert decision[:2] == [["1. Oncology ML Lab", False], ["2. Quiet Team (all thresholds withheld)", False]]
    legend = page.evaluate(f"() => {chart % 'reliability'}.legend.legendItems.map(item => item.text)")
    assert legend == ["Perfect calibration", "1. Oncology ML Lab", "2. Quiet Team"]  # interval bars need no entry
    bars = page.evaluate(f"() => {chart % 'reliability'}.data.datasets.filter(d => d.interval).map(d => d.data.length)")
    assert len(bars) == 2 and all(n > 0 for n in bars)
    scale = page.evaluate(f"() => {{ const s = {chart % 'reliability'}.scales.y; return [s.min, s.max, s.ticks.map(t => t.value)]; }}")
    assert scale[0] < 0 and scale[1] > 1 and scale[2][0] == 0 and scale[2][-1] == 1  # points at 0 and 1 drawn whole
    assert errors == []
    page.locator("#lb-curves-title").scroll_into_view_if_needed()
    page.locator("figure.curve-chart").first.screenshot(path="screenshots/withheld-reliability.png")
    page.locator("figure.curve-chart").nth(1).screenshot(path="screenshots/withheld-decision.png")
