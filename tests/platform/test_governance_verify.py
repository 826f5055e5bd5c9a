"""E-mail verification: a registered account is unverified until it follows the mailed link, once, in time."""

from __future__ import annotations

import io
import logging
import re
from datetime import timedelta

from ultrathon.platform.auth.service import find_user
from ultrathon.platform.extensions import db
from ultrathon.platform.governance.verification import VERIFY_LIFETIME_S
from ultrathon.platform.models import AuditEvent, utcnow

PASSWORD = "correct horse battery staple"
LINK = re.compile(r"https?://[^\s]+(/verify-email/[A-Za-z0-9_.\-]+)")


def _links(caplog) -> list[str]:
    return [LINK.search(r.getMessage()).group(1) for r in caplog.records if r.name == "ultrathon.mail"]


def _register(client, caplog, email="ada@example.org") -> str:
    caplog.set_level(logging.INFO, logger="ultrathon.mail")
    response = client.post("/register", data={"email": email, "name": "Ada", "password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 302
    return _links(caplog)[-1]


def _actions(user) -> list[str]:
    return list(db.session.execute(db.select(AuditEvent.action).where(AuditEvent.target_id == str(user.id))
                                   .order_by(AuditEvent.id)).scalars())


def _sample(challenge) -> bytes:
    return next(f.content for f in challenge.files if f.name == "sample_submission.csv")


def test_a_registered_user_is_refused_until_the_link_is_followed_on_the_web(client, ctx, make_open_challenge, make_team, caplog):
    challenge = make_open_challenge()
    team = make_team(challenge)
    link = _register(client, caplog)
    user = find_user("ada@example.org")
    assert user.email_verified_at is None

    create = client.post(f"/challenges/{challenge.slug}/team", data={"name": "Owls", "accept": "yes"})
    assert create.status_code == 403
    page = create.get_data(as_text=True).lower()
    assert "verify your e-mail address first" in page and "resend" in page and "/account#verify" in page
    join = client.post(f"/challenges/{challenge.slug}/team/join", data={"code": team.invite_code, "accept": "yes"})
    assert join.status_code == 403 and "verify your e-mail address first" in join.get_data(as_text=True).lower()
    download = client.get(f"/challenges/{challenge.slug}/files/sample_submission.csv")
    assert download.status_code == 403 and "verify your e-mail address first" in download.get_data(as_text=True).lower()
    upload = client.post(f"/challenges/{challenge.slug}/submissions", data={"file": (io.BytesIO(_sample(challenge)), "p.csv")},
                         headers={"Accept": "application/json"})
    assert upload.status_code == 403 and "verify your e-mail address first" in upload.get_json()["detail"].lower()
    assert "Resend the verification link" in client.get("/account").get_data(as_text=True)

    followed = client.get(link)
    assert followed.status_code == 302
    db.session.refresh(user)
    assert user.email_verified_at is not None
    assert client.post(f"/challenges/{challenge.slug}/team", data={"name": "Owls", "accept": "yes"}).status_code == 302
    assert client.get(f"/challenges/{challenge.slug}/files/sample_submission.csv").status_code == 200
    assert _actions(user)[:3] == ["user.register", "user.verification_sent", "user.email_verified"]


def test_the_api_answers_an_unverified_caller_with_its_own_problem_type(client, ctx, make_open_challenge, make_user, make_team, token_for):
    challenge = make_open_challenge()
    user = make_user(verified=False)
    headers = token_for(user)
    team = make_team(challenge)
    answers = [
        client.post(f"/api/v1/challenges/{challenge.slug}/teams", json={"name": "Owls", "accept_terms": True}, headers=headers),
        client.post(f"/api/v1/teams/{team.id}/members", json={"code": team.invite_code, "accept_terms": True}, headers=headers),
        client.get(f"/api/v1/challenges/{challenge.slug}/files/sample_submission.csv", headers=headers),
        client.post(f"/api/v1/challenges/{challenge.slug}/submissions",
                    data={"file": (io.BytesIO(_sample(challenge)), "p.csv")}, headers=headers),
    ]
    for answer in answers:
        assert answer.status_code == 403, answer.get_json()
        body = answer.get_json()
        assert body["type"] == "urn:ultrathon:problem:unverified-email"
        assert "verify your e-mail address first" in body["detail"] and "Resend" in body["detail"]
    user.email_verified_at = utcnow()
    db.session.commit()
    assert client.post(f"/api/v1/challenges/{challenge.slug}/teams", json={"name": "Owls", "accept_terms": True},
                       headers=headers).status_code == 201


def test_a_link_works_once(client, ctx, caplog):
    link = _register(client, caplog)
    assert client.get(link).status_code == 302
    again = client.get(link)
    assert again.status_code == 400
    assert "This verification link has been used already" in again.get_data(as_text=True)
    assert client.get("/verify-email/not-a-token").status_code == 400


def test_a_link_expires(client, app, ctx, caplog, monkeypatch):
    link = _register(client, caplog)
    later = utcnow() + timedelta(seconds=VERIFY_LIFETIME_S + 60)
    monkeypatch.setitem(app.config, "CLOCK", lambda: later)
    expired = client.get(link)
    assert expired.status_code == 400
    assert "This verification link has expired" in expired.get_data(as_text=True)
    assert find_user("ada@example.org").email_verified_at is None


def test_resend_mails_a_new_link_and_is_rate_limited(client, ctx, caplog):
    _register(client, caplog)
    user = find_user("ada@example.org")
    response = client.post("/account/verify")
    assert response.status_code == 302
    assert len(_links(caplog)) == 2
    assert client.get(_links(caplog)[-1]).status_code == 302
    db.session.refresh(user)
    assert user.email_verified_at is not None
    assert "user.verification_resent" in _actions(user)
    statuses = [client.post("/account/verify").status_code for _ in range(6)]
    assert statuses[-1] == 429


def test_operators_create_verified_accounts(runner, ctx):
    from ultrathon.cli import cli

    result = runner.invoke(cli, ["users", "create", "ops@example.org", "--name", "Ops", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert find_user("ops@example.org").email_verified_at is not None
