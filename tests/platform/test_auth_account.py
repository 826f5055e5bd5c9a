"""The account page: the display name and API tokens (list, create shown once, revoke)."""

from __future__ import annotations

import re

from ultrathon.platform.auth.tokens import user_for_token
from ultrathon.platform.extensions import db
from ultrathon.platform.models import ApiToken

PASSWORD = "correct horse battery staple"


def logged_in(client, user):
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    return client


def test_the_account_page_needs_a_login(client, ctx):
    response = client.get("/account")
    assert response.status_code == 302 and response.location.startswith("/login?next=")


def test_a_new_token_is_shown_once_and_works(client, make_user):
    user = make_user()
    logged_in(client, user)
    response = client.post("/account/tokens", data={"token-name": "laptop"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    secret = re.search(r'value="(ut_[^"]+)"', response.get_data(as_text=True)).group(1)
    assert user_for_token(secret).id == user.id
    token = db.session.execute(db.select(ApiToken)).scalar_one()
    assert token.name == "laptop" and token.token_hash != secret

    later = client.get("/account").get_data(as_text=True)
    assert secret not in later  # never shown again
    assert token.prefix in later and "laptop" in later


def test_revoking_a_token_stops_it_and_another_users_token_is_not_found(client, make_user):
    user, other = make_user(), make_user()
    logged_in(client, user)
    page = client.post("/account/tokens", data={"token-name": "ci"}).get_data(as_text=True)
    secret = re.search(r'value="(ut_[^"]+)"', page).group(1)
    token = db.session.execute(db.select(ApiToken)).scalar_one()

    from ultrathon.platform.auth.tokens import create_token

    others_token, others_secret = create_token(other, "theirs")
    db.session.commit()
    assert client.post(f"/account/tokens/{others_token.id}/revoke").status_code == 404
    assert user_for_token(others_secret) is not None

    response = client.post(f"/account/tokens/{token.id}/revoke")
    assert response.status_code == 302
    db.session.expire_all()
    assert user_for_token(secret) is None
    assert "revoked" in client.get("/account").get_data(as_text=True)


def test_a_too_long_token_name_is_refused_and_creates_nothing(client, make_user):
    logged_in(client, make_user())
    response = client.post("/account/tokens", data={"token-name": "x" * 101})
    assert response.status_code == 400
    assert "A token name has at most 100 characters." in response.get_data(as_text=True)
    assert db.session.execute(db.select(ApiToken)).first() is None


def test_the_display_name_can_be_changed_but_not_emptied(client, make_user):
    user = make_user(name="Ada")
    logged_in(client, user)
    refused = client.post("/account", data={"profile-name": "   "})
    assert refused.status_code == 400 and "Enter the name others will see." in refused.get_data(as_text=True)
    assert client.post("/account", data={"profile-name": "Ada Lovelace"}).status_code == 302
    db.session.refresh(user)
    assert user.name == "Ada Lovelace"
