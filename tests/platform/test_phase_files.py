"""A file only a later phase lists: listed and served once that phase opens, to organisers before."""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.conftest import PASSWORD

FOLDER = Path(__file__).resolve().parents[1] / "challenges" / "two_phase"
SLUG = "two-phase"
DEVELOPMENT = datetime(2027, 2, 1, tzinfo=timezone.utc)
FINAL = datetime(2027, 2, 15, 8, 0, tzinfo=timezone.utc)  # the final phase opens 09:00 +01:00
HELD = ("final_test.csv of two-phase is released when the phase 'Final test' opens, at 2027-02-15 08:00 UTC; "
        "it cannot be downloaded before")


@pytest.fixture
def challenge(make_challenge, tmp_path):
    shutil.copytree(FOLDER, tmp_path / SLUG)
    return make_challenge(folder=tmp_path / SLUG)


@pytest.fixture
def at(app, monkeypatch):
    """Set the platform's clock to a moment."""
    def set_clock(moment: datetime) -> None:
        monkeypatch.setitem(app.config, "CLOCK", lambda: moment)
    return set_clock


def logged_in(client, user):
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    return client


def test_the_api_lists_and_serves_a_final_file_once_its_phase_opens(client, challenge, make_user, make_team, token_for, at):
    user = make_user()
    make_team(challenge, [user])
    headers = token_for(user)
    at(DEVELOPMENT)
    listed = client.get(f"/api/v1/challenges/{SLUG}", headers=headers).get_json()["files"]
    assert [(f["name"], f["released_at"]) for f in listed] == [
        ("train.csv", None), ("dev_test.csv", "2027-01-04T08:00:00+00:00"), ("sample_submission.csv", "2027-01-04T08:00:00+00:00")]
    refused = client.get(f"/api/v1/challenges/{SLUG}/files/final_test.csv", headers=headers)
    assert (refused.status_code, refused.get_json()["detail"]) == (403, HELD)
    assert client.get(f"/api/v1/challenges/{SLUG}/files/dev_test.csv", headers=headers).status_code == 200

    at(FINAL)
    listed = client.get(f"/api/v1/challenges/{SLUG}", headers=headers).get_json()["files"]
    assert [f["name"] for f in listed][3:] == ["final_test.csv", "final_sample_submission.csv"]
    served = client.get(f"/api/v1/challenges/{SLUG}/files/final_test.csv", headers=headers)
    assert served.status_code == 200 and served.data == (FOLDER / "final_test.csv").read_bytes()


def test_organisers_list_and_download_a_final_file_before_it_is_out(client, challenge, make_user, token_for, at):
    organiser = make_user("organiser@example.org")
    at(DEVELOPMENT)
    listed = client.get(f"/api/v1/challenges/{SLUG}", headers=token_for(organiser)).get_json()["files"]
    assert ("final_test.csv", "2027-02-15T08:00:00+00:00") in [(f["name"], f["released_at"]) for f in listed]
    assert client.get(f"/api/v1/challenges/{SLUG}/files/final_test.csv", headers=token_for(organiser)).status_code == 200
    logged_in(client, organiser)
    assert client.get(f"/challenges/{SLUG}/files/final_test.csv").status_code == 200


def test_the_page_shows_when_a_final_file_is_out_and_serves_it_then(client, challenge, make_user, make_team, at):
    user = make_user()
    make_team(challenge, [user])
    logged_in(client, user)
    at(DEVELOPMENT)
    page = client.get(f"/challenges/{SLUG}").get_data(as_text=True)
    assert f'href="/challenges/{SLUG}/files/dev_test.csv"' in page
    assert f'href="/challenges/{SLUG}/files/final_test.csv"' not in page
    assert "final_test.csv" in page and "released" in page
    final_digest = next(f.sha256 for f in challenge.files if f.name == "final_test.csv")
    assert final_digest[:16] not in page  # nor its size or digest, as the API
    refused = client.get(f"/challenges/{SLUG}/files/final_test.csv")
    assert refused.status_code == 403 and HELD.replace("'", "&#39;") in refused.get_data(as_text=True)

    at(FINAL)
    page = client.get(f"/challenges/{SLUG}").get_data(as_text=True)
    assert f'href="/challenges/{SLUG}/files/final_test.csv"' in page and final_digest[:16] in page
    served = client.get(f"/challenges/{SLUG}/files/final_test.csv")
    assert served.status_code == 200 and served.data == (FOLDER / "final_test.csv").read_bytes()
