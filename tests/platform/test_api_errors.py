"""Every error under /api is application/problem+json; bearer tokens decide who is calling."""

from datetime import timedelta

import pytest

from ultrathon.platform.auth.tokens import create_token, revoke_token
from ultrathon.platform.extensions import db
from ultrathon.platform.models import ApiToken, AuditEvent, utcnow


@pytest.fixture
def token(ctx, make_user):
    """A live token of a fresh user."""
    user = make_user()
    _, secret = create_token(user, "test")
    db.session.commit()
    return secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert set(body) >= {"type", "title", "status", "detail"}
    assert body["status"] == status and body["detail"]
    return body


@pytest.mark.parametrize("path", ["/api/v1/nothing-here", "/api/v2/challenges", "/api/", "/api/v1/challenges/a/b/c/d"])
def test_an_unrouted_api_path_is_a_problem_not_an_html_page(client, path):
    body = assert_problem(client.get(path), 404)
    assert body["type"] == "urn:ultrathon:problem:not-found"


def test_a_wrong_method_is_405_with_the_allowed_ones(client):
    response = client.delete("/api/v1/challenges")
    body = assert_problem(response, 405)
    assert "GET" in response.headers["Allow"]
    assert "DELETE is not allowed" in body["detail"]


def test_a_page_outside_the_api_keeps_its_own_error_format(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype != "application/problem+json"


def test_an_operation_that_needs_a_token_says_so(client, make_challenge):
    make_challenge()
    response = client.get("/api/v1/challenges/breast-cancer-diagnosis/submissions")
    body = assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Bearer <token>" in body["detail"]


@pytest.mark.parametrize("header", ["Token abc", "Bearer", "Basic dXNlcjpwYXNz", "Bearer ut_not-a-real-token", "Bearer x"])
def test_a_malformed_or_unknown_token_is_refused_even_where_none_is_needed(client, header):
    response = client.get("/api/v1/challenges", headers={"Authorization": header})
    assert_problem(response, 401)


@pytest.mark.parametrize("header, challenge", [
    (None, 'Bearer realm="ultrathon"'),
    ("Basic dXNlcjpwYXNz", 'Bearer realm="ultrathon"'),  # another scheme: RFC 6750 names no error
    ("Bearer", 'Bearer realm="ultrathon", error="invalid_request"'),
    ("Bearer ut_not-a-real-token", 'Bearer realm="ultrathon", error="invalid_token"'),
])
def test_a_401_asks_for_a_bearer_token_and_says_what_was_wrong_with_the_one_sent(
        client, make_challenge, header, challenge):
    make_challenge()
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/challenges/breast-cancer-diagnosis/submissions", headers=headers)
    assert_problem(response, 401)
    assert response.headers.get_all("WWW-Authenticate") == [challenge]


def test_a_live_token_is_accepted_and_its_last_use_recorded(client, token):
    row = db.session.execute(db.select(ApiToken)).scalar_one()
    assert row.last_used_at is None
    assert client.get("/api/v1/challenges", headers=bearer(token)).status_code == 200
    db.session.expire_all()
    used = db.session.execute(db.select(ApiToken)).scalar_one().last_used_at
    assert used is not None and utcnow() - used < timedelta(minutes=1)


def test_a_token_used_again_within_the_minute_is_not_written_again(client, token):
    from sqlalchemy import event

    assert client.get("/api/v1/challenges", headers=bearer(token)).status_code == 200
    writes: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE"):
            writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        assert client.get("/api/v1/challenges", headers=bearer(token)).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert writes == []


def test_a_token_is_stored_hashed_with_a_recognisable_prefix_and_a_180_day_expiry(token):
    row = db.session.execute(db.select(ApiToken)).scalar_one()
    assert token.startswith("ut_") and row.prefix == token[:10]
    assert token not in row.token_hash
    assert timedelta(days=179, hours=23) < row.expires_at - utcnow() <= timedelta(days=180)


def test_a_revoked_token_stops_working_and_the_revocation_is_audited(client, token):
    assert client.get("/api/v1/challenges", headers=bearer(token)).status_code == 200
    row = db.session.execute(db.select(ApiToken)).scalar_one()
    revoke_token(row, row.user)
    db.session.commit()
    body = assert_problem(client.get("/api/v1/challenges", headers=bearer(token)), 401)
    assert "revoked" in body["detail"]
    actions = db.session.execute(db.select(AuditEvent.action).order_by(AuditEvent.id)).scalars().all()
    assert actions == ["token.create", "token.revoke"]


def test_an_expired_token_stops_working(client, token):
    row = db.session.execute(db.select(ApiToken)).scalar_one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = client.get("/api/v1/challenges", headers=bearer(token))
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="ultrathon", error="invalid_token"'


def test_a_bad_query_parameter_is_400_naming_it(client, token):
    body = assert_problem(client.get("/api/v1/challenges?limit=1000", headers=bearer(token)), 400)
    assert "limit" in body["detail"] and "1 to 100" in body["detail"]
    body = assert_problem(client.get("/api/v1/challenges?cursor=garbage", headers=bearer(token)), 400)
    assert "cursor" in body["detail"]


def test_a_nul_character_is_refused_not_passed_to_the_database(client, token):
    assert_problem(client.get("/api/v1/challenges?cursor=%00", headers=bearer(token)), 400)
    assert_problem(client.get("/api/v1/challenges/a%00b", headers=bearer(token)), 404)


def test_a_form_part_without_a_name_is_answered_not_a_500(client, token):
    # Found by the schema fuzzer: a multipart part with no name reaches the NUL check as None.
    body = b'--B\r\nContent-Disposition: form-data\r\n\r\nzz\r\n--B\r\nContent-Disposition: form-data; name="x"\r\n\r\na\x00b\r\n--B--\r\n'
    response = client.post("/api/v1/challenges/nope/submissions", data=body, headers=bearer(token),
                           content_type="multipart/form-data; boundary=B")
    assert "NUL characters are not allowed" in assert_problem(response, 400)["detail"]
    response = client.post("/api/v1/challenges/nope/submissions", data=body.replace(b"a\x00b", b"ab"), headers=bearer(token),
                           content_type="multipart/form-data; boundary=B")
    assert_problem(response, 404)


def test_an_unexpected_failure_is_a_problem_without_a_trace(client, token, monkeypatch):
    # The one place a fault is injected: nothing real fails on demand, and the envelope must hold.
    from ultrathon.platform.api import routes

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(routes, "keyset_page", broken)
    body = assert_problem(client.get("/api/v1/challenges", headers=bearer(token)), 500)
    assert "secret internals" not in body["detail"] and "Traceback" not in body["detail"]


@pytest.mark.parametrize("after", ["10" * 20, "-1", "1.5", "true", '"5"', "null"])
def test_a_forged_cursor_is_400_not_a_database_error(client, token, after):
    import base64

    cursor = base64.urlsafe_b64encode(f'{{"after": {after}}}'.encode()).decode()
    body = assert_problem(client.get(f"/api/v1/challenges?cursor={cursor}", headers=bearer(token)), 400)
    assert "not a cursor this API issued" in body["detail"]


def test_the_login_session_may_read_but_never_write(app, make_challenge, make_team):
    challenge = make_challenge()
    user = make_team(challenge).memberships[0].user
    browser = app.test_client()
    with browser.session_transaction() as session:
        session["_user_id"] = user.get_id()  # what Flask-Login keeps after a login
        session["_fresh"] = True
    listing = browser.get("/api/v1/challenges/breast-cancer-diagnosis/submissions")
    assert listing.status_code == 200 and listing.get_json()["team"]["id"] == challenge.teams[0].id
    # Writes need a token: the API takes no CSRF token, so a cookie must not be enough.
    write = browser.post("/api/v1/challenges/breast-cancer-diagnosis/teams", json={"name": "Forged", "accept_terms": True})
    assert_problem(write, 401)
