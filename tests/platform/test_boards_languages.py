"""The leaderboard and submissions pages in Danish and Swedish: their words, decimal commas, and data left as data."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

import pytest
from flask import g

from ultrathon.platform.extensions import db
from ultrathon.platform.models import Score, Submission, utcnow

from .terms_support import login

START = datetime(2026, 11, 10, 9, 0, tzinfo=timezone.utc)
DANISH = {"Accept-Language": "da-DK,da;q=0.9"}
SWEDISH = {"Accept-Language": "sv-SE"}


def add_scored(team, public: float, private: float, at: datetime) -> Submission:
    """Add a scored submission with its two scores straight into the database."""
    submission = Submission(challenge_id=team.challenge_id, team_id=team.id, status="scored", size=1,
                            sha256="0" * 64, content=b"x", created_at=at, scored_at=at)
    db.session.add(submission)
    db.session.flush()
    for split, value in (("public", public), ("private", private)):
        db.session.add(Score(submission_id=submission.id, challenge_id=team.challenge_id, team_id=team.id,
                             split=split, metric="roc_auc", value=value, ci_low=value - 0.03, ci_high=value + 0.03,
                             n_rows=100, metrics={}, subgroups=[]))
    db.session.commit()
    return submission


@pytest.fixture
def board(make_challenge, make_team):
    """A closed-for-nobody challenge with two scored teams."""
    challenge = make_challenge()
    add_scored(make_team(challenge, name="Alpha"), 0.9125, 0.88, START)
    add_scored(make_team(challenge, name="Beta"), 0.85, 0.89, START + timedelta(minutes=1))
    return challenge


@pytest.fixture
def member(make_open_challenge, make_team, client):
    """A logged-in member of a team with one scored submission in an open challenge."""
    challenge = make_open_challenge()
    team = make_team(challenge, name="Owls")
    add_scored(team, 0.9125, 0.88, utcnow() - timedelta(minutes=5))
    user = team.memberships[0].user
    login(client, user)
    return user


def get(client, url: str, headers: dict | None = None):
    """Request a page as a new visitor would: forget the language the last request of this app context chose."""
    # The fixtures hold one app context for the whole test, and Flask-Babel keeps the locale it picked in `g`.
    g.pop("_flask_babel", None)
    return client.get(url, headers=headers or {})


def visit(client, url: str, headers: dict | None = None):
    """Request a page as a visitor without a cookie, who is served the page built once per change (and language)."""
    client._cookies.clear()
    return get(client, url, headers)


def words(page: str, block: str) -> dict:
    """Return the JSON block of words a page hands its script."""
    return json.loads(re.search(rf'<script type="application/json" id="{block}">(.*?)</script>', page, re.S).group(1))


def test_the_leaderboard_speaks_danish_with_decimal_commas(client, board):
    page = get(client, f"/challenges/{board.slug}/leaderboard", DANISH).get_data(as_text=True)
    assert 'lang="da"' in page and "Offentlig resultattavle" in page and "Public leaderboard" not in page
    assert '<td class="num" data-col="score">0,9125</td>' in page and "0,8825 – 0,9425" in page
    assert "Lige resultater afgøres af indsendelsestidspunktet" in page and "lige med føreren" in page
    assert "Placering" in page and "højere er bedre" in page and "95\u00a0%-KI" in page
    assert words(page, "lb-words")["live"] == "Live: rækkerne opdateres, efterhånden som scorer kommer ind."
    assert words(page, "ultrathon-words")["in"] == "om {duration}"


def test_the_leaderboard_speaks_swedish_and_each_language_has_its_own_cached_copy(client, board):
    english = visit(client, f"/challenges/{board.slug}/leaderboard").get_data(as_text=True)
    swedish = visit(client, f"/challenges/{board.slug}/leaderboard", SWEDISH).get_data(as_text=True)
    again = visit(client, f"/challenges/{board.slug}/leaderboard").get_data(as_text=True)
    assert "Offentlig resultattavla" in swedish and '<td class="num" data-col="score">0,9125</td>' in swedish
    assert '"score": 0.9125' in swedish  # the charts' data: numbers, as JSON writes them
    assert "Ställningen per" in swedish and "Placeringsstatistiken beräknas." in swedish
    assert "Public leaderboard" in english and '<td class="num" data-col="score">0.9125</td>' in english
    assert again == english


def test_machine_readable_outputs_stay_as_they_are_in_every_language(client, board):
    url = f"/challenges/{board.slug}/leaderboard"
    assert get(client, f"{url}.json", DANISH).get_json() == get(client, f"{url}.json").get_json()
    assert get(client, f"{url}.csv", SWEDISH).get_data() == get(client, f"{url}.csv").get_data()
    assert "0.9125" in get(client, f"{url}.csv", SWEDISH).get_data(as_text=True)
    page = get(client, url, DANISH).get_data(as_text=True)
    assert 'data-split="public"' in page and 'data-col="score"' in page


def test_a_refusal_of_the_leaderboard_is_in_the_readers_language(client, board):
    response = get(client, f"/challenges/{board.slug}/leaderboard.json?split=final", SWEDISH)
    assert response.status_code == 400
    assert response.get_json()["detail"] == "Frågeparametern split: split måste vara public eller private, men är 'final'."


def test_the_submissions_page_speaks_danish_with_a_decimal_comma(client, member):
    page = get(client, "/challenges/breast-cancer-diagnosis/submissions", DANISH).get_data(as_text=True)
    assert "Indsendelser fra holdet" in page and "Upload forudsigelser" in page
    assert "<strong>0,9125</strong>" in page and "0,8825 – 0,9425" in page and "0.9125" not in page
    assert 'data-status="scored"' in page and ">scoret</span>" in page
    assert re.search(r'<strong class="quota-left">\d+</strong> af \d+ indsendelser tilbage i dag\.', page)
    assert "Vælg som endelig" in page and "0 af 2 valgt." in page
    assert words(page, "submission-words")["queued"] == "Indsendelse {id} står i kø til scoring."


def test_the_submissions_page_and_its_live_rows_speak_swedish(client, member):
    page = get(client, "/challenges/breast-cancer-diagnosis/submissions", SWEDISH).get_data(as_text=True)
    assert "Inlämningar från laget" in page and "Ladda upp förutsägelser" in page and "<strong>0,9125</strong>" in page
    live = get(client, "/challenges/breast-cancer-diagnosis/submissions.json",
              {**SWEDISH, "Accept": "application/json"}).get_json()
    [row] = live["submissions"]
    assert row["ci_low"] == 0.8825  # the data: a number, not text
    assert "<strong>0,9125</strong>" in row["html"] and 'data-announce="Inlämning' in row["html"]
    assert "inlämningar kvar i dag" in live["quota_html"] and "0 av 2 valda." in live["final_html"]


def test_choosing_a_final_submission_is_confirmed_in_swedish(client, member):
    [submission] = db.session.execute(db.select(Submission)).scalars().all()
    g.pop("_flask_babel", None)
    response = client.post(f"/challenges/breast-cancer-diagnosis/submissions/{submission.id}/selection",
                           data={"choose": "yes"}, headers=SWEDISH, follow_redirects=True)
    assert f"Inlämning {submission.id} är nu en av era slutliga inlämningar." in response.get_data(as_text=True)
