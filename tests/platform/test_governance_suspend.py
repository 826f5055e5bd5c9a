"""Suspensions: an organiser bars one participant from one challenge with a reason, and lifts it."""

from __future__ import annotations

import io

import pytest

from ultrathon.platform.extensions import db
from ultrathon.platform.governance.suspension import SuspensionError, suspend_user
from ultrathon.platform.models import AuditEvent

PASSWORD = "correct horse battery staple"
ORGANISER = "organiser@example.org"


def login(client, user) -> None:
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


@pytest.fixture
def setting(make_open_challenge, make_user, make_team):
    challenge = make_open_challenge()
    organiser = make_user(challenge.organisers[0])
    member = make_user("member@example.org", "Mallory")
    team = make_team(challenge, [member])
    return challenge, organiser, member, team


def _sample(challenge) -> bytes:
    return next(f.content for f in challenge.files if f.name == "sample_submission.csv")


def test_a_suspended_participant_is_refused_with_the_reason_until_it_is_lifted(client, ctx, setting, token_for):
    challenge, organiser, member, team = setting
    headers = token_for(member)
    login(client, organiser)
    done = client.post(f"/challenges/{challenge.slug}/organise/participants/{member.id}/suspend", data={"reason": "shared the data"})
    assert done.status_code == 302
    assert "shared the data" in client.get(f"/challenges/{challenge.slug}/organise").get_data(as_text=True)

    login(client, member)
    for response in (client.get(f"/challenges/{challenge.slug}/files/sample_submission.csv"),
                     client.post(f"/challenges/{challenge.slug}/team/leave"),
                     client.post(f"/challenges/{challenge.slug}/submissions", data={"file": (io.BytesIO(_sample(challenge)), "p.csv")}),
                     client.get(f"/challenges/{challenge.slug}")):
        assert response.status_code == 403
        assert "suspended you from this challenge: shared the data" in response.get_data(as_text=True)
    for response in (client.get(f"/api/v1/challenges/{challenge.slug}/files/sample_submission.csv", headers=headers),
                     client.post(f"/api/v1/challenges/{challenge.slug}/submissions",
                                 data={"file": (io.BytesIO(_sample(challenge)), "p.csv")}, headers=headers),
                     client.get(f"/api/v1/challenges/{challenge.slug}/submissions", headers=headers)):
        body = response.get_json()
        assert response.status_code == 403 and body["type"] == "urn:ultrathon:problem:suspended"
        assert "shared the data" in body["detail"]
    assert client.get("/account").status_code == 200  # the session lives on outside the challenge

    login(client, organiser)
    assert client.post(f"/challenges/{challenge.slug}/organise/participants/{member.id}/lift").status_code == 302
    login(client, member)
    assert client.get(f"/challenges/{challenge.slug}/files/sample_submission.csv").status_code == 200
    assert client.get(f"/api/v1/challenges/{challenge.slug}/submissions", headers=headers).status_code == 200
    events = db.session.execute(db.select(AuditEvent).where(AuditEvent.action.in_(["user.suspend", "user.unsuspend"]))
                                .order_by(AuditEvent.id)).scalars().all()
    assert [(e.action, e.actor_id, e.target_id, e.detail["reason"]) for e in events] == [
        ("user.suspend", organiser.id, str(member.id), "shared the data"),
        ("user.unsuspend", organiser.id, str(member.id), "shared the data")]


def test_a_suspension_needs_a_reason_and_an_organiser(client, ctx, setting, make_user):
    challenge, organiser, member, _team = setting
    login(client, organiser)
    client.post(f"/challenges/{challenge.slug}/organise/participants/{member.id}/suspend", data={"reason": "  "})
    login(client, member)
    assert client.get(f"/challenges/{challenge.slug}").status_code == 200
    outsider = make_user("outsider@example.org")
    login(client, outsider)
    assert client.post(f"/challenges/{challenge.slug}/organise/participants/{member.id}/suspend",
                       data={"reason": "spite"}).status_code == 404
    with pytest.raises(SuspensionError, match="only the challenge's organisers"):
        suspend_user(challenge, member, "spite", outsider)
    with pytest.raises(SuspensionError, match="cannot suspend yourself"):
        suspend_user(challenge, organiser, "oops", organiser)
    login(client, member)
    assert client.get(f"/challenges/{challenge.slug}").status_code == 200
    assert db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "user.suspend")).first() is None


def test_an_organiser_cannot_be_suspended(ctx, setting, make_user, make_team):
    challenge, organiser, member, team = setting
    admin = make_user(admin=True)
    make_team(challenge, [organiser])
    with pytest.raises(SuspensionError, match="an organiser cannot be suspended"):
        suspend_user(challenge, organiser, "no", admin)
