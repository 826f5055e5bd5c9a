"""The OpenAPI 3.1 document of the API, written out in Python; a test keeps it true to the routes."""

from __future__ import annotations

from copy import deepcopy
from functools import lru_cache
from typing import Any

from ultrathon import __version__
from ultrathon.scorers.horizon_table import ROW_FIELDS as HORIZON_FIELDS

from ..submissions.uploads import MAX_NOTE
from ..teams.service import MAX_TEAM_NAME
from .leaderboard_schema import LEADERBOARD_SCHEMAS
from .pagination import CURSOR_PATTERN, DEFAULT_LIMIT, MAX_LIMIT
from .schema_parts import NEXT_CURSOR, NO_NUL, NULLABLE_INT, NULLABLE_NUMBER, NULLABLE_TIME, TIME, nullable, obj, ref

EXAMPLE_SLUG = "breast-cancer-diagnosis"


SCHEMAS: dict[str, Any] = {
    "Problem": {
        **obj(
            ["type", "title", "status", "detail"],
            type={"type": "string", "format": "uri", "description": "about:blank, or urn:ultrathon:problem:<name> (docs/api.md lists them)"},
            title={"type": "string"},
            status={"type": "integer", "minimum": 400, "maximum": 599},
            detail={"type": "string", "description": "What went wrong and where, in one sentence."},
            problems={"type": "array", "items": {"anyOf": [ref("FileProblem"), ref("FieldProblem")]},
                      "description": "For an invalid file: each problem with its row and column; for an invalid body "
                                     "(a method card): each with its field."},
            quota=ref("Quota"),
        ),
        "description": "RFC 9457 problem details; every API error is one.",
    },
    "FileProblem": obj(
        ["row", "column", "message"],
        row={**NULLABLE_INT, "description": "Line number in the file, the header being line 1; null for the whole file."},
        column={"type": ["string", "null"]},
        message={"type": "string"},
    ),
    "FieldProblem": obj(["field", "message"], field={"type": "string"}, message={"type": "string"}),
    "Quota": obj(
        ["per_day", "used_today", "remaining_today", "resets_at", "total", "used_total", "remaining_total"],
        per_day={"type": "integer"},
        used_today={"type": "integer"},
        remaining_today={"type": "integer"},
        resets_at={**TIME, "description": "When the daily count starts again (midnight UTC)."},
        total=NULLABLE_INT,
        used_total={"type": "integer"},
        remaining_total=NULLABLE_INT,
    ),
    "ChallengeSummary": obj(
        ["slug", "title", "summary", "task", "state", "opens_at", "closes_at", "url"],
        slug={"type": "string"},
        title={"type": "string"},
        summary={"type": "string"},
        task={"type": "string", "enum": ["binary", "multiclass", "regression", "survival"]},
        state={"type": "string", "enum": ["upcoming", "open", "closed"]},
        opens_at=TIME,
        closes_at=TIME,
        url={"type": "string"},
    ),
    "ChallengeList": obj(
        ["items", "next_cursor"],
        items={"type": "array", "items": ref("ChallengeSummary")},
        next_cursor=NEXT_CURSOR,
    ),
    "Challenge": {
        "allOf": [
            ref("ChallengeSummary"),
            obj(
                ["description", "metric", "id_column", "prediction_columns", "limits", "terms", "files", "team", "organiser"],
                description={"type": "string", "description": "The challenge's README, in Markdown."},
                metric=obj(
                    ["primary", "secondary", "higher_is_better"],
                    primary={"type": "string"},
                    secondary={"type": "array", "items": {"type": "string"}},
                    higher_is_better={"type": "boolean"},
                ),
                id_column={"type": "string"},
                prediction_columns={"type": "array", "items": {"type": "string"}},
                max_mb={"type": ["number", "null"]},
                limits=obj(
                    ["per_day", "total", "final_selections", "team_size"],
                    per_day=NULLABLE_INT, total=NULLABLE_INT, final_selections=NULLABLE_INT, team_size=NULLABLE_INT,
                ),
                terms=obj(["version", "text", "text_sha256", "language", "accepted"], version={"type": "string"},
                          text={"type": "string"}, text_sha256={"type": "string"}, language={"type": "string"},
                          accepted={"type": "boolean"}),
                files={"type": "array", "items": ref("File")},
                team=nullable(ref("Team")),
                organiser={"type": "boolean"},
            ),
        ],
    },
    "File": obj(
        ["name", "size", "sha256", "url"],
        name={"type": "string"},
        size={"type": "integer"},
        sha256={"type": "string"},
        url={"type": "string"},
        released_at={**NULLABLE_TIME, "description": "When the phase that releases the file opens; null for a file out "
                                                     "from the start. Teams see a file once it is out."},
    ),
    "Team": obj(
        ["id", "name", "challenge", "members", "invite_code", "created_at"],
        id={"type": "integer"},
        name={"type": "string"},
        challenge={"type": "string"},
        members={"type": "array", "items": obj(["name", "role"], name={"type": "string"}, role={"type": "string"})},
        invite_code={"type": ["string", "null"], "description": "Shown to the team's members only."},
        created_at=TIME,
    ),
    "NewTeam": obj(
        ["name"],
        name={"type": "string", "minLength": 1, "maxLength": MAX_TEAM_NAME,
              "pattern": f"^{NO_NUL}*[A-Za-z0-9]{NO_NUL}*$"},
        accept_terms={"type": "boolean", "description": "Accept the challenge's data-use terms (needed once)."},
        answers=ref("AccessAnswers"),  # the access request made with the team change (access_openapi.py)
    ),
    "JoinTeam": obj(
        ["code"],
        code={"type": "string", "minLength": 1, "pattern": f"^{NO_NUL}*$", "description": "The team's invite code."},
        accept_terms={"type": "boolean"},
        answers=ref("AccessAnswers"),
    ),
    "NewSubmission": obj(
        ["file"],
        file={"type": "string", "format": "binary", "contentMediaType": "text/csv", "minLength": 1,
              "description": "The predictions: a CSV file with the challenge's `id_column` and `prediction_columns`, "
                             "one row per test id, at most `max_mb` MB. A file that breaks the challenge's format "
                             "is a 400 of type invalid-submission, its `problems` listing each row and column; "
                             "a larger one is a 413."},
        note={"type": "string", "maxLength": MAX_NOTE, "pattern": f"^{NO_NUL}*$"},
    ),
    "SubmissionAccepted": obj(
        ["id", "status", "url", "quota"],
        id={"type": "integer"},
        status={"type": "string", "enum": ["queued", "scoring", "scored", "failed"]},
        url={"type": "string", "description": "Where to follow the submission."},
        quota=ref("Quota"),
    ),
    "Scores": nullable({"type": "object", "additionalProperties": NULLABLE_NUMBER,
                        "description": "metric name -> value, rounded to the challenge's decimals"}),
    "HorizonTable": nullable(obj(
        ["ci_level", "n_resamples", "rows"], ci_level={"type": "number", "description": "The level of every interval."},
        n_resamples={"type": "integer", "description": "Bootstrap resamples of the percentile intervals."},
        rows={"type": "array", "items": obj(list(HORIZON_FIELDS), **{name: {"type": "number"} if name == "horizon" else NULLABLE_NUMBER
                                                                    for name in HORIZON_FIELDS})},
    )),
    "SiteScore": {"oneOf": [
        obj(["score", "ci_low", "ci_high", "n_rows"], score=NULLABLE_NUMBER, ci_low=NULLABLE_NUMBER, ci_high=NULLABLE_NUMBER,
            n_rows={"type": "integer", "description": "The site's rows of the split."}),
        {"type": "string", "enum": ["pending"], "description": "The site has not reported yet."}]},
    "SubmissionSites": nullable(obj(
        ["public", "private"],
        public={"type": "object", "additionalProperties": ref("SiteScore"), "description": "site -> its primary score and CI."},
        private=nullable({"type": "object", "additionalProperties": ref("SiteScore"),
                          "description": "The same on the private rows; null until the close, as private."}),
    )),
    "Submission": obj(
        ["id", "challenge", "team", "status", "created_at", "scored_at", "public", "private", "error"],
        id={"type": "integer"},
        challenge={"type": "string", "description": "The challenge's slug."},
        team={"type": "string", "description": "The team's name."},
        status={"type": "string", "enum": ["queued", "scoring", "scored", "failed"]},
        created_at=TIME,
        scored_at=NULLABLE_TIME,
        metric={"type": ["string", "null"], "description": "The primary metric."},
        public=ref("Scores"),
        private={**ref("Scores"), "description": "null until the challenge closes (organisers see it earlier)."},
        ci_level={"type": "number", "description": "The level of ci_low..ci_high, e.g. 0.95 (the challenge's leaderboard.ci_level)."},
        ci_low=NULLABLE_NUMBER,
        ci_high=NULLABLE_NUMBER,
        private_ci_low=NULLABLE_NUMBER,
        private_ci_high=NULLABLE_NUMBER,
        public_filled={**NULLABLE_INT, "description": "Public rows whose missing prediction was filled (submission.missing)."},
        private_filled={**NULLABLE_INT, "description": "The same for private rows; null while private scores are hidden."},
        public_horizons={**ref("HorizonTable"), "description": "td_auc and IPCW Brier per horizon of survival curves (public rows)."},
        private_horizons={**ref("HorizonTable"), "description": "The same on the private rows; null until the close, as private."},
        error={"type": ["string", "null"], "description": "Why a failed submission failed."},
        problems=nullable({"type": "array", "items": ref("FileProblem")}),
        note={"type": "string"},
        filename={"type": "string"},
        size={"type": "integer"},
        sha256={"type": "string"},
        selected={"type": "boolean"},
        scorer_version={"type": ["string", "null"]},
        sites={**ref("SubmissionSites"), "description": "A challenge scored at several sites: each site's score per split, "
                                                         "rounded to the challenge's decimals; null for other challenges "
                                                         "and for failed or cancelled submissions."},
        method_card=nullable({**ref("MethodCard"), "description": "The team's method card; null until it fills one."}),
    ),
    "SubmissionList": obj(
        ["items", "next_cursor", "team", "quota"],
        items={"type": "array", "items": ref("Submission")},
        next_cursor=NEXT_CURSOR,
        team=nullable(ref("Team")),
        quota=nullable(ref("Quota")),
    ),
    **LEADERBOARD_SCHEMAS,
}


def _problem(description: str, *, retry_after: bool = False) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/problem+json": {"schema": ref("Problem")}},
    }
    if retry_after:
        response["headers"] = {"Retry-After": {
            "description": "Seconds to wait before trying again.", "required": True,
            "schema": {"type": "integer", "minimum": 0},
        }}
    return response


RESPONSES = {
    "BadRequest": _problem("The request is malformed; `detail` names the parameter or field (and `problems` the rows)."),
    "Unauthorized": {**_problem("No token, or one that is unknown, expired or revoked."),
                     "headers": {"WWW-Authenticate": {"required": True, "schema": {"type": "string"}}}},
    "Forbidden": _problem("The caller may not do this (terms not accepted, not in a team, not an organiser, ...)."),
    "NotFound": _problem("No such resource, or none the caller may see."),
    "Conflict": _problem("The request clashes with the current state."),
    "TooLarge": _problem("The request body is larger than the server or the challenge accepts."),
    "TooManyRequests": _problem("Rate limit per token, or the submission quota, the team's or the caller's own (see `quota`).", retry_after=True),
}


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    names = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 409: "Conflict",
             413: "TooLarge", 429: "TooManyRequests"}
    # Any operation may meet a malformed request (400) or the token's rate limit (429).
    return {str(code): {"$ref": f"#/components/responses/{names[code]}"} for code in sorted({400, *codes, 429})}


SLUG = {"name": "slug", "in": "path", "required": True, "description": "The challenge's slug.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 64}, "example": EXAMPLE_SLUG}
SUBMISSION_ID = {"name": "id", "in": "path", "required": True,
                 "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}, "example": 1}
LIMIT = {"name": "limit", "in": "query", "required": False,
         "description": f"Items per page (default {DEFAULT_LIMIT}).",
         "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}}
CURSOR = {"name": "cursor", "in": "query", "required": False,
          "description": "The `next_cursor` of the previous page (six characters); any other is a 400.",
          "schema": {"type": "string", "pattern": CURSOR_PATTERN}}
TOKEN = [{"bearerAuth": []}]
TOKEN_OR_NONE = [{}, {"bearerAuth": []}]


def _operation(operation_id: str, summary: str, responses: dict[str, Any], *, security=TOKEN,
               parameters: list | None = None, body: dict | None = None, tags: list[str]) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "summary": summary,
        "tags": tags,
        "security": security,
        "responses": responses,
    }
    if parameters:
        operation["parameters"] = parameters
    if body:
        operation["requestBody"] = body
    return operation


def _json_body(schema_name: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": ref(schema_name)}}}


PATHS: dict[str, Any] = {
    "/api/v1/openapi.json": {"get": _operation(
        "openapi", "This document.", {"200": _json("The OpenAPI document.", {"type": "object"}), **_errors()},
        security=TOKEN_OR_NONE, tags=["meta"])},
    "/api/v1/challenges": {"get": _operation(
        "list_challenges", "List the loaded challenges.",
        {"200": _json("One page of challenges.", ref("ChallengeList")), **_errors(400, 401)},
        security=TOKEN_OR_NONE, parameters=[LIMIT, CURSOR], tags=["challenges"])},
    "/api/v1/challenges/{slug}": {"get": _operation(
        "challenge_detail", "Describe a challenge: rules, metric, public files, the caller's team.",
        {"200": _json("The challenge.", ref("Challenge")), **_errors(401, 404)},
        security=TOKEN_OR_NONE, parameters=[SLUG], tags=["challenges"])},
    "/api/v1/challenges/{slug}/files/{name}": {"get": _operation(
        "download_file", "Download a public file (needs the challenge's terms accepted).",
        {"200": {"description": "The file.", "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
         **_errors(401, 403, 404)},
        parameters=[SLUG, {"name": "name", "in": "path", "required": True, "schema": {"type": "string", "minLength": 1},
                           "example": "train.csv", "description": "A name from the challenge's `files`."}],
        tags=["challenges"])},
    "/api/v1/challenges/{slug}/teams": {"post": _operation(
        "create_team_route", "Create a team, with the caller as its owner.",
        {"201": _json("The new team.", ref("Team")), **_errors(400, 401, 403, 404, 409)},
        parameters=[SLUG], body=_json_body("NewTeam"), tags=["teams"])},
    "/api/v1/teams/{id}/members": {"post": _operation(
        "join_team_route", "Join a team with its invite code.",
        {"201": _json("The team joined.", ref("Team")), **_errors(400, 401, 403, 404, 409)},
        parameters=[{**SUBMISSION_ID, "description": "The team's id."}], body=_json_body("JoinTeam"), tags=["teams"])},
    "/api/v1/challenges/{slug}/submissions": {
        "post": _operation(
            "upload_submission", "Upload a prediction file for scoring.",
            {"202": {**_json("Accepted and queued; follow `url` until `status` is scored or failed.",
                             ref("SubmissionAccepted")),
                     "headers": {"Location": {"required": True, "schema": {"type": "string"}}}},
             **_errors(400, 401, 403, 404, 413)},
            parameters=[SLUG],
            body={"required": True, "content": {"multipart/form-data": {"schema": ref("NewSubmission")}}},
            tags=["submissions"]),
        "get": _operation(
            "list_submissions", "List the caller's team's submissions, newest first, with its quota.",
            {"200": _json("One page of submissions.", ref("SubmissionList")), **_errors(400, 401, 404)},
            parameters=[SLUG, LIMIT, CURSOR], tags=["submissions"]),
    },
    "/api/v1/submissions/{id}": {"get": _operation(
        "get_submission", "Show a submission: status, public score, error.",
        {"200": _json("The submission.", ref("Submission")), **_errors(401, 404)},
        parameters=[SUBMISSION_ID], tags=["submissions"])},
    "/api/v1/submissions/{id}/selection": {
        "put": _operation(
            "select_submission_route", "Choose a scored submission as a final one.",
            {"200": _json("The submission, now selected.", ref("Submission")), **_errors(401, 403, 404, 409)},
            parameters=[SUBMISSION_ID], tags=["submissions"]),
        "delete": _operation(
            "unselect_submission_route", "Unchoose a final submission.",
            {"200": _json("The submission, no longer selected.", ref("Submission")), **_errors(401, 403, 404)},
            parameters=[SUBMISSION_ID], tags=["submissions"]),
    },
    "/api/v1/challenges/{slug}/leaderboard": {"get": _operation(
        "leaderboard", "Ranked standings with confidence intervals.",
        {"200": _json("One page of the standings.", ref("Leaderboard")), **_errors(400, 401, 403, 404)},
        security=TOKEN_OR_NONE,
        parameters=[SLUG, {"name": "split", "in": "query", "required": False,
                           "description": "private is 403 for all but organisers until the close and, "
                                          "under results.publish: manual, until they publish (results-being-verified).",
                           "schema": {"type": "string", "enum": ["public", "private"], "default": "public"}},
                    LIMIT, CURSOR],
        tags=["leaderboard"])},
    "/api/v1/challenges/{slug}/events": {"get": _operation(
        "events", "Server-sent events: `event: leaderboard` with `data: {\"slug\": ...}` when standings change.",
        {"200": {"description": "An endless event stream; comments are keep-alives.",
                 "content": {"text/event-stream": {"schema": {"type": "string"}}}},
         **_errors(401, 404)},
        security=TOKEN_OR_NONE, parameters=[SLUG], tags=["leaderboard"])},
}


@lru_cache(maxsize=1)
def _document() -> dict[str, Any]:
    from .agent_openapi import AGENT_PATHS, AGENT_SCHEMAS, AGENT_SECURITY  # it builds on the helpers above
    from .commitment_openapi import COMMITMENT_PATHS, COMMITMENT_SCHEMAS
    from .access_openapi import ACCESS_PATHS, ACCESS_SCHEMAS
    from .method_card_openapi import CARD_PATHS, CARD_SCHEMAS
    from .phase_openapi import PHASE_SCHEMAS, add_phases, combined_path

    paths, schemas = deepcopy(PATHS), deepcopy(SCHEMAS)
    add_phases(paths, schemas)
    paths.update(combined_path(_operation, _json, _errors, SLUG, TOKEN_OR_NONE))

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Ultrathon API",
            "version": __version__,
            "description": "Challenges, teams, submissions and leaderboards. Authenticate with "
                           "`Authorization: Bearer <token>`; errors are application/problem+json. "
                           "docs/api.md has a worked example.",
        },
        "paths": {**paths, **CARD_PATHS, **COMMITMENT_PATHS, **ACCESS_PATHS, **AGENT_PATHS},
        "components": {
            "schemas": {**schemas, **CARD_SCHEMAS, **COMMITMENT_SCHEMAS, **ACCESS_SCHEMAS, **AGENT_SCHEMAS, **PHASE_SCHEMAS},
            "responses": RESPONSES,
            "securitySchemes": {"bearerAuth": {
                "type": "http", "scheme": "bearer",
                "description": "A token from the account page or `ultrathon tokens create EMAIL` (starts with ut_).",
            }, **AGENT_SECURITY},
        },
    }


def openapi_document() -> dict[str, Any]:
    """Return the OpenAPI document (a copy the caller may change)."""
    return deepcopy(_document())
