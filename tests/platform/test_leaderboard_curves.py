"""The leaderboard's calibration and decision curves: the top teams' private curves, and only when private scores show."""

from __future__ import annotations

import itertools
import json
import re
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from ultrathon.platform.challenges.publication import publish_results
from ultrathon.platform.extensions import db
from ultrathon.platform.leaderboard.cache import clear_leaderboard
from ultrathon.platform.models import Score, Submission, Team, utcnow
from ultrathon.scorers.curves import binary_curves

START = datetime(2026, 11, 10, 9, 0, tzinfo=timezone.utc)
PASSWORD = "correct horse battery staple"


def curves_of(seed: int) -> dict:
    rng = np.random.default_rng(seed)
    p = rng.uniform(size=200)
    return binary_curves((rng.uniform(size=200) < p).astype(int), p)


@pytest.fixture
def board(make_challenge, make_team):
    """An open challenge with six teams and a baseline, each with curves on both splits."""
    challenge = make_challenge()
    clock = itertools.count()
    teams = [make_team(challenge, name=f"Team {i}") for i in range(6)]
    baseline = make_team(challenge, name="Baseline")
    baseline.is_baseline = True
    for i, team in enumerate([*teams, baseline]):
        at = START + timedelta(minutes=next(clock))
        sub = Submission(challenge_id=challenge.id, team_id=team.id, status="scored", size=1, sha256="0" * 64,
                         content=b"x", created_at=at, scored_at=at)
        db.session.add(sub)
        db.session.flush()
        for split in ("public", "private"):
            value = 0.9 - i / 100
            db.session.add(Score(submission_id=sub.id, challenge_id=challenge.id, team_id=team.id, split=split,
                                 metric="roc_auc", value=value, n_rows=200, metrics={}, subgroups=[],
                                 curves=curves_of(i if split == "private" else 100 + i)))
    db.session.commit()
    return challenge


def close(challenge) -> None:
    challenge.closes_at = challenge.phases[-1].closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    publish_results(challenge, None)  # results.publish is manual by default
    clear_leaderboard(challenge.id, challenge.slug, settings_changed=True)


def login(client, email: str) -> None:
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code in (302, 303)


def curve_blocks(html: str) -> list[dict]:
    return [json.loads(b) for b in re.findall(r'<script type="application/json" id="curve-charts-data">(.*?)</script>', html, re.S)]


def shows_no_private_curves(client, slug: str) -> None:
    """No page or JSON a viewer can read holds curve data, and the private page itself is refused."""
    assert client.get(f"/challenges/{slug}/leaderboard?split=private").status_code == 403
    for url in (f"/challenges/{slug}/leaderboard", f"/challenges/{slug}/leaderboard/charts.json",
                f"/challenges/{slug}/leaderboard.json"):
        text = client.get(url).get_data(as_text=True)
        assert "curve-charts-data" not in text and "net_benefit" not in text and "treat_all" not in text.lower(), url


def test_before_the_close_neither_a_visitor_nor_a_team_member_sees_private_curves(client, board, make_user, make_team):
    shows_no_private_curves(client, board.slug)
    member = make_user("member@example.org")
    make_team(board, members=[member], name="Late team")
    login(client, member.email)
    shows_no_private_curves(client, board.slug)


def test_organisers_see_the_private_curves_before_the_close(client, board, make_user):
    login(client, make_user("organiser@example.org").email)
    (charts,) = curve_blocks(client.get(f"/challenges/{board.slug}/leaderboard?split=private").text)
    assert [c["kind"] for c in charts] == ["reliability", "decision"]


def test_after_the_close_everyone_sees_the_top_five_teams_private_curves(client, board):
    close(board)
    html = client.get(f"/challenges/{board.slug}/leaderboard?split=private").text
    (charts,) = curve_blocks(html)
    reliability, decision = charts
    assert [s["label"] for s in reliability["series"]] == [f"{r}. Team {r - 1}" for r in range(1, 6)]
    assert [s["label"] for s in decision["series"]][-2:] == ["Treat all", "Treat none"]
    # Each line is the team's private curve, as stored.
    expected = curves_of(0)
    assert decision["series"][0]["values"] == expected["net_benefit"]
    first = expected["bins"][0]
    assert reliability["series"][0]["points"][0] == {"x": first["mean_predicted"], "y": first["observed"],
                                                     "low": first["low"], "high": first["high"]}
    assert '<canvas data-curve="lb-curves-private-reliability"' in html and "Decision curve, private split as a table" in html
    assert "curve-charts-data" not in client.get(f"/challenges/{board.slug}/leaderboard").text  # public page: none


def test_withheld_thresholds_are_counted_in_the_caption_and_explained_under_the_table(client, board):
    last = db.session.execute(db.select(Score).join(Team).where(Score.split == "private", Team.name == "Team 4")).scalar_one()
    last.curves = {**last.curves, "net_benefit": [None] * len(last.curves["net_benefit"])}
    db.session.commit()
    close(board)
    html = client.get(f"/challenges/{board.slug}/leaderboard?split=private").text
    (charts,) = curve_blocks(html)
    assert charts[1]["series"][4]["label"] == "5. Team 4 (all thresholds withheld)"
    withheld = sum(v is None for v in curves_of(0)["net_benefit"])
    assert 0 < withheld < 99
    assert "fewer than 20 rows lie between them and the next shown cut (the disclosure rule)" in html
    assert f"1. Team 0 {withheld} of 99" in html and "5. Team 4 all" in html
    assert "— a threshold withheld by the disclosure rule" in html
    assert "Wilson 95% interval, drawn as bars" in html
