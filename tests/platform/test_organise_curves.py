"""The organiser's submission page draws each split's reliability diagram and decision curve, with their tables."""

from __future__ import annotations

import json
import re

import pytest

ORGANISER = "organiser@example.org"  # listed in every demo challenge's YAML


@pytest.fixture
def organiser_client(client, make_user):
    user = make_user(ORGANISER, "Olga Organiser")
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    return client


def chart_data(html: str) -> list[dict]:
    block = re.search(r'<script type="application/json" id="curve-charts-data">(.*?)</script>', html, re.S)
    assert block, "no curve data block on the page"
    return json.loads(block.group(1))


def test_a_scored_binary_submission_shows_both_charts_per_split_with_data_and_tables(
        organiser_client, make_challenge, make_submission, run_worker):
    from ultrathon.platform.extensions import db

    challenge = make_challenge("breast-cancer-diagnosis")
    sub = make_submission(challenge)
    run_worker()
    db.session.expire_all()
    html = organiser_client.get(f"/challenges/{challenge.slug}/organise/submissions/{sub.id}").text
    charts = {c["key"]: c for c in chart_data(html)}
    assert set(charts) == {f"curves-{s}-{k}" for s in ("public", "private") for k in ("reliability", "decision")}
    for key, chart in charts.items():
        assert f'<canvas data-curve="{key}"' in html
        assert f'id="{key}-caption"' in html
    decision = charts["curves-public-decision"]
    assert [s["label"] for s in decision["series"]] == [f"Submission {sub.id}", "Treat all", "Treat none"]
    assert len(decision["thresholds"]) == 99 and set(decision["series"][2]["values"]) == {0.0}
    reliability = charts["curves-private-reliability"]
    assert 1 <= len(reliability["series"][0]["points"]) <= 10
    assert "Calibration, public split as a table" in html and "Decision curve, private split as a table" in html
    assert "<th scope=\"col\" class=\"num\">Observed rate</th>" in html and "<td class=\"num\">0.50</td>" in html
    assert "js/curves.js" in html and "vendor/chart.umd.min.js" in html


def test_a_submission_without_stored_curves_draws_no_chart(organiser_client, make_challenge, make_submission):
    challenge = make_challenge("breast-cancer-diagnosis")
    sub = make_submission(challenge)  # queued: no score yet
    html = organiser_client.get(f"/challenges/{challenge.slug}/organise/submissions/{sub.id}").text
    assert "curve-charts-data" not in html and "data-curve=" not in html
