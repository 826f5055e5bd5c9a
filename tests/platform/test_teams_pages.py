"""The team page: create, invite by code or link, join, leave, rename, with the rules enforced."""

from __future__ import annotations

import pytest

from ultrathon.platform.challenges.access import team_of
from ultrathon.platform.extensions import db
from ultrathon.platform.models import Membership, Team

PASSWORD = "correct horse battery staple"
DEMO = "breast-cancer-diagnosis"
PAGE = f"/challenges/{DEMO}/team"


def logged_in(client, user):
    client.post("/logout")
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    return client


def teams() -> list[Team]:
    return list(db.session.execute(db.select(Team)).scalars())


@pytest.fixture
def challenge(make_challenge):
    return make_challenge(DEMO)


def test_the_team_page_needs_a_login(client, challenge):
    assert client.get(PAGE).location.startswith("/login?next=")


def test_creating_a_team_needs_the_terms_and_a_name(client, challenge, make_user):
    user = make_user()
    logged_in(client, user)
    page = client.get(PAGE).get_data(as_text=True)
    assert "Create a team" in page and "Join a team" in page

    no_terms = client.post(PAGE, data={"name": "Owls"})
    assert no_terms.status_code == 403
    assert "Accept the challenge&#39;s data-use terms before creating a team." in no_terms.get_data(as_text=True)
    no_name = client.post(PAGE, data={"name": "  ", "accept": "yes"})
    assert no_name.status_code == 400 and "A team needs a name." in no_name.get_data(as_text=True)
    assert teams() == []

    created = client.post(PAGE, data={"name": "Owls", "accept": "yes"})
    assert created.status_code == 302
    [team] = teams()
    assert team.name == "Owls" and team_of(user, challenge).id == team.id
    page = client.get(PAGE).get_data(as_text=True)
    assert "Team <span class=\"team-name\">Owls</span>" in page
    assert team.invite_code in page
    assert f"{PAGE}?code={team.invite_code}" in page  # the invite link


def test_a_second_user_joins_by_code_and_by_link(client, challenge, make_team, make_user):
    team = make_team(challenge, name="Owls")
    second, third = make_user(), make_user()

    logged_in(client, second)
    wrong = client.post(f"{PAGE}/join", data={"code": "not-a-code", "accept": "yes"})
    assert wrong.status_code == 404
    assert "That invite code does not belong to any team in this challenge" in wrong.get_data(as_text=True)
    assert client.post(f"{PAGE}/join", data={"code": team.invite_code, "accept": "yes"}).status_code == 302
    assert team_of(second, challenge).id == team.id

    logged_in(client, third)
    invited = client.get(PAGE, query_string={"code": team.invite_code}).get_data(as_text=True)
    assert "You were invited to team <strong>Owls</strong>." in invited
    assert f'value="{team.invite_code}"' in invited  # the code is filled in
    assert client.post(f"{PAGE}/join", data={"code": team.invite_code, "accept": "yes"}).status_code == 302
    assert db.session.execute(db.select(db.func.count()).select_from(Membership).where(Membership.team_id == team.id)).scalar_one() == 3


def test_the_size_limit_and_one_team_per_challenge_are_enforced_with_clear_messages(client, challenge, make_team, make_user):
    full = make_team(challenge, [make_user() for _ in range(5)], name="Full house")
    mine = make_team(challenge, name="Mine")
    me = mine.memberships[0].user
    outsider = make_user()

    logged_in(client, outsider)
    response = client.post(f"{PAGE}/join", data={"code": full.invite_code, "accept": "yes"})
    assert response.status_code == 409
    assert "This team is full: a team has at most 5 members." in response.get_data(as_text=True)

    logged_in(client, me)
    response = client.post(f"{PAGE}/join", data={"code": mine.invite_code})
    assert response.status_code == 409
    assert "You are already in this team." in response.get_data(as_text=True)
    assert len(teams()) == 2 and team_of(me, challenge).id == mine.id


def test_creating_while_in_a_team_is_refused(client, challenge, make_team):
    team = make_team(challenge, name="Mine")
    logged_in(client, team.memberships[0].user)
    response = client.post(PAGE, data={"name": "Second", "accept": "yes"})
    assert response.status_code == 409
    assert "You are already in a team for this challenge; leave it first." in response.get_data(as_text=True)
    assert [t.name for t in teams()] == ["Mine"]


def test_rename_refuses_a_taken_name_and_leave_frees_the_user(client, challenge, make_team):
    make_team(challenge, name="Taken")
    team = make_team(challenge, name="Owls")
    user = team.memberships[0].user
    logged_in(client, user)

    taken = client.post(f"{PAGE}/rename", data={"name": "taken"})
    assert taken.status_code == 409
    assert "A team named &#39;taken&#39; exists already in this challenge." in taken.get_data(as_text=True)
    assert client.post(f"{PAGE}/rename", data={"name": "Night Owls"}).status_code == 302
    db.session.refresh(team)
    assert team.name == "Night Owls"

    assert client.post(f"{PAGE}/leave").status_code == 302
    assert team_of(user, challenge) is None
    assert "Create a team" in client.get(PAGE).get_data(as_text=True)
    assert client.post(f"{PAGE}/leave").status_code == 404
