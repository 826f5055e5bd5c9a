"""Creating and joining teams through the API."""

import pytest

from ultrathon.platform.challenges.access import has_accepted_terms, team_of

SLUG = "breast-cancer-diagnosis"


def test_creating_a_team_with_the_terms_accepted(client, make_challenge, make_user, token_for):
    challenge = make_challenge()
    user = make_user()
    response = client.post(f"/api/v1/challenges/{SLUG}/teams", json={"name": "  Night   Owls ", "accept_terms": True},
                           headers=token_for(user))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["name"] == "Night Owls" and body["challenge"] == SLUG
    assert body["members"] == [{"name": user.name, "role": "owner"}]
    assert body["invite_code"]
    assert team_of(user, challenge).id == body["id"]
    assert has_accepted_terms(user, challenge)


def test_creating_a_team_without_the_terms_is_403(client, make_challenge, make_user, token_for):
    challenge = make_challenge()
    user = make_user()
    response = client.post(f"/api/v1/challenges/{SLUG}/teams", json={"name": "Owls"}, headers=token_for(user))
    assert response.status_code == 403 and "terms" in response.get_json()["detail"]
    assert team_of(user, challenge) is None


@pytest.mark.parametrize("body, field", [
    ({}, "name"),
    ({"name": 42}, "name"),
    ({"name": "Owls", "accept_terms": "yes"}, "accept_terms"),
    ({"name": ""}, "name"),
    ({"name": "x" * 81, "accept_terms": True}, "80"),
])
def test_a_malformed_body_is_400_naming_the_field(client, make_challenge, make_user, token_for, body, field):
    challenge = make_challenge()
    user = make_user()
    response = client.post(f"/api/v1/challenges/{SLUG}/teams", json=body, headers=token_for(user))
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert field in response.get_json()["detail"]
    assert team_of(user, challenge) is None


def test_a_body_that_is_not_json_is_400(client, make_challenge, make_user, token_for):
    make_challenge()
    response = client.post(f"/api/v1/challenges/{SLUG}/teams", data="name=Owls", headers=token_for(make_user()))
    assert response.status_code == 400 and "JSON object" in response.get_json()["detail"]


def test_a_taken_name_is_409(client, make_challenge, make_team, make_user, token_for):
    challenge = make_challenge()
    make_team(challenge, name="Owls")
    response = client.post(f"/api/v1/challenges/{SLUG}/teams", json={"name": "owls", "accept_terms": True},
                           headers=token_for(make_user()))
    assert response.status_code == 409 and "exists already" in response.get_json()["detail"]


def test_joining_with_the_invite_code(client, make_challenge, make_team, make_user, token_for):
    challenge = make_challenge()
    team = make_team(challenge, name="Owls")
    newcomer = make_user()
    url = f"/api/v1/teams/{team.id}/members"
    wrong = client.post(url, json={"code": "guess", "accept_terms": True}, headers=token_for(newcomer))
    assert wrong.status_code == 403 and team_of(newcomer, challenge) is None
    right = client.post(url, json={"code": team.invite_code, "accept_terms": True}, headers=token_for(newcomer))
    assert right.status_code == 201
    assert [m["name"] for m in right.get_json()["members"]][-1] == newcomer.name
    assert team_of(newcomer, challenge).id == team.id


def test_joining_an_unknown_team_is_404(client, make_challenge, make_user, token_for):
    make_challenge()
    for team_id in (999, 2**40):
        response = client.post(f"/api/v1/teams/{team_id}/members", json={"code": "x"}, headers=token_for(make_user()))
        assert response.status_code == 404



def test_a_code_with_non_ascii_characters_is_simply_wrong(client, make_challenge, make_team, make_user, token_for):
    team = make_team(make_challenge(), name="Owls")
    response = client.post(f"/api/v1/teams/{team.id}/members", json={"code": "clé-ø", "accept_terms": True},
                           headers=token_for(make_user()))
    assert response.status_code == 403 and "invite code" in response.get_json()["detail"]


def test_a_deeply_nested_body_is_400_not_a_crash(client, make_challenge, make_user, token_for):
    make_challenge()
    body = "[" * 100_000 + "]" * 100_000
    response = client.post(f"/api/v1/challenges/{SLUG}/teams", data=body, content_type="application/json",
                           headers=token_for(make_user()))
    assert response.status_code == 400 and "JSON object" in response.get_json()["detail"]
