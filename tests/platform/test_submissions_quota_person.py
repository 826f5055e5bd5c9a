"""The submission quota follows the person: leaving a team does not start a new count."""

from __future__ import annotations

from io import BytesIO

import pytest

from ultrathon.platform.extensions import db
from ultrathon.platform.models import Submission
from ultrathon.platform.submissions.quota import quota_for
from ultrathon.platform.submissions.uploads import accept_baseline, accept_submission
from ultrathon.platform.teams.service import leave_team

SLUG = "breast-cancer-diagnosis"
UPLOAD = f"/api/v1/challenges/{SLUG}/submissions"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def challenge(make_open_challenge):
    return make_open_challenge(SLUG)


@pytest.fixture
def sample(challenge) -> bytes:
    return next(f.content for f in challenge.files if f.name == "sample_submission.csv")


def upload(client, headers, data: bytes):
    return client.post(UPLOAD, data={"file": (BytesIO(data), "predictions.csv")}, headers=headers,
                       content_type="multipart/form-data")


def set_limits(challenge, **limits):
    challenge.spec = {**challenge.spec, "limits": {**challenge.spec["limits"], **limits}}
    db.session.commit()


def leave_through_the_page(client, user) -> None:
    client.post("/logout")
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    assert client.post(f"/challenges/{SLUG}/team/leave").status_code == 302


def test_a_member_at_zero_who_leaves_and_creates_a_team_through_the_api_is_refused(
        client, challenge, make_team, make_user, token_for, sample):
    person = make_user()
    make_team(challenge, [make_user(), person], name="Owls")
    headers = token_for(person)
    for _ in range(5):
        assert upload(client, headers, sample).status_code == 202
    assert client.get(UPLOAD, headers=headers).get_json()["quota"]["remaining_today"] == 0

    leave_through_the_page(client, person)
    created = client.post(f"/api/v1/challenges/{SLUG}/teams", json={"name": "Fresh start"}, headers=headers)
    assert created.status_code == 201, created.get_json()
    response = upload(client, headers, sample)

    assert response.status_code == 429, response.get_json()
    body = response.get_json()
    assert body["type"] == "urn:ultrathon:problem:quota-reached"
    assert "other teams" in body["detail"]
    quota = body["quota"]
    assert (quota["used_today"], quota["remaining_today"], quota["used_total"], quota["remaining_total"]) == (5, 0, 5, 145)
    assert 0 < int(response.headers["Retry-After"]) <= 24 * 3600
    assert client.get(UPLOAD, headers=headers).get_json()["quota"]["remaining_today"] == 0
    page = client.get(f"/challenges/{SLUG}/submissions").get_data(as_text=True)
    assert "Your own submissions in other teams of this challenge count too." in page
    db.session.expire_all()
    assert db.session.execute(db.select(db.func.count(Submission.id))).scalar_one() == 5


def test_the_persons_total_follows_them_into_another_team_but_not_onto_their_mates(
        client, challenge, make_team, make_user, token_for, sample):
    set_limits(challenge, per_day=5, total=3)
    person, host = make_user(), make_user()
    make_team(challenge, [person], name="Owls")
    other = make_team(challenge, [host], name="Larks")
    headers = token_for(person)
    for _ in range(3):
        assert upload(client, headers, sample).status_code == 202

    leave_through_the_page(client, person)
    joined = client.post(f"/api/v1/teams/{other.id}/members", json={"code": other.invite_code, "accept_terms": True},
                         headers=headers)
    assert joined.status_code == 201, joined.get_json()
    refused = upload(client, headers, sample)
    assert refused.status_code == 429
    assert "all 3 submissions this challenge allows a person" in refused.get_json()["detail"]
    assert refused.get_json()["quota"]["remaining_total"] == 0

    # The team's own count is untouched: the person's earlier uploads are charged to them alone.
    mate = upload(client, token_for(host), sample)
    assert mate.status_code == 202 and mate.get_json()["quota"]["used_total"] == 1


def test_failed_submissions_do_not_count_against_the_person(ctx, challenge, make_team, make_user, sample):
    person = make_user()
    old = make_team(challenge, [person], name="Owls")
    first, *_ = [accept_submission(challenge, person, sample, "a.csv") for _ in range(5)]
    first.status = "failed"
    db.session.commit()
    leave_team(old, person)
    new = make_team(challenge, [person], name="Larks", accept_terms=False)  # accepted once already

    accept_submission(challenge, person, sample, "a.csv")  # the slot the failed file freed
    quota = quota_for(challenge, new, user=person)
    assert (quota.used_today, quota.remaining_today, quota.personal_today) == (5, 0, True)
    assert quota_for(challenge, new).used_today == 1  # the team alone


def test_an_organisers_baselines_are_not_their_quota(ctx, challenge, make_team, make_user, sample):
    organiser = make_user("organiser@example.org")  # listed in the demo challenge's YAML
    team = make_team(challenge, [organiser], name="Owls")
    for _ in range(5):
        accept_baseline(challenge, organiser, sample, "baseline.csv")
    assert quota_for(challenge, team, user=organiser).remaining_today == 5
    accept_submission(challenge, organiser, sample, "a.csv")
