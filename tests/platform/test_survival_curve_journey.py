"""A survival-curve challenge end to end: load, upload curves, score, stored horizons, API, pages and bundle."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sksurv.metrics import brier_score, integrated_brier_score

from ultrathon.platform.challenges.publication import publish_results
from ultrathon.platform.extensions import db
from ultrathon.platform.models import Challenge, Score, utcnow
from ultrathon.scorers.curves import curves_from_dict
from ultrathon.scorers.horizon_table import horizons_from_dict

FOLDER = Path(__file__).resolve().parents[1] / "challenges" / "survival_curve"
SLUG = "survival-curve"
UPLOAD = f"/api/v1/challenges/{SLUG}/submissions"
HORIZONS = (200, 400, 600)
COLUMNS = [f"surv_{h}" for h in HORIZONS]
ORGANISER = "organiser@example.org"


@pytest.fixture
def challenge(ctx):
    from ultrathon.platform.challenges.loader import load_challenge_folder

    load_challenge_folder(FOLDER)
    return db.session.execute(db.select(Challenge).where(Challenge.slug == SLUG)).scalar_one()


@pytest.fixture
def team(challenge, make_team):
    return make_team(challenge, name="Curvers")


@pytest.fixture
def member(team, token_for):
    return token_for(team.memberships[0].user)


def good_curves() -> pd.DataFrame:
    """Return curves from the model that made the data, rounded as a team would write them."""
    test = pd.read_csv(FOLDER / "test.csv")
    rate = np.exp(0.8 * test["marker"] + 0.03 * (test["age"] - 60)) / 500
    return pd.DataFrame({"patient_id": test["patient_id"],
                         **{c: np.round(np.exp(-rate * h), 6) for c, h in zip(COLUMNS, HORIZONS)}})


def as_csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def upload(client, headers, data: bytes):
    return client.post(UPLOAD, data={"file": (io.BytesIO(data), "curves.csv")}, headers=headers,
                       content_type="multipart/form-data")


def login(client, user):
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    return client


def public_truth():
    solution = pd.read_csv(FOLDER / "solution.csv")
    rows = (solution["Usage"] == "Public").to_numpy()
    y = np.zeros(rows.sum(), dtype=[("event", bool), ("time", np.float64)])
    y["event"], y["time"] = solution["death"][rows] == 1, solution["futime"][rows]
    return y, rows


def test_a_curve_submission_is_scored_stored_shown_and_exported(client, challenge, team, member, run_worker, make_user):
    curves = good_curves()
    response = upload(client, member, as_csv(curves))
    assert response.status_code == 202, response.get_json()
    url = response.get_json()["url"]
    run_worker()
    body = client.get(url, headers=member).get_json()
    assert body["status"] == "scored", body
    y, rows = public_truth()
    matrix = curves[COLUMNS].to_numpy()[rows]
    expected = integrated_brier_score(y, y, matrix, HORIZONS)
    assert body["public"]["integrated_brier"] == round(expected, 4)
    assert set(body["public"]) == {"integrated_brier", "td_auc", "harrell_c", "brier_at_horizon", "calibration_at_horizon"}

    # Stored per split, as the scorer made it.
    db.session.expire_all()
    stored = {s.split: s for s in db.session.execute(db.select(Score).where(Score.submission_id == body["id"])).scalars()}
    public = horizons_from_dict(stored["public"].horizons)
    assert [row["horizon"] for row in public["rows"]] == list(HORIZONS) and public["n_resamples"] == 200
    for row, brier in zip(public["rows"], brier_score(y, y, matrix, HORIZONS)[1]):
        assert abs(row["brier"] - brier) <= 1e-9 and row["brier_low"] <= row["brier"] <= row["brier_high"]
    assert stored["private"].horizons is not None
    # The figures are drawn at the figure horizon, the middle one by default.
    assert curves_from_dict(stored["public"].curves)["horizon"] == 400

    # The API: public horizons at once, private ones only after the close.
    assert [row["horizon"] for row in body["public_horizons"]["rows"]] == list(HORIZONS)
    assert body["public_horizons"]["rows"][0]["brier"] == round(public["rows"][0]["brier"], 4)
    assert body["private"] is None and body["private_horizons"] is None

    # The team's own row: the public table, never a private figure before the close.
    login(client, team.memberships[0].user)
    page = client.get(f"/challenges/{SLUG}/submissions").text
    assert "Public rows, per horizon" in page and "Private rows, per horizon" not in page
    assert f"{public['rows'][1]['td_auc']:.4f}" in page

    # The organiser sees both splits' tables on the submission page.
    organiser = make_user(ORGANISER, "Olga Organiser")
    login(client, organiser)
    page = client.get(f"/challenges/{SLUG}/organise/submissions/{body['id']}").text
    assert "Public rows, per horizon" in page and "Private rows, per horizon" in page
    assert "Calibration of event by time 400, private split" in page

    # After the close the team reads the private table too, and the bundle holds every figure.
    challenge.closes_at = challenge.phases[-1].closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    publish_results(challenge, None)  # results.publish is manual by default
    body = client.get(url, headers=member).get_json()
    assert [row["horizon"] for row in body["private_horizons"]["rows"]] == list(HORIZONS)
    bundle = zipfile.ZipFile(io.BytesIO(client.get(f"/challenges/{SLUG}/leaderboard/results.zip").data))
    lines = list(csv.DictReader(io.StringIO(bundle.read("horizons.csv").decode())))
    assert [(r["split"], float(r["horizon"])) for r in lines] == [(s, h) for s in ("public", "private") for h in HORIZONS]
    assert float(lines[0]["brier"]) == pytest.approx(public["rows"][0]["brier"], abs=1e-12)
    assert "horizons.csv" in bundle.read("README.txt").decode()


def test_a_risk_challenge_bundle_has_no_horizons_file(client, make_challenge, make_user):
    challenge = make_challenge("breast-cancer-diagnosis")
    login(client, make_user(ORGANISER, "Olga Organiser"))
    bundle = zipfile.ZipFile(io.BytesIO(client.get(f"/challenges/{challenge.slug}/leaderboard/results.zip").data))
    assert "horizons.csv" not in bundle.namelist()


def _problems(response) -> list[str]:
    assert response.status_code == 400, response.get_json()
    return [f"line {p['row']}, {p['column']}: {p['message']}" for p in response.get_json()["problems"]]


def test_a_rising_curve_is_refused_naming_the_line_and_both_columns(client, member):
    curves = good_curves()
    curves.loc[4, "surv_600"] = curves.loc[4, "surv_400"] + 0.01
    assert _problems(upload(client, member, as_csv(curves))) == [
        f"line 6, surv_600: survival rises from {curves.loc[4, 'surv_400']:.6g} in 'surv_400' to "
        f"{curves.loc[4, 'surv_600']:.6g} in 'surv_600'; a survival curve cannot rise with time"]


def test_a_rise_within_rounding_is_accepted(client, member):
    curves = good_curves()
    curves.loc[4, "surv_600"] = curves.loc[4, "surv_400"] + 1e-10
    assert upload(client, member, as_csv(curves)).status_code == 202


def test_a_probability_above_one_is_refused(client, member):
    curves = good_curves()
    curves.loc[0, COLUMNS] = [1.2, 1.2, 0.5]
    assert _problems(upload(client, member, as_csv(curves))) == [
        "line 2, surv_200: probability 1.2 is outside [0, 1]", "line 2, surv_400: probability 1.2 is outside [0, 1]"]


def test_a_risk_column_is_refused_for_the_curve_columns(client, member):
    risk = pd.DataFrame({"patient_id": good_curves()["patient_id"], "risk": 0.5})
    response = upload(client, member, as_csv(risk))
    assert response.status_code == 400
    assert "surv_200" in response.get_json()["detail"]
