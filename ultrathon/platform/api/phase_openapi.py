"""The OpenAPI document's parts for phases: the `phase` parameter and field, and the combined leaderboard."""

from __future__ import annotations

from typing import Any

from .schema_parts import NULLABLE_INT, NULLABLE_NUMBER, obj, ref

PHASE_SLUG = {"type": "string", "minLength": 1, "maxLength": 64}
PHASE = {"name": "phase", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 64},
         "description": "The phase's slug (`phases[].slug`); the challenge's current phase when absent or empty. "
                        "A challenge without phases has one, `main`. An unknown phase is a 404."}
PHASE_FIELD = {**PHASE_SLUG, "description": "The phase's slug (`phases[].slug`)."}
PHASED_OPERATIONS = (("/api/v1/challenges/{slug}/leaderboard", "get"), ("/api/v1/challenges/{slug}/submissions", "get"),
                     ("/api/v1/challenges/{slug}/submissions", "post"))

PHASE_SCHEMAS: dict[str, Any] = {
    "CombinedLeaderboard": obj(
        ["challenge", "combine_phases", "phases", "entries"],
        challenge={"type": "string"},
        combine_phases={"type": "string", "enum": ["final_phase_only", "mean_rank"]},
        phases={"type": "array", "items": obj(
            ["slug", "title", "ranks_shown"], slug={"type": "string"}, title={"type": "string"},
            ranks_shown={"type": "boolean", "description": "False while that phase's private board is not shown "
                                                           "to the caller: its ranks are then null."})},
        entries={"type": "array", "items": obj(
            ["rank", "team", "team_id", "mean_rank", "score", "phase_ranks"],
            rank={"type": "integer"}, team={"type": "string"}, team_id={"type": "integer"},
            mean_rank={**NULLABLE_NUMBER, "description": "Under mean_rank: the mean of the team's private ranks."},
            score={**NULLABLE_NUMBER, "description": "The team's private score in the last phase."},
            phase_ranks={"type": "object", "additionalProperties": NULLABLE_INT,
                         "description": "phase slug -> the team's private rank there (null: absent or not shown)."})}),
}


def combined_path(operation, json_response, errors, slug, token_or_none) -> dict[str, Any]:
    """Return the path of the combined leaderboard, built with openapi.py's helpers."""
    return {"/api/v1/challenges/{slug}/leaderboard/combined": {"get": operation(
        "combined_leaderboard", "The ranking across a challenge's phases (combine_phases); a one-phase challenge's "
        "is its private board's order. 403 (results-being-verified after the close) until the final phase's "
        "private board is shown to the caller.",
        {"200": json_response("The combined ranking.", ref("CombinedLeaderboard")), **errors(401, 403, 404)},
        security=token_or_none, parameters=[slug], tags=["leaderboard"])}}


def add_phases(paths: dict[str, Any], schemas: dict[str, Any]) -> None:
    """Add the `phase` parameter to the operations that take it and the `phase` field to what names one."""
    for path, method in PHASED_OPERATIONS:
        paths[path][method]["parameters"].insert(1, PHASE)
    for name in ("Submission", "SubmissionAccepted", "SubmissionList"):
        schemas[name]["properties"]["phase"] = PHASE_FIELD
        schemas[name]["required"].append("phase")
    schemas["NewSubmission"]["properties"]["phase"] = {
        "type": "string", "maxLength": 64, "description": "The phase to submit to (its slug); the current phase by default."}
