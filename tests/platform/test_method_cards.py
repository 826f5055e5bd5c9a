"""Method cards: filled on the page and through the API, required for a final choice, in the exports."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest

from ultrathon.platform.challenges.publication import publish_results
from ultrathon.platform.extensions import db
from ultrathon.platform.models import Submission, utcnow
from ultrathon.spec import schema_problems

PASSWORD = "correct horse battery staple"
SLUG = "breast-cancer-diagnosis"
PAGE = f"/challenges/{SLUG}/submissions"
CARD = {"required": ["title", "description", "code_url"],
        "fields": [{"name": "features", "label": "Features used", "required": True}]}
HOSTILE = "Our model\n\n<script>alert('owned')</script>\n\n[click](javascript:alert(1)) and **bold**"


def logged_in(client, user):
    client.post("/logout")
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    return client


@pytest.fixture
def challenge(make_open_challenge):
    challenge = make_open_challenge(SLUG)
    challenge.spec = {**challenge.spec, "method_card": CARD}
    db.session.commit()
    return challenge


@pytest.fixture
def scored(challenge, make_team, make_submission, run_worker):
    team = make_team(challenge, name="Owls")
    submission = make_submission(challenge, team)
    run_worker()
    db.session.expire_all()
    return db.session.get(Submission, submission.id)


def full_card(**changes):
    return {"title": "Gradient boosting", "description": HOSTILE, "code_url": "https://example.org/owls/model",
            "features": "all thirty", **changes}


# --- the schema ------------------------------------------------------------------------------


def test_the_schema_names_an_unknown_required_field_and_a_clashing_one(challenge):
    spec = {**challenge.spec, "method_card": {"required": ["title", "tittle"],
                                              "fields": [{"name": "title", "label": "Again"}, {"name": "x", "label": "X"},
                                                         {"name": "x", "label": "X again"}]}}
    found = {p.key: p.message for p in schema_problems(spec)}
    assert "'tittle' is not a card field" in found["method_card.required[1]"]
    assert "standard card field" in found["method_card.fields[0].name"]
    assert "listed twice" in found["method_card.fields[2].name"]
    assert not [p for p in schema_problems({**challenge.spec, "method_card": CARD}) if p.key.startswith("method_card")]


# --- the API ---------------------------------------------------------------------------------


def test_the_api_refuses_a_final_choice_without_the_card_then_takes_it(client, scored, token_for):
    headers = token_for(scored.team.memberships[0].user)
    refused = client.put(f"/api/v1/submissions/{scored.id}/selection", headers=headers)
    assert refused.status_code == 409
    detail = refused.get_json()["detail"]
    assert "method card" in detail and "Title, Description, Code URL, Features used" in detail

    partial = client.put(f"/api/v1/submissions/{scored.id}/method-card", json={"title": "GB"}, headers=headers)
    assert partial.status_code == 200 and partial.get_json()["method_card"]["title"] == "GB"
    still = client.put(f"/api/v1/submissions/{scored.id}/selection", headers=headers).get_json()["detail"]
    assert "Description, Code URL, Features used" in still and "Title" not in still

    filled = client.put(f"/api/v1/submissions/{scored.id}/method-card", json=full_card(), headers=headers)
    assert filled.status_code == 200 and filled.get_json()["method_card"]["fields"] == {"features": "all thirty"}
    assert client.put(f"/api/v1/submissions/{scored.id}/selection", headers=headers).status_code == 200
    assert client.get(f"/api/v1/submissions/{scored.id}", headers=headers).get_json()["method_card"]["title"] == "Gradient boosting"


def test_the_api_names_each_bad_field(client, scored, token_for):
    headers = token_for(scored.team.memberships[0].user)
    url = f"/api/v1/submissions/{scored.id}/method-card"
    bad = client.put(url, json=full_card(code_url="javascript:alert(1)", colour="red", title=3), headers=headers)
    assert bad.status_code == 400 and bad.get_json()["type"] == "urn:ultrathon:problem:invalid-method-card"
    fields = {p["field"]: p["message"] for p in bad.get_json()["problems"]}
    assert "http:// or https://" in fields["code_url"] and "not a field" in fields["colour"] and "text" in fields["title"]
    assert client.put(url, data="[]", content_type="application/json", headers=headers).status_code == 400
    db.session.expire_all()
    assert db.session.get(Submission, scored.id).method_card is None


def test_another_teams_card_is_404(client, challenge, scored, make_team, token_for):
    other = token_for(make_team(challenge, name="Rivals").memberships[0].user)
    response = client.put(f"/api/v1/submissions/{scored.id}/method-card", json=full_card(), headers=other)
    assert response.status_code == 404


# --- the page --------------------------------------------------------------------------------


def test_the_page_fills_the_card_and_never_renders_the_teams_html(client, scored):
    logged_in(client, scored.team.memberships[0].user)
    refused = client.post(f"{PAGE}/{scored.id}/selection", data={"choose": "yes"}, follow_redirects=True).get_data(as_text=True)
    assert "Method card incomplete" in refused and "Title, Description, Code URL, Features used" in refused

    saved = client.post(f"{PAGE}/{scored.id}/method-card", data=full_card(), follow_redirects=True).get_data(as_text=True)
    assert "method card is saved" in saved
    assert "<script>alert" not in saved and "&lt;script&gt;" in saved
    assert 'href="javascript:' not in saved and "<strong>bold</strong>" in saved
    assert 'name="features"' in saved and "Features used" in saved

    bad = client.post(f"{PAGE}/{scored.id}/method-card", data=full_card(code_url="ftp://x.org/a"), follow_redirects=True)
    assert "code_url: must be an http:// or https:// address" in bad.get_data(as_text=True)
    assert client.post(f"{PAGE}/{scored.id}/selection", data={"choose": "yes"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Submission, scored.id).selected_at is not None


# --- the exports -----------------------------------------------------------------------------


def test_the_bundle_and_the_leaderboard_csv_carry_the_cards(client, scored, token_for, make_user):
    headers = token_for(scored.team.memberships[0].user)
    client.put(f"/api/v1/submissions/{scored.id}/method-card", json=full_card(), headers=headers)
    client.put(f"/api/v1/submissions/{scored.id}/selection", headers=headers)
    logged_in(client, make_user("organiser@example.org"))
    bundle = zipfile.ZipFile(io.BytesIO(client.get(f"/challenges/{SLUG}/leaderboard/results.zip").data))
    cards = json.loads(bundle.read("method-cards.json"))
    assert cards == [{"submission_id": scored.id, "team": "Owls", "selected": True, "title": "Gradient boosting",
                      "description": HOSTILE.strip(), "code_url": "https://example.org/owls/model",
                      "fields": {"features": "all thirty"}, "updated_at": cards[0]["updated_at"]}]
    assert "Gradient boosting" in bundle.read("method-cards.csv").decode()
    assert "method-cards" in bundle.read("README.txt").decode()

    def public_csv():
        return client.get(f"/challenges/{SLUG}/leaderboard.csv?split=public").get_data(as_text=True).splitlines()

    header, row = public_csv()[0].split(","), public_csv()[1].split(",")
    at = header.index("method_title")
    assert header[at + 1] == "method_code_url"
    assert row[at:at + 2] == ["", ""]  # before the close a card would tell rivals the method
    scored.challenge.closes_at = scored.challenge.phases[-1].closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    publish_results(scored.challenge, None)
    assert public_csv()[1].split(",")[at:at + 2] == ["Gradient boosting", "https://example.org/owls/model"]


def test_after_the_close_and_for_an_organiser_the_card_cannot_change(client, scored, token_for, make_user):
    url = f"/api/v1/submissions/{scored.id}/method-card"
    organiser = client.put(url, json=full_card(), headers=token_for(make_user("organiser@example.org")))
    assert organiser.status_code == 404  # organisers read a team's submission; only the team writes its card
    scored.challenge.closes_at = scored.challenge.phases[-1].closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    late = client.put(url, json=full_card(), headers=token_for(scored.team.memberships[0].user))
    assert late.status_code == 403 and "method cards can no longer change" in late.get_json()["detail"]
    db.session.expire_all()
    assert db.session.get(Submission, scored.id).method_card is None
