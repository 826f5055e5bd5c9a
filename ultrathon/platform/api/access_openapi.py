"""The access request's part of the OpenAPI document (joined to the rest by openapi._document)."""

from __future__ import annotations

from typing import Any

from ultrathon.spec.access import MAX_ANSWER

from .openapi import SLUG, _errors, _json, _json_body, _operation
from .schema_parts import NO_NUL, NULLABLE_TIME, TIME, nullable, obj, ref

ACCESS_SCHEMAS: dict[str, Any] = {
    "AccessAnswers": {
        "type": "object",
        "additionalProperties": {"type": "string", "maxLength": MAX_ANSWER, "pattern": f"^{NO_NUL}*$"},
        "description": "An answer to each of the challenge's access.questions, by name; required ones must be there.",
    },
    "NewAccessRequest": {**obj([], answers=ref("AccessAnswers")), "additionalProperties": False},
    "AccessRequest": obj(
        ["approval", "questions", "state"],
        approval={"type": "string", "enum": ["open", "required"]},
        # Built by hand: a property named "required" cannot pass through obj()'s keywords.
        questions={"type": "array", "items": {"type": "object", "required": ["name", "label", "required"], "properties": {
            "name": {"type": "string"}, "label": {"type": "string"}, "required": {"type": "boolean"}}}},
        state={"type": "string", "enum": ["none", "pending", "approved", "refused"],
               "description": "none: no request made yet; refused: a new one may be made."},
        id={"type": "integer"},
        answers={"type": "object", "additionalProperties": {"type": "string"}},
        created_at=TIME,
        decided_at=NULLABLE_TIME,
        reason=nullable({"type": "string", "description": "The organisers' reason for a refusal."}),
        approved_by_domain=nullable({"type": "string", "description": "The allowed e-mail domain that approved it at once."}),
    ),
}

ACCESS_PATHS: dict[str, Any] = {
    "/api/v1/challenges/{slug}/access-request": {
        "get": _operation(
            "get_access_request", "The caller's access request in force, with its state and a refusal's reason.",
            {"200": _json("The access request (state none when there is none).", ref("AccessRequest")),
             **_errors(401, 403, 404)},
            parameters=[SLUG], tags=["teams"]),
        "post": _operation(
            "post_access_request", "Ask to take part, answering the challenge's questions; "
                                   "approved at once under open approval or with an allowed e-mail domain.",
            {"201": _json("The access request made.", ref("AccessRequest")), **_errors(400, 401, 403, 404, 409)},
            parameters=[SLUG], tags=["teams"], body=_json_body("NewAccessRequest")),
    },
}
