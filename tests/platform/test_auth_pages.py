"""Account pages: registering, logging in and out, CSRF, the log-in rate limit, cookies."""

from __future__ import annotations

import pytest

from ultrathon.platform.extensions import db
from ultrathon.platform.models import AuditEvent, User

PASSWORD = "correct horse battery staple"


def users() -> list[User]:
    return list(db.session.execute(db.select(User)).scalars())


def login(client, email, password=PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def test_register_creates_an_account_with_an_argon2_hash_and_logs_in(client, ctx):
    response = client.post("/register", data={
        "email": "Ada@Example.org", "name": "Ada", "password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 302
    [user] = users()
    assert user.email == "ada@example.org"
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert client.get("/account").status_code == 200  # the new account is logged in
    assert db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "user.register")).scalar_one()


@pytest.mark.parametrize("form, field_message", [
    ({"email": "ada@example.org", "name": "Ada", "password": "short pass", "confirm": "short pass"},
     "The password must be at least 12 characters long."),
    ({"email": "ada@example.org", "name": "Ada", "password": PASSWORD, "confirm": PASSWORD + "x"},
     "The two passwords differ."),
    ({"email": "not-an-address", "name": "Ada", "password": PASSWORD, "confirm": PASSWORD},
     "This is not an e-mail address."),
    ({"email": "ada@example.org", "name": "", "password": PASSWORD, "confirm": PASSWORD},
     "Enter the name others will see."),
])
def test_register_refuses_bad_input_with_the_fields_message_and_creates_nothing(client, ctx, form, field_message):
    response = client.post("/register", data=form)
    assert response.status_code == 400
    assert field_message in response.get_data(as_text=True)
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert users() == []


def test_register_refuses_an_address_that_has_an_account(client, make_user):
    make_user("ada@example.org")
    response = client.post("/register", data={"email": "ADA@example.org", "name": "Ada 2", "password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 400
    assert "An account for ada@example.org exists already." in response.get_data(as_text=True)
    assert len(users()) == 1


def test_login_with_a_wrong_password_or_unknown_address_says_so_alike(client, make_user):
    user = make_user()
    wrong = login(client, user.email, "wrong password here")
    unknown = login(client, "nobody@example.org")
    for response in (wrong, unknown):
        assert response.status_code == 400
        assert "That e-mail address and password do not match an account." in response.get_data(as_text=True)
    assert client.get("/account").status_code == 302  # still logged out


def test_login_sets_the_session_and_follows_next_only_within_the_site(client, make_user):
    user = make_user()
    response = client.post("/login?next=/account", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302 and response.location == "/account"
    client.post("/logout")
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = client.post("/login", query_string={"next": target}, data={"email": user.email, "password": PASSWORD})
        assert response.location == "/", target
        client.post("/logout")


def test_a_disabled_account_cannot_log_in(client, make_user):
    user = make_user()
    user.is_active_account = False
    db.session.commit()
    response = login(client, user.email)
    assert response.status_code == 403
    assert "This account has been disabled" in response.get_data(as_text=True)


def test_logout_needs_a_post_so_a_link_cannot_log_anyone_out(client, make_user):
    user = make_user()
    login(client, user.email)
    page = client.get("/logout")
    assert page.status_code == 200 and "Log out" in page.get_data(as_text=True)
    assert client.get("/account").status_code == 200  # the GET changed nothing
    assert client.post("/logout").status_code == 302
    assert client.get("/account").status_code == 302


def test_login_attempts_are_rate_limited_with_a_clear_page(client, make_user):
    user = make_user()
    for _ in range(10):
        assert login(client, user.email, "wrong password here").status_code == 400
    blocked = login(client, user.email)  # even the right password waits: guessing must stop
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) >= 1
    text = blocked.get_data(as_text=True)
    assert "Too many attempts" in text and "try again" in text
    assert client.get("/account").status_code == 302
    assert client.get("/login").status_code == 200  # reading the form is not limited


def test_forms_without_a_csrf_token_are_refused(app, make_user):
    from ultrathon.platform.app import create_app

    user = make_user()
    guarded = create_app({"ULTRATHON": app.config["ULTRATHON"], "WTF_CSRF_ENABLED": True})
    client = guarded.test_client()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    with guarded.app_context():
        page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302


def test_anonymous_pages_set_no_cookie(client, make_challenge):
    challenge = make_challenge()
    for path in ("/", f"/challenges/{challenge.slug}"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers.getlist("Set-Cookie") == [], path


def test_production_cookies_are_secure_and_http_only(tmp_path):
    from ultrathon.platform.config import flask_config, load_settings

    settings = load_settings({"ULTRATHON_ENV": "production", "SECRET_KEY": "x" * 32, "ULTRATHON_INSTANCE": str(tmp_path)})
    config = flask_config(settings)
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]
    assert config["SESSION_COOKIE_HTTPONLY"] and config["REMEMBER_COOKIE_HTTPONLY"]
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"
