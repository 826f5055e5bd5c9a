"""The OpenAPI document and the routes agree, both ways, method by method."""

import random
import re
import string

import pytest

from ultrathon.platform.api.errors import ApiProblem
from ultrathon.platform.api.openapi import openapi_document
from ultrathon.platform.api.pagination import CURSOR_PATTERN, MAX_POSITION, decode_cursor, encode_cursor

HTTP_METHODS = {"get", "put", "post", "delete", "patch"}


def routed_operations(app) -> set[tuple[str, str, str]]:
    """Return (path template, method, endpoint) for every API route, in OpenAPI's spelling."""
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.add((_shape(path), method.lower(), rule.endpoint.removeprefix("api.")))
    return found


def documented_operations(document) -> set[tuple[str, str, str]]:
    return {
        (_shape(path), method, operation["operationId"])
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }


def _shape(path: str) -> str:
    # Parameter names may differ (the route's submission_id is the document's id); places may not.
    return re.sub(r"\{[^}]+\}", "{}", path)


def test_every_route_is_documented_and_every_documented_path_is_routed(app):
    routed, documented = routed_operations(app), documented_operations(openapi_document())
    assert routed, "no API routes found"
    assert routed - documented == set(), "routes missing from the OpenAPI document"
    assert documented - routed == set(), "documented operations no route serves"


def test_the_document_is_served_and_is_openapi_3_1(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    document = response.get_json()
    assert document["openapi"] == "3.1.0"
    assert document == openapi_document()


def test_every_reference_resolves_and_every_path_parameter_is_declared():
    document = openapi_document()
    text = str(document)
    for kind, name in re.findall(r"'#/components/(schemas|responses)/([^']+)'", text):
        assert name in document["components"][kind], f"{kind}/{name} is referenced but not defined"
    for path, item in document["paths"].items():
        for method, operation in item.items():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == set(re.findall(r"\{([^}]+)\}", path)), (method, path)
            assert all(str(code).isdigit() for code in operation["responses"]), (method, path)


@pytest.mark.parametrize("status", ["400", "429"])
def test_every_operation_documents_its_common_errors_as_problems(status):
    document = openapi_document()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert status in operation["responses"], (method, path)
    problem = document["components"]["responses"]["TooManyRequests"]
    assert "application/problem+json" in problem["content"] and problem["headers"]["Retry-After"]["required"]


def test_the_documented_cursor_shape_is_exactly_the_cursors_the_api_issues():
    rng = random.Random(6)
    for position in [0, 1, 50, MAX_POSITION, *rng.sample(range(MAX_POSITION), 2000)]:
        cursor = encode_cursor(position)
        assert re.fullmatch(CURSOR_PATTERN, cursor) and decode_cursor(cursor) == position
    alphabet = string.ascii_letters + string.digits + "-_="
    for length in range(9):
        for _ in range(300):
            cursor = "".join(rng.choice(alphabet) for _ in range(length))
            if re.fullmatch(CURSOR_PATTERN, cursor):
                assert encode_cursor(decode_cursor(cursor)) == cursor
            else:
                with pytest.raises(ApiProblem):
                    decode_cursor(cursor)
    document = openapi_document()
    cursors = [p for item in document["paths"].values() for op in item.values() for p in op.get("parameters", [])
               if p["name"] == "cursor"]
    assert len(cursors) == 3 and all(p["schema"]["pattern"] == CURSOR_PATTERN for p in cursors)


def test_schemathesis_accepts_the_document(app):
    import schemathesis

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    labels = {operation.ok().label for operation in schema.get_all_operations()}
    documented = {f"{method.upper()} {path}" for path, item in openapi_document()["paths"].items() for method in item}
    # Schemathesis leaves out the operation that serves the document itself.
    assert labels == documented - {"GET /api/v1/openapi.json"}


def test_the_answers_of_a_whole_session_match_the_document(client, make_challenge, make_user, run_worker):
    """Walk the happy paths and the usual refusals; each answer must fit its documented response."""
    from io import BytesIO

    import schemathesis

    from ultrathon.platform.auth.tokens import create_token
    from ultrathon.platform.extensions import db

    schema = schemathesis.openapi.from_dict(openapi_document())
    challenge = make_challenge("breast-cancer-diagnosis")
    challenge.spec = {**challenge.spec, "limits": {**challenge.spec["limits"], "per_day": 1}}
    owner, friend, organiser = make_user(), make_user(), make_user("organiser@example.org")
    headers = {}
    for user in (owner, friend, organiser):
        headers[user.id] = {"Authorization": f"Bearer {create_token(user)[1]}"}
    db.session.commit()
    sample = next(f.content for f in challenge.files if f.name == "sample_submission.csv")
    base = "/api/v1/challenges/breast-cancer-diagnosis"

    def check(path: str, method: str, response, status: int):
        assert response.status_code == status, (method, path, response.get_data(as_text=True))
        schema[path][method].validate_response(response)
        return response.get_json(silent=True)

    def upload(data: bytes):
        return client.post(f"{base}/submissions", headers=headers[owner.id],
                           data={"file": (BytesIO(data), "p.csv")}, content_type="multipart/form-data")

    slug_path = "/api/v1/challenges/{slug}"
    check("/api/v1/challenges", "GET", client.get("/api/v1/challenges"), 200)
    check(slug_path, "GET", client.get(base), 200)
    team = check(slug_path + "/teams", "POST", client.post(
        f"{base}/teams", json={"name": "Owls", "accept_terms": True}, headers=headers[owner.id]), 201)
    check("/api/v1/teams/{id}/members", "POST", client.post(
        f"/api/v1/teams/{team['id']}/members", json={"code": team["invite_code"], "accept_terms": True},
        headers=headers[friend.id]), 201)
    check(slug_path, "GET", client.get(base, headers=headers[owner.id]), 200)
    check(slug_path + "/files/{name}", "GET", client.get(f"{base}/files/train.csv", headers=headers[owner.id]), 200)
    check(slug_path + "/files/{name}", "GET", client.get(f"{base}/files/solution.csv", headers=headers[owner.id]), 404)
    check(slug_path + "/submissions", "POST", upload(b"patient_id,probability\nP1,x\n"), 400)
    accepted = check(slug_path + "/submissions", "POST", upload(sample), 202)
    check(slug_path + "/submissions", "POST", upload(sample), 429)
    check(slug_path + "/submissions", "GET", client.get(f"{base}/submissions", headers=headers[friend.id]), 200)
    run_worker()
    one = "/api/v1/submissions/{id}"
    check(one, "GET", client.get(accepted["url"], headers=headers[friend.id]), 200)
    check(one, "GET", client.get(accepted["url"], headers=headers[organiser.id]), 200)
    check(one, "GET", client.get(accepted["url"]), 401)
    check(one + "/selection", "PUT", client.put(f"{accepted['url']}/selection", headers=headers[owner.id]), 200)
    check(one + "/selection", "DELETE", client.delete(f"{accepted['url']}/selection", headers=headers[owner.id]), 200)
    check(slug_path + "/leaderboard", "GET", client.get(f"{base}/leaderboard"), 200)
    check(slug_path + "/leaderboard", "GET", client.get(f"{base}/leaderboard?split=private", headers=headers[owner.id]), 403)
    check(slug_path + "/leaderboard", "GET", client.get(f"{base}/leaderboard?split=private", headers=headers[organiser.id]), 200)
