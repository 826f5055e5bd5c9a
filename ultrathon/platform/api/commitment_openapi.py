"""The commitments' part of the OpenAPI document (joined to the rest by openapi._document)."""

from __future__ import annotations

from typing import Any

from ..phases.commitments import LABEL_LIMIT, SHA256_PATTERN
from .openapi import NO_NUL, SLUG, _errors, _json, _json_body, _operation, obj, ref
from .schema_parts import TIME

PHASE_QUERY = {"name": "phase", "in": "query", "required": False,
               "description": "A phase slug; by default the next phase to open, else the current one.",
               "schema": {"type": "string", "maxLength": 64}}

COMMITMENT_SCHEMAS: dict[str, Any] = {
    "NewCommitment": obj(
        ["sha256"],
        sha256={"type": "string", "pattern": SHA256_PATTERN, "description": "The archive's SHA-256, 64 hex digits."},
        phase={"type": "string", "maxLength": 64, "pattern": f"^{NO_NUL}*$",
               "description": "The phase it is for; by default the next one that has not opened."},
        label={"type": "string", "maxLength": LABEL_LIMIT, "pattern": f"^{NO_NUL}*$",
               "description": "What the archive is, in the team's words."},
    ),
    "Commitment": obj(
        ["id", "team", "phase", "sha256", "label", "made_at", "made_by", "in_force"],
        id={"type": "integer"}, team={"type": "string"}, phase={"type": "string"},
        sha256={"type": "string", "pattern": "^[0-9a-f]{64}$"}, label={"type": "string"}, made_at=TIME,
        made_by={"type": ["string", "null"]},
        in_force={"type": "boolean", "description": "The team's latest commitment made before the phase opened."},
    ),
    "CommitmentList": obj(
        ["phase", "opens_at", "open_for_commitments", "team", "items"],
        phase={"type": "string"}, opens_at=TIME, team={"type": ["string", "null"]},
        open_for_commitments={"type": "boolean", "description": "Whether the phase has not opened, so it takes new ones."},
        items={"type": "array", "items": ref("Commitment")},
    ),
}

COMMITMENT_PATHS: dict[str, Any] = {
    "/api/v1/challenges/{slug}/commitments": {
        "post": _operation(
            "make_commitment_route", "Commit the SHA-256 of the team's model or code archive before a phase opens.",
            {"201": _json("The commitment made.", ref("Commitment")), **_errors(400, 401, 403, 404, 409)},
            parameters=[SLUG], body=_json_body("NewCommitment"), tags=["teams"]),
        "get": _operation(
            "list_commitments", "List the caller's team's commitments for a phase, oldest first.",
            {"200": _json("The phase and the team's commitments for it.", ref("CommitmentList")), **_errors(401, 404)},
            parameters=[SLUG, PHASE_QUERY], tags=["teams"]),
    },
}
