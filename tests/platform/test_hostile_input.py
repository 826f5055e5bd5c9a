"""No address answers 5xx, whatever is put in its path, query string or form, for any kind of visitor."""

from __future__ import annotations

import re
from io import BytesIO
from urllib.parse import quote, urlencode, urlsplit

import pytest

ORGANISER = "organiser@example.org"  # listed in every demo challenge's YAML

# Each one has broken a page before: '²' passes str.isdigit() but not int(), 30 digits overflow
# any database integer, 5000 digits int() itself, NUL PostgreSQL.
HOSTILE = ["", "²", "9" * 30, "9" * 5000, "\x00"]
SHARP = ("²", "9" * 30)  # also tried one argument at a time where all at once is refused
HOSTILE_NAMES = ["²", "9" * 5000, "\x00"]  # for a path argument naming a thing (an empty one routes nowhere)
HOSTILE_IDS = [str(2**31), "9" * 30]  # for <int:...>, which refuses non-digits itself; 2**31 overflows only PostgreSQL
# Every name a route reads from the query string (grep request.args) and from a form.
QUERY_ARGS = ("team", "page", "split", "cursor", "limit", "status", "from", "to", "g", "next", "code")
FORM_FIELDS = ("email", "name", "password", "confirm", "remember", "reason", "note", "rescore", "code",
               "accept", "choose", "back", "next")
# Answers that are a route's own word, not a failure: readiness reports 503 while no worker runs.
EXPECTED = {("health.readyz", 503)}


@pytest.fixture
def world(app, make_open_challenge, make_user, make_team, make_submission, token_for, run_worker):
    """An open challenge with scored submissions, its organiser, a team member, and a real value per path argument."""
    from ultrathon.platform.auth.tokens import create_token
    from ultrathon.platform.extensions import db, limiter

    challenge = make_open_challenge()
    organiser = make_user(ORGANISER, "Olga Organiser")
    team = make_team(challenge, name="Owls")
    member = team.memberships[0].user
    submission = make_submission(challenge, team)
    make_submission(challenge)  # another team's
    run_worker()
    revocable, _ = create_token(member, "to revoke")
    from ultrathon.platform.governance.models import AccessRequest
    asked = AccessRequest(challenge_id=challenge.id, user_id=member.id, answers={}, status="pending")
    db.session.add(asked)
    db.session.commit()
    real = {
        "slug": challenge.slug,
        "name": challenge.files[0].name,
        "submission_id": str(submission.id),
        "team_id": str(team.id),
        "token_id": str(revocable.id),
        "user_id": str(member.id),  # a participant the organiser may suspend
        "request_id": str(asked.id),  # an access request the organiser may decide
        "token": "not-a-reset-token",
        "filename": "ultrathon.css",
        "job_id": "lease-1-000000000000",  # an agent job: the walkers' tokens are refused there (401)
        "fmt": "csv",  # an access log's format
    }
    sample = next(f.content for f in challenge.files if f.name == "sample_submission.csv")
    users = {  # the organiser first: the one who reaches the most pages
        "organiser": (_session_cookie(app, organiser), token_for(organiser)),
        "member": (_session_cookie(app, member), token_for(member)),
        "anonymous": (None, {}),
    }
    db.session.remove()  # requests share the test's app context: start them from a clean session
    limiter.enabled = False  # a 429 would hide what the request behind it does
    yield real, users, sample
    limiter.enabled = True


def _session_cookie(app, user) -> str:
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    return client.get_cookie("session").value


def _path(rule, values: dict[str, str]) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: quote(values[m[1]], safe=""), rule.rule)


def _hostile_paths(rule, real: dict[str, str]) -> list[str]:
    """Return the rule's address with one path argument at a time made hostile, the others real."""
    paths = []
    for converter, name in re.findall(r"<(?:(\w+)[^:>]*:)?(\w+)>", rule.rule):
        hostile = HOSTILE_IDS if converter == "int" else HOSTILE_NAMES
        paths += [_path(rule, {**real, name: value}) for value in hostile]
    return paths


def _with_query(path: str, args: dict[str, str]) -> str:
    return path + "?" + urlencode(args, quote_via=quote)


def _bodies(sample: bytes, api: bool) -> list[dict]:
    """Return what a writing method is sent beside nothing: hostile forms (JSON for the API), bad files."""
    bodies = []
    for value in HOSTILE:
        bodies.append({"query_string": dict.fromkeys(QUERY_ARGS, value), "data": dict.fromkeys(FORM_FIELDS, value)})
        if api and value:
            bodies.append({"json": dict.fromkeys(FORM_FIELDS, value)})
    cr_only = sample.replace(b"\r\n", b"\n").replace(b"\n", b"\r")  # as old Mac software saves it
    for content in (cr_only, b"\x00" * 64):
        bodies.append({"files": {"file": content}, "data": {"note": "x", "name": "x"}})
    return bodies


def test_no_route_answers_5xx_to_hostile_input(app, world):
    """Walk every route of the URL map as anonymous, team member and organiser; list every 5xx."""
    from ultrathon.platform.extensions import db

    real, users, sample = world
    rules = sorted(app.url_map.iter_rules(), key=lambda r: r.rule)
    unknown = {name for rule in rules for name in rule.arguments if name not in real}
    assert not unknown, f"give the path arguments {sorted(unknown)} a real value in the world fixture"
    failures: list[str] = []
    asked = 0
    probed: set[tuple[str, str]] = set()

    def ask(who: str, rule, method: str, path: str, body: dict | None = None) -> int | None:
        nonlocal asked
        asked += 1
        cookie, token = users[who]
        # A fresh client each time: a logout or a flashed message must not change who asks next.
        client = app.test_client()
        if cookie:
            client.set_cookie("session", cookie)
        body = dict(body or {})
        files = body.pop("files", {})
        if files:  # a file object is read once: a new one per request
            body["data"] = {**body["data"], **{k: (BytesIO(v), "predictions.csv") for k, v in files.items()}}
        status = None
        try:
            response = client.open(path, method=method, headers=token if path.startswith("/api/") else {},
                                   buffered=False, **body)
            try:
                if response.mimetype != "text/event-stream":  # a stream never ends: its status is enough
                    response.get_data()
                status = response.status_code
            finally:
                response.close()
            failed = status >= 500 and (rule.endpoint, status) not in EXPECTED
            outcome = status
        except Exception as exc:  # the test app raises a page's exception where production answers 500
            failed, outcome = True, f"{type(exc).__name__}: {str(exc)[:160]}"
        finally:
            db.session.rollback()  # a failed request must not leave the shared session aborted
        if failed:
            shown = path if len(path) <= 160 else path[:150] + "…"
            failures.append(f"{rule.endpoint} as {who}: {method} {shown!r} {sorted(body)} -> {outcome}")
        if status is not None and 300 <= status < 400 and urlsplit(response.location).path == "/login":
            return 401  # sent to log in: the route was not reached
        return status

    for who in users:
        for rule in rules:
            real_path = _path(rule, real)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                plain = ask(who, rule, method, real_path)
                if plain in (401, 403):
                    continue  # the caller is turned away before any argument is read
                for path in _hostile_paths(rule, real):
                    ask(who, rule, method, path)
                if method != "GET":
                    for body in _bodies(sample, real_path.startswith("/api/")):
                        ask(who, rule, method, real_path, body)
                    continue
                if plain == 404:
                    continue  # not this caller's to see, whatever the query says
                for value in HOSTILE:
                    status = ask(who, rule, method, _with_query(real_path, dict.fromkeys(QUERY_ARGS, value)))
                    reached, refused = plain is not None and plain < 400, status is not None and 400 <= status < 500
                    if value in SHARP and reached and refused and (rule.rule, value) not in probed:
                        # One argument refused may have hidden what another would do. Each is
                        # read alike for every caller, so the first caller who reaches the page tries.
                        probed.add((rule.rule, value))
                        for name in QUERY_ARGS:
                            ask(who, rule, method, _with_query(real_path, {name: value}))
    assert not failures, f"{len(failures)} of {asked} requests failed:\n" + "\n".join(failures)


def test_a_nul_character_is_refused_saying_where_it_was(client, make_challenge):
    """NUL is refused before any view, since PostgreSQL fails on one: 404 in the address, else 400."""
    slug = make_challenge().slug
    form = client.post("/login", data={"email": "a\x00@example.org", "password": "x"})
    assert form.status_code == 400 and "form field &#39;email&#39;: NUL characters are not allowed" in form.text
    query = client.get(f"/challenges/{slug}/leaderboard", query_string={"split": "pub\x00lic"})
    assert query.status_code == 400 and "query parameter &#39;split&#39;: NUL characters are not allowed" in query.text
    assert client.get(f"/challenges/{slug}%00").status_code == 404
    api = client.get("/api/v1/challenges", query_string={"limit": "\x00"})
    assert api.status_code == 400 and api.get_json()["detail"] == "query parameter 'limit': NUL characters are not allowed"
