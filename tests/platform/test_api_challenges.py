"""Challenges and their public files through the API; the hidden solution is reachable by no path."""

import hashlib

import pytest

from ultrathon.platform.extensions import db
from ultrathon.platform.models import AuditEvent

SLUG = "breast-cancer-diagnosis"


def test_the_list_is_paginated_with_a_cursor(client, make_challenge):
    for slug in (SLUG, "diabetes-progression", "flchain-survival"):
        make_challenge(slug)
    first = client.get("/api/v1/challenges?limit=2").get_json()
    assert [c["slug"] for c in first["items"]] == [SLUG, "diabetes-progression"]
    assert first["next_cursor"]
    second = client.get(f"/api/v1/challenges?limit=2&cursor={first['next_cursor']}").get_json()
    assert [c["slug"] for c in second["items"]] == ["flchain-survival"]
    assert second["next_cursor"] is None
    assert first["items"][0]["state"] == "open" and first["items"][0]["url"] == f"/api/v1/challenges/{SLUG}"


def test_the_detail_names_the_metric_the_files_and_the_callers_team(client, make_challenge, make_team, token_for):
    challenge = make_challenge()
    team = make_team(challenge, name="Owls")
    user = team.memberships[0].user
    body = client.get(f"/api/v1/challenges/{SLUG}", headers=token_for(user)).get_json()
    assert body["metric"] == {"primary": "roc_auc", "secondary": ["average_precision", "brier"], "higher_is_better": True}
    assert body["id_column"] == "patient_id" and body["prediction_columns"] == ["probability"]
    assert [f["name"] for f in body["files"]] == ["train.csv", "test.csv", "sample_submission.csv"]
    assert "solution" not in str(body["files"])
    assert body["team"]["name"] == "Owls" and body["team"]["invite_code"] == team.invite_code
    assert body["terms"]["accepted"] is True
    assert body["terms"]["text_sha256"] == hashlib.sha256(body["terms"]["text"].encode("utf-8")).hexdigest()
    assert body["terms"]["language"] == "en"
    anonymous = client.get(f"/api/v1/challenges/{SLUG}").get_json()
    assert anonymous["team"] is None and anonymous["terms"]["accepted"] is False


def test_an_unknown_challenge_is_404(client):
    response = client.get("/api/v1/challenges/no-such-thing")
    assert response.status_code == 404 and "no-such-thing" in response.get_json()["detail"]


def test_a_public_file_goes_to_a_user_who_accepted_the_terms_and_is_audited(client, make_challenge, make_team, token_for):
    challenge = make_challenge()
    user = make_team(challenge).memberships[0].user
    response = client.get(f"/api/v1/challenges/{SLUG}/files/train.csv", headers=token_for(user))
    assert response.status_code == 200
    expected = next(f.content for f in challenge.files if f.name == "train.csv")
    assert response.data == expected
    assert response.mimetype == "text/csv"
    assert 'filename="train.csv"' in response.headers["Content-Disposition"]
    event = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "file.download")).scalar_one()
    assert event.actor_id == user.id and event.detail["name"] == "train.csv"


def test_a_public_file_needs_a_token_and_the_terms(client, make_challenge, make_user, token_for):
    make_challenge()
    assert client.get(f"/api/v1/challenges/{SLUG}/files/train.csv").status_code == 401
    response = client.get(f"/api/v1/challenges/{SLUG}/files/train.csv", headers=token_for(make_user()))
    assert response.status_code == 403
    assert "terms" in response.get_json()["detail"]


TRAVERSALS = [
    "solution.csv",
    "../solution.csv",
    "..%2Fsolution.csv",
    "%2E%2E%2Fsolution.csv",
    "%2e%2e%2fsolution.csv",
    "..%252Fsolution.csv",
    "..%5Csolution.csv",
    "....//solution.csv",
    "train.csv/../solution.csv",
    "train.csv%2F..%2Fsolution.csv",
    "%2Fwork%2Fmain%2Fchallenges%2Fbreast-cancer-diagnosis%2Fsolution.csv",
    "../../../../challenges/breast-cancer-diagnosis/solution.csv",
    "SOLUTION.CSV",
    "solution.csv%00.csv",
]


@pytest.mark.parametrize("name", TRAVERSALS)
def test_the_solution_is_reachable_by_no_file_path(client, make_challenge, make_user, token_for, name):
    challenge = make_challenge()
    organiser = make_user("organiser@example.org")  # even the organisers: the API never serves it
    headers = token_for(organiser)
    solution = challenge.solution_csv
    for prefix in (f"/api/v1/challenges/{SLUG}/files/", f"/api/v1/challenges/{SLUG}/"):
        response = client.get(prefix + name, headers=headers)
        assert response.status_code in (400, 404), (prefix + name, response.status_code)
        assert response.mimetype == "application/problem+json"
        assert solution[:200] not in response.data
        assert b"Usage" not in response.data  # the solution's split column is in no public file


def test_no_answer_of_the_api_carries_the_solution(client, make_challenge, make_team, token_for):
    challenge = make_challenge()
    headers = token_for(make_team(challenge).memberships[0].user)
    solution_rows = challenge.solution_csv.decode().splitlines()[1:6]
    for path in ["/api/v1/challenges", f"/api/v1/challenges/{SLUG}", "/api/v1/openapi.json",
                 f"/api/v1/challenges/{SLUG}/files/test.csv", f"/api/v1/challenges/{SLUG}/files/sample_submission.csv"]:
        text = client.get(path, headers=headers).get_data(as_text=True)
        assert not any(row in text for row in solution_rows), path
