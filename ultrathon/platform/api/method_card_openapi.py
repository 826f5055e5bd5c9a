"""The method card's part of the OpenAPI document (joined to the rest by openapi._document)."""

from __future__ import annotations

from typing import Any

from ..method_cards.service import EXTRA_LIMIT, LIMITS
from .openapi import NO_NUL, SUBMISSION_ID, _errors, _json, _json_body, _operation, obj, ref


def _text(name: str, description: str) -> dict[str, Any]:
    return {"type": "string", "maxLength": LIMITS[name], "pattern": f"^{NO_NUL}*$", "description": description}


CARD_SCHEMAS: dict[str, Any] = {
    "MethodCardInput": {
        **obj([], title=_text("title", "One line naming the method."),
              description=_text("description", "Markdown; shown with the team's own HTML as text."),
              code_url=_text("code_url", "An http:// or https:// link to the code.")),
        "additionalProperties": {"type": "string", "maxLength": EXTRA_LIMIT,
                                 "description": "The challenge's own fields (method_card.fields), by name."},
    },
    "MethodCard": obj(
        ["title", "description", "code_url", "fields", "updated_at"],
        title={"type": "string"}, description={"type": "string", "description": "Markdown, as the team wrote it."},
        code_url={"type": "string"}, updated_at={"type": "string", "format": "date-time"},
        fields={"type": "object", "additionalProperties": {"type": "string"},
                "description": "The challenge's own fields by name; \"\" where left empty."},
    ),
}

CARD_PATHS: dict[str, Any] = {
    "/api/v1/submissions/{id}/method-card": {"put": _operation(
        "put_method_card", "Replace a submission's method card (fields left out become empty), until the close.",
        {"200": _json("The submission, with its card.", ref("Submission")), **_errors(400, 401, 403, 404)},
        parameters=[SUBMISSION_ID], tags=["submissions"], body=_json_body("MethodCardInput"))},
}
