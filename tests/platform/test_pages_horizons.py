"""The per-horizon tables and private intervals of a survival-curve submission on the team's and organiser's pages."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from ultrathon.platform.challenges.publication import publish_results
from ultrathon.metric_catalogue import CATALOGUE
from ultrathon.platform.extensions import db
from ultrathon.platform.models import Challenge, Score, Submission, utcnow

FOLDER = Path(__file__).resolve().parents[1] / "challenges" / "survival_curve"
START = datetime(2026, 11, 3, 9, 0, tzinfo=timezone.utc)
ORGANISER = "organiser@example.org"


def table(shift: float) -> dict:
    rows = [{"horizon": h, "td_auc": 0.7 + shift, "td_auc_low": 0.6, "td_auc_high": 0.8,
             "brier": 0.2 + shift, "brier_low": 0.15, "brier_high": 0.25} for h in (200.0, 400.0, 600.0)]
    return {"ci_level": 0.95, "n_resamples": 200, "rows": rows}


@pytest.fixture
def scored(ctx, make_team):
    """A survival-curve submission scored on both splits, with intervals and per-horizon tables."""
    from ultrathon.platform.challenges.loader import load_challenge_folder

    load_challenge_folder(FOLDER)
    challenge = db.session.execute(db.select(Challenge).where(Challenge.slug == "survival-curve")).scalar_one()
    team = make_team(challenge, name="Cox Crew")
    sub = Submission(challenge_id=challenge.id, team_id=team.id, status="scored", size=1, sha256="0" * 64,
                     content=b"x", created_at=START, scored_at=START)
    db.session.add(sub)
    db.session.flush()
    for split, value, low, high, shift in (("public", 0.2018, 0.1611, 0.2544, 0.0), ("private", 0.1876, 0.1432, 0.2311, 0.01)):
        db.session.add(Score(submission_id=sub.id, challenge_id=challenge.id, team_id=team.id, split=split,
                             metric="integrated_brier", value=value, ci_low=low, ci_high=high, n_rows=100,
                             metrics={"integrated_brier": value}, subgroups=[], horizons=table(shift)))
    db.session.commit()
    return challenge, team, sub


def login(client, user):
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    return client


def close(challenge):
    challenge.closes_at = challenge.phases[-1].closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    publish_results(challenge, None)  # results.publish is manual by default


def test_after_the_close_the_private_score_shows_its_interval_as_the_public_one_does(client, scored):
    challenge, team, _ = scored
    login(client, team.memberships[0].user)
    before = client.get(f"/challenges/{challenge.slug}/submissions").text
    assert "0.1611 – 0.2544" in before and "0.1432" not in before
    close(challenge)
    after = client.get(f"/challenges/{challenge.slug}/submissions").text
    assert "0.1611 – 0.2544" in after and "0.1432 – 0.2311" in after


def test_the_horizon_tables_sit_in_a_row_of_their_own_across_the_table(client, scored):
    challenge, team, sub = scored
    close(challenge)
    login(client, team.memberships[0].user)
    page = client.get(f"/challenges/{challenge.slug}/submissions").text
    (main,) = re.findall(rf'<tr id="sub-{sub.id}".*?</tr>', page, re.S)
    assert "<table" not in main and "Per horizon" not in main  # the score cells stay narrow
    (extra,) = re.findall(rf'<tr id="sub-{sub.id}-horizons".*?</details></td>\s*</tr>', page, re.S)
    assert '<td colspan="7">' in extra  # public and private columns both shown after the close
    assert "Public rows, per horizon" in extra and "Private rows, per horizon" in extra


def test_before_the_close_the_horizon_row_holds_only_the_public_table(client, scored):
    challenge, team, sub = scored
    login(client, team.memberships[0].user)
    page = client.get(f"/challenges/{challenge.slug}/submissions").text
    (extra,) = re.findall(rf'<tr id="sub-{sub.id}-horizons".*?</tr>', page, re.S)
    assert '<td colspan="6">' in extra and "Public rows" in extra and "Private rows" not in extra


def test_horizon_columns_are_named_short_with_the_catalogue_label_to_hover(client, scored, make_user):
    challenge, _, sub = scored
    login(client, make_user(ORGANISER, "Olga Organiser"))
    page = client.get(f"/challenges/{challenge.slug}/organise/submissions/{sub.id}").text
    assert page.count('<abbr title="Time-dependent AUC">AUC(t)</abbr>') == 2
    assert page.count('<abbr title="Brier score at a horizon">Brier(t)</abbr>') == 2
    assert ">td_auc<" not in page and ">Brier<" not in page


def test_the_horizon_caption_is_left_aligned_and_spaced_from_the_table_above(client):
    css = client.get("/static/ultrathon.css").text
    rules = dict(re.findall(r"^(\.table-wrap\.horizons[^{]*)\{([^}]*)\}", css, re.M))
    assert "text-align:left" in rules[".table-wrap.horizons caption "]
    assert "margin-top:1rem" in rules[".table-wrap.horizons "]


def test_every_target_metric_names_its_ideal_and_no_other_does():
    assert {name: facts.ideal for name, facts in CATALOGUE.items() if not facts.ranks} == {
        "calibration_slope": 1.0, "calibration_intercept": 0.0, "calibration_at_horizon": 0.0}
    assert all(facts.ideal is None for facts in CATALOGUE.values() if facts.ranks)
