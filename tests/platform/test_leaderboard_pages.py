"""The leaderboard page, its JSON and CSV, who sees the private split, and the results bundle."""

from __future__ import annotations

import csv
import io
import itertools
import json
import zipfile
from datetime import datetime, timedelta, timezone

import shutil
from pathlib import Path

import pytest

from ultrathon.platform.challenges.publication import publish_results
from ultrathon.platform.extensions import db
from ultrathon.platform.leaderboard.cache import clear_leaderboard
from ultrathon.platform.models import Score, Submission, utcnow

START = datetime(2026, 11, 10, 9, 0, tzinfo=timezone.utc)
PASSWORD = "correct horse battery staple"
DEMO = Path(__file__).resolve().parents[2] / "challenges" / "breast-cancer-diagnosis"


@pytest.fixture
def scored(ctx):
    """Add a scored submission with its scores straight into the database."""
    clock = itertools.count()

    def make(team, public, private=None, subgroups=()):
        at = START + timedelta(minutes=next(clock))
        submission = Submission(challenge_id=team.challenge_id, team_id=team.id, status="scored", size=1,
                                sha256="0" * 64, content=b"x", created_at=at, scored_at=at)
        db.session.add(submission)
        db.session.flush()
        for split, value in (("public", public), ("private", private)):
            if value is not None:
                db.session.add(Score(submission_id=submission.id, challenge_id=team.challenge_id, team_id=team.id,
                                     split=split, metric="roc_auc", value=value, ci_low=value - 0.03,
                                     ci_high=value + 0.03, n_rows=100, metrics={}, subgroups=list(subgroups)))
        db.session.commit()
        return submission

    return make


@pytest.fixture
def board(make_challenge, make_team, scored):
    """A challenge with two teams and an organisers' baseline on it."""
    challenge = make_challenge()
    scored(make_team(challenge, name="Alpha"), 0.91, 0.88)
    scored(make_team(challenge, name="=HYPERLINK(\"x\")"), 0.85, 0.89)
    baseline = make_team(challenge, name="Logistic baseline")
    baseline.is_baseline = True
    db.session.commit()
    scored(baseline, 0.80, 0.80)
    return challenge


def close(challenge) -> None:
    challenge.closes_at = challenge.phases[-1].closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    publish_results(challenge, None)  # results.publish is manual by default
    clear_leaderboard(challenge.id, challenge.slug, settings_changed=True)


def login(client, email: str) -> None:
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]


def test_anonymous_readers_get_the_page_json_and_csv_without_a_cookie(client, board):
    for url in (f"/challenges/{board.slug}/leaderboard", f"/challenges/{board.slug}/leaderboard.json",
                f"/challenges/{board.slug}/leaderboard.csv", f"/challenges/{board.slug}/leaderboard/charts.json"):
        for _ in range(2):  # a cache miss, then a hit
            response = client.get(url)
            assert response.status_code == 200, url
            assert "Set-Cookie" not in response.headers, url
        client._cookies.clear()


def test_the_page_shows_ranks_badges_and_what_they_mean(client, board):
    page = client.get(f"/challenges/{board.slug}/leaderboard").get_data(as_text=True)

    assert "Public leaderboard" in page and board.title in page
    assert page.index("Alpha") < page.index("HYPERLINK") < page.index("Logistic baseline")
    assert "0.9100" in page and "0.8800 – 0.9400" in page
    assert 'class="badge lb-base">baseline' in page
    assert "the earlier submission ranks higher" in page
    assert "means the 95% paired-bootstrap interval of the team's score minus the leader's includes zero" in page
    assert "Standings as of <time" in page and "Rank statistics are being computed" in page
    assert "/api/v1/challenges/breast-cancer-diagnosis/events" in page
    assert "vendor/chart.umd.min.js" in page and "https://" not in page.split("<footer")[0].split("<main")[1]


def test_the_json_has_the_documented_shape(client, board):
    data = client.get(f"/challenges/{board.slug}/leaderboard.json").get_json()

    assert {"challenge", "split", "metric", "higher_is_better", "as_of", "entries"} <= set(data)
    assert [(e["rank"], e["team"], e["baseline"]) for e in data["entries"]] == [
        (1, "Alpha", False), (2, '=HYPERLINK("x")', False), (None, "Logistic baseline", True)]


def test_the_csv_export_has_cis_and_disarms_spreadsheet_formulas(client, board):
    response = client.get(f"/challenges/{board.slug}/leaderboard.csv")

    assert response.headers["Content-Disposition"] == f'attachment; filename="{board.slug}-public-leaderboard.csv"'
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["team"] for r in rows] == ["Alpha", "'=HYPERLINK(\"x\")", "Logistic baseline"]
    assert (rows[0]["rank"], rows[0]["score"], rows[0]["ci_low"], rows[0]["ci_high"]) == ("1", "0.91", "0.88", "0.94")
    assert (rows[2]["rank"], rows[2]["baseline"]) == ("", "1")


def test_an_unknown_split_is_a_clear_400_and_an_unknown_challenge_404(client, board):
    response = client.get(f"/challenges/{board.slug}/leaderboard.json?split=final")
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert response.get_json()["detail"] == "Query parameter split: split must be public or private, got 'final'."
    page = client.get(f"/challenges/{board.slug}/leaderboard?split=final")
    assert page.status_code == 400 and "got &#39;final&#39;" in page.get_data(as_text=True)
    assert client.get("/challenges/no-such-thing/leaderboard").status_code == 404
    assert client.get("/challenges/no-such-thing/leaderboard.json").get_json()["status"] == 404


def test_the_private_leaderboard_waits_for_the_close_except_for_organisers(client, board, make_user):
    for url in (f"/challenges/{board.slug}/leaderboard?split=private",
                f"/challenges/{board.slug}/leaderboard.json?split=private",
                f"/challenges/{board.slug}/leaderboard.csv?split=private"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "shown to its organisers only until the challenge closes" in response.get_data(as_text=True)
    assert "Private: shown after the close" in client.get(f"/challenges/{board.slug}/leaderboard").get_data(as_text=True)

    organiser = make_user("organiser@example.org")
    assert organiser.email in board.organisers
    login(client, organiser.email)
    data = client.get(f"/challenges/{board.slug}/leaderboard.json?split=private").get_json()
    assert [e["team"] for e in data["entries"]] == ['=HYPERLINK("x")', "Alpha", "Logistic baseline"]
    client.post("/logout")
    client._cookies.clear()

    close(board)
    response = client.get(f"/challenges/{board.slug}/leaderboard?split=private")
    assert response.status_code == 200 and "Private leaderboard" in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers


def test_the_results_bundle_is_for_organisers_only(client, board, make_user):
    url = f"/challenges/{board.slug}/leaderboard/results.zip"
    assert client.get(url).status_code == 401
    make_user("someone@example.org")
    login(client, "someone@example.org")
    assert client.get(url).status_code == 403
    client.post("/logout")
    client._cookies.clear()

    make_user("organiser@example.org")
    login(client, "organiser@example.org")
    response = client.get(url)

    assert response.status_code == 200 and response.mimetype == "application/zip"
    bundle = zipfile.ZipFile(io.BytesIO(response.data))
    assert set(bundle.namelist()) == {
        "README.txt", "summary.json", "all-scores.csv", "shake-up.csv", "subgroups.csv",
        "leaderboard-public.csv", "leaderboard-public.json", "leaderboard-private.csv", "leaderboard-private.json",
        "rank-stability-public.csv", "rank-stability-private.csv", "pairwise-private.csv",
        "method-cards.json", "method-cards.csv", "commitments.json", "commitments.csv",
    }
    private = json.loads(bundle.read("leaderboard-private.json"))
    assert [e["team"] for e in private["entries"]][:2] == ['=HYPERLINK("x")', "Alpha"]
    summary = json.loads(bundle.read("summary.json"))
    assert summary["challenge"] == board.slug and summary["closed"] is False
    assert len(bundle.read("all-scores.csv").decode().splitlines()) == 1 + 3


def test_after_the_close_the_private_page_shows_the_shake_up_and_subgroups(client, make_challenge, make_team, scored):
    from ultrathon.worker.leaderboard_jobs import update_leaderboard_stats

    challenge = make_challenge()
    cells = [
        {"split": "private", "column": "sex", "group": "F", "n": 80, "value": 0.9312, "ci_low": 0.9, "ci_high": 0.96,
         "suppressed": False},
        {"split": "private", "column": "sex", "group": "M", "n": 7, "value": None, "ci_low": None, "ci_high": None,
         "suppressed": True},
    ]
    scored(make_team(challenge, name="Steady"), 0.9, 0.8, subgroups=cells)
    scored(make_team(challenge, name="Climber"), 0.8, 0.9, subgroups=cells)
    close(challenge)
    update_leaderboard_stats(challenge.id)

    page = client.get(f"/challenges/{challenge.slug}/leaderboard?split=private").get_data(as_text=True)

    assert "Kendall's τ between the public and private ranks of 2 teams" in page and "-1.000" in page
    assert '<span class="lb-up">▲ 1</span>' in page and '<span class="lb-down">▼ 1</span>' in page
    assert "sex = F" in page and "sex = M" in page and "0.9312" in page
    assert 'title="Suppressed: fewer than 20 rows, events or positives, or would give such a group away">–</td>' in page
    assert "n = 7" not in page  # a count stored before suppressed groups lost theirs is not shown


def test_the_page_every_visitor_shares_changes_with_the_standings(client, board, make_team, scored):
    url = f"/challenges/{board.slug}/leaderboard"
    assert "Newcomer" not in client.get(url).get_data(as_text=True)

    scored(make_team(board, name="Newcomer"), 0.99)
    assert "Newcomer" not in client.get(url).get_data(as_text=True)  # no write told the cache yet
    clear_leaderboard(board.id, board.slug)

    page = client.get(url).get_data(as_text=True)
    assert page.index("Newcomer") < page.index("Alpha")


@pytest.fixture
def small_groups_challenge(make_challenge, tmp_path):
    """The regression demo scored by MAE, with a site column whose private split has groups of 1 and 5 patients."""
    import shutil

    import numpy as np
    import pandas as pd

    from tests.conftest import ROOT

    folder = tmp_path / "diabetes-progression"
    shutil.copytree(ROOT / "challenges" / "diabetes-progression", folder)
    solution = pd.read_csv(folder / "solution.csv", dtype=str, keep_default_na=False)
    private = np.flatnonzero(solution["Usage"] == "Private")
    site = np.full(len(solution), "A", dtype=object)
    site[private] = ["B", "C", "A"] * (len(private) // 3) + ["A"] * (len(private) % 3)
    site[private[0]], site[private[1:6]] = "one", ""  # one patient at a site; five with no site recorded
    solution["site"] = site
    solution.to_csv(folder / "solution.csv", index=False)
    text = (folder / "challenge.yaml").read_text()
    text = text.replace("  primary: rmse\n  secondary: [mae]", "  primary: mae\n  secondary: [rmse]")
    (folder / "challenge.yaml").write_text(text.replace("subgroups: [sex]", "subgroups: [sex, site]"))
    return make_challenge(folder=folder), solution


def test_no_page_or_stored_score_lets_a_small_group_be_worked_out(client, small_groups_challenge, make_submission, make_user,
                                                                 run_worker, differencing_attack):
    """The differencing attack on the stored rows, the organisers' page, the private leaderboard and the bundle."""
    from ultrathon.worker.leaderboard_jobs import update_leaderboard_stats

    challenge, solution = small_groups_challenge
    submission = make_submission(challenge)
    run_worker()
    db.session.expire_all()
    score = db.session.execute(db.select(Score).where(Score.submission_id == submission.id, Score.split == "private")).scalar_one()

    cells = score.subgroups
    private = (solution["Usage"] == "Private").to_numpy()
    groups_of = {"sex": solution["sex"][private].to_numpy(), "site": solution["site"][private].replace("", "(missing)").to_numpy()}
    assert differencing_attack(cells, "regression", score.value, score.n_rows, None, groups_of) == []
    suppressed = [(c["column"], c["group"]) for c in cells if c["suppressed"]]
    assert {("site", "one"), ("site", "(missing)")} < set(suppressed)
    assert sum(c["column"] == "site" and not c["suppressed"] for c in cells) == 2
    for cell in cells:
        if cell["suppressed"]:
            assert cell["n"] is None and cell["n_positive"] is None and cell["value"] is None and cell["ci_low"] is None

    make_user("organiser@example.org")
    login(client, "organiser@example.org")
    page = client.get(f"/challenges/{challenge.slug}/organise/submissions/{submission.id}").get_data(as_text=True)
    page = page.split("<h3>Private</h3>", 1)[1]
    for column, group in suppressed:
        row = page.split(f"<td>{column}</td><td>{group}</td>", 1)[1].split("</tr>", 1)[0]
        assert "suppressed" in row and not any(ch.isdigit() for ch in row), row
    assert "Suppressed: fewer than 20 rows, events or positives" in page

    close(challenge)
    update_leaderboard_stats(challenge.id)
    page = client.get(f"/challenges/{challenge.slug}/leaderboard?split=private").get_data(as_text=True)
    assert "site = one" in page and "site = (missing)" in page
    assert page.count('class="num lb-suppressed" title="Suppressed: fewer than 20 rows, events or positives, or would give such a group away">–</td>') == len(suppressed)
    assert "n = " not in page

    bundle = zipfile.ZipFile(io.BytesIO(client.get(f"/challenges/{challenge.slug}/leaderboard/results.zip").data))
    rows = {(r["column"], r["group"]): r for r in csv.DictReader(io.StringIO(bundle.read("subgroups.csv").decode()))}
    for key in suppressed:
        assert (rows[key]["n"], rows[key]["value"], rows[key]["suppressed"]) == ("", "", "1")
    assert all(rows[key]["n"] for key in rows if key not in suppressed)



def test_a_90_percent_level_labels_every_interval_90_percent(client, make_challenge, make_team, scored, tmp_path):
    """leaderboard.ci_level reaches every label: the page's columns and explanation, and the JSON."""
    folder = tmp_path / "breast-cancer-diagnosis"
    shutil.copytree(DEMO, folder)
    text = (folder / "challenge.yaml").read_text()
    (folder / "challenge.yaml").write_text(text.replace("leaderboard: {decimals: 4, bootstrap: 1000}",
                                                        "leaderboard: {decimals: 4, bootstrap: 1000, ci_level: 0.9}"))
    challenge = make_challenge(folder=folder)
    scored(make_team(challenge, name="Alpha"), 0.91, 0.88)

    page = client.get(f"/challenges/{challenge.slug}/leaderboard").get_data(as_text=True)
    document = client.get(f"/challenges/{challenge.slug}/leaderboard.json").get_json()

    assert "95%" not in page
    assert '<th scope="col" class="num">90% CI</th>' in page and "the 90% CI comes from percentile" in page
    assert "means the 90% paired-bootstrap interval" in page and "90% interval</span>" in page
    assert (document["ci_level"], document["ci_method"]) == (0.9, "percentile")
