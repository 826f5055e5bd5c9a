"""Survival figures at a horizon on the organiser's submission page and the closed leaderboard, from stored curves."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from ultrathon.platform.challenges.publication import publish_results
from ultrathon.platform.extensions import db
from ultrathon.platform.leaderboard.cache import clear_leaderboard
from ultrathon.platform.leaderboard.curves import horizon_words, time_words
from ultrathon.platform.models import Score, Submission, utcnow
from ultrathon.scorers.survival_curves import survival_curves

ORGANISER = "organiser@example.org"  # listed in every demo challenge's YAML
START = datetime(2026, 11, 10, 9, 0, tzinfo=timezone.utc)


def curves_of(seed: int, horizon: float = 365.0, n: int = 300) -> dict:
    """Return survival figures of a made-up cohort followed for about three years, at the horizon."""
    rng = np.random.default_rng(seed)
    hazard = rng.uniform(0.0001, 0.002, size=n)
    true_time, censor = rng.exponential(1 / hazard), rng.uniform(100, 1500, size=n)
    predicted = np.clip(1 - np.exp(-hazard * horizon) + rng.normal(0, 0.05, n), 0.001, 0.999)
    return survival_curves(np.minimum(true_time, censor), true_time <= censor, predicted, horizon)


def chart_block(html: str) -> list[dict]:
    (block,) = re.findall(r'<script type="application/json" id="curve-charts-data">(.*?)</script>', html, re.S)
    return json.loads(block)


def scored(challenge, team, at: datetime, value: float, curves: dict) -> Submission:
    """Store a scored submission of the team with the same survival figures on both splits."""
    sub = Submission(challenge_id=challenge.id, team_id=team.id, status="scored", size=1, sha256="0" * 64,
                     content=b"x", created_at=at, scored_at=at)
    db.session.add(sub)
    db.session.flush()
    for split in ("public", "private"):
        db.session.add(Score(submission_id=sub.id, challenge_id=challenge.id, team_id=team.id, split=split,
                             metric="harrell_c", value=value, n_rows=curves["n"], metrics={}, subgroups=[],
                             curves=curves))
    db.session.commit()
    return sub


@pytest.fixture
def organiser_client(client, make_user):
    user = make_user(ORGANISER, "Olga Organiser")
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    return client


def test_horizons_read_as_plain_times():
    assert [time_words(h) for h in (365.0, 2.5, 3650, 1825.25)] == ["365", "2.5", "3650", "1825.25"]
    assert horizon_words(365.0) == "event by time 365"


def test_the_organiser_page_draws_survival_figures_named_by_their_horizon(organiser_client, make_challenge, make_team):
    challenge = make_challenge("flchain-survival")
    curves = curves_of(1)
    sub = scored(challenge, make_team(challenge), START, 0.7, curves)
    html = organiser_client.get(f"/challenges/{challenge.slug}/organise/submissions/{sub.id}").text
    charts = {c["key"]: c for c in chart_block(html)}
    assert set(charts) == {f"curves-{s}-{k}" for s in ("public", "private") for k in ("reliability", "decision")}
    reliability, decision = charts["curves-private-reliability"], charts["curves-private-decision"]
    assert reliability["title"] == "Calibration of event by time 365, private split"
    assert reliability["axes"] == {"x": "Mean predicted probability of event by time 365",
                                   "y": ["Observed event rate", "by time 365"]}  # two lines: fits the height
    assert decision["axes"]["x"] == "Threshold probability of event by time 365"
    assert [s["label"] for s in decision["series"]] == [f"Submission {sub.id}", "Treat all", "Treat none"]
    assert decision["series"][0]["values"] == curves["net_benefit"] and decision["series"][1]["values"] == curves["treat_all"]
    assert reliability["series"][0]["points"] == [{"x": b["mean_predicted"], "y": b["observed"], "low": b["low"], "high": b["high"]}
                                                  for b in curves["bins"]]  # the interval is drawn as a bar
    assert '<th scope="col" class="num">Kaplan-Meier event rate by time 365</th>' in html
    assert f"Kaplan-Meier event rate by time 365 {curves['prevalence']:.1%}" in html
    assert "Decision curve of event by time 365, public split as a table" in html


def test_the_closed_leaderboard_leaves_out_a_team_scored_at_another_horizon(client, make_challenge, make_team):
    challenge = make_challenge("flchain-survival")
    horizons = [365.0, 730.0, 365.0, 365.0]
    for i, horizon in enumerate(horizons):
        scored(challenge, make_team(challenge, name=f"Team {i}"), START + timedelta(minutes=i), 0.8 - i / 100,
               curves_of(i, horizon))
    challenge.closes_at = challenge.phases[-1].closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    publish_results(challenge, None)  # results.publish is manual by default
    clear_leaderboard(challenge.id, challenge.slug, settings_changed=True)
    html = client.get(f"/challenges/{challenge.slug}/leaderboard?split=private").text
    reliability, decision = chart_block(html)
    assert [s["label"] for s in reliability["series"]] == ["1. Team 0", "3. Team 2", "4. Team 3"]
    assert [s["label"] for s in decision["series"]] == ["1. Team 0", "3. Team 2", "4. Team 3", "Treat all", "Treat none"]
    assert decision["series"][1]["values"] == curves_of(2)["net_benefit"]
    assert "left out, as scored at another horizon: 2. Team 1" in html
    assert "The predicted probabilities are of an event by time 365" in html


def test_on_a_tie_of_horizons_the_best_ranked_teams_is_kept(client, make_challenge, make_team):
    challenge = make_challenge("flchain-survival")
    for i, horizon in enumerate([730.0, 365.0]):
        scored(challenge, make_team(challenge, name=f"Team {i}"), START + timedelta(minutes=i), 0.8 - i / 100,
               curves_of(i, horizon))
    challenge.closes_at = challenge.phases[-1].closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    publish_results(challenge, None)  # results.publish is manual by default
    clear_leaderboard(challenge.id, challenge.slug, settings_changed=True)
    reliability, _ = chart_block(client.get(f"/challenges/{challenge.slug}/leaderboard?split=private").text)
    assert [s["label"] for s in reliability["series"]] == ["1. Team 0"]
    assert reliability["title"] == "Calibration of event by time 730, private split"
