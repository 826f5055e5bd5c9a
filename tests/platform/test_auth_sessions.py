"""Sessions end with the account: disabling ends sessions and tokens, a password change or reset ends sessions."""

from __future__ import annotations

import io

import pytest

from ultrathon.platform.auth.reset import make_reset_token
from ultrathon.platform.auth.service import disable_user, enable_user
from ultrathon.platform.extensions import db
from ultrathon.platform.models import ApiToken, AuditEvent, Submission

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a brand new and long password"
DEMO = "breast-cancer-diagnosis"
SUBMISSIONS = f"/api/v1/challenges/{DEMO}/submissions"
API = "/api/v1/challenges"  # open to all, but a token that is sent must be live


def logged_in(client, user, *, remember: bool = False):
    data = {"email": user.email, "password": PASSWORD} | ({"remember": "y"} if remember else {})
    assert client.post("/login", data=data).status_code == 302
    assert client.get("/account").status_code == 200
    return client


def logged_out(client) -> bool:
    response = client.get("/account")
    return response.status_code == 302 and response.location.startswith("/login")


def upload(client, data: bytes):
    return client.post(f"/challenges/{DEMO}/submissions", data={"file": (io.BytesIO(data), "p.csv")},
                       headers={"Accept": "application/json"})


@pytest.fixture
def challenge(make_open_challenge):
    return make_open_challenge(DEMO)


@pytest.fixture
def member(challenge, make_team):
    return make_team(challenge).memberships[0].user


def test_a_disabled_accounts_open_session_can_no_longer_upload_or_create_a_token(app, challenge, member):
    sample = next(f.content for f in challenge.files if f.name == "sample_submission.csv")
    browser = logged_in(app.test_client(), member)
    assert upload(browser, sample).status_code == 202

    disable_user(member)
    db.session.commit()

    refused = upload(browser, sample)
    assert refused.status_code == 302 and refused.location.startswith("/login")
    assert browser.post("/account/tokens", data={"token-name": "after"}).status_code == 302
    assert browser.get(SUBMISSIONS).status_code == 401  # the API reads see nobody either
    assert db.session.execute(db.select(db.func.count(Submission.id))).scalar_one() == 1
    assert db.session.execute(db.select(db.func.count(ApiToken.id))).scalar_one() == 0
    assert logged_out(browser)


def test_disabling_ends_sessions_and_tokens_for_good_and_enabling_restores_the_login(app, client, make_user, token_for):
    member = make_user()
    headers = token_for(member)
    assert client.get(API, headers=headers).status_code == 200
    before = logged_in(app.test_client(), member)

    assert disable_user(member) == 1
    db.session.commit()
    refused = client.get(API, headers=headers)
    assert refused.status_code == 401 and refused.mimetype == "application/problem+json"
    assert "the account this token belongs to is disabled" in refused.get_json()["detail"]
    assert db.session.execute(db.select(ApiToken.revoked_at)).scalar_one() is not None

    enable_user(member)
    db.session.commit()
    assert logged_out(before)  # enabling lets the account log in again, not its old sessions back
    logged_in(client, member)
    still = client.get(API, headers=headers)
    assert still.status_code == 401 and "unknown, expired or revoked" in still.get_json()["detail"]
    actions = db.session.execute(db.select(AuditEvent.action).order_by(AuditEvent.id)).scalars().all()
    assert actions[-4:] == ["token.revoke", "user.disable", "user.enable", "user.login"]


def test_a_password_change_logs_out_the_other_sessions_and_keeps_this_one(app, make_user, token_for):
    member = make_user()
    headers = token_for(member)
    this = logged_in(app.test_client(), member, remember=True)
    other = logged_in(app.test_client(), member, remember=True)

    wrong = this.post("/account/password", data={
        "password-current": "not my password at all", "password-password": NEW_PASSWORD, "password-confirm": NEW_PASSWORD})
    assert wrong.status_code == 400 and "The current password is not right." in wrong.get_data(as_text=True)
    assert not logged_out(other)

    changed = this.post("/account/password", data={
        "password-current": PASSWORD, "password-password": NEW_PASSWORD, "password-confirm": NEW_PASSWORD})
    assert changed.status_code == 302 and changed.location == "/account"
    page = this.get("/account")
    assert page.status_code == 200 and "every other session of your account is logged out" in page.get_data(as_text=True)
    assert logged_out(other)
    other.delete_cookie("session")  # nor may its remember cookie alone bring the session back
    assert logged_out(other)
    this.delete_cookie("session")  # this browser was handed a new remember cookie with the new id
    assert this.get("/account").status_code == 200
    assert app.test_client().get(API, headers=headers).status_code == 200  # tokens stay
    assert "user.password_change" in db.session.execute(db.select(AuditEvent.action)).scalars().all()


def test_a_reset_ends_every_session_and_the_tokens_still_work(app, make_user, token_for):
    member = make_user()
    headers = token_for(member)
    sessions = [logged_in(app.test_client(), member) for _ in range(2)]
    path = f"/reset-password/{make_reset_token(member)}"

    done = sessions[0].post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302 and done.location == "/login"
    assert all(logged_out(browser) for browser in sessions)
    assert app.test_client().get(API, headers=headers).status_code == 200
    assert sessions[1].post("/login", data={"email": member.email, "password": PASSWORD}).status_code == 400
    assert sessions[1].post("/login", data={"email": member.email, "password": NEW_PASSWORD}).status_code == 302


def test_a_session_id_from_before_session_versions_no_longer_loads(app, make_user):
    member = make_user()
    browser = app.test_client()
    with browser.session_transaction() as session:
        session["_user_id"] = str(member.id)  # what Flask-Login kept before ids carried a version
        session["_fresh"] = True
    assert logged_out(browser)
