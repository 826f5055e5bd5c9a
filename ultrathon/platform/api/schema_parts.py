"""Building blocks of the OpenAPI document: shared value schemas and the helpers that compose them."""

from __future__ import annotations

from typing import Any

from .pagination import CURSOR_PATTERN

TIME = {"type": "string", "format": "date-time"}
NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
NULLABLE_NUMBER = {"type": ["number", "null"]}
NULLABLE_INT = {"type": ["integer", "null"]}
NO_NUL = "[^\\x00]"  # no text the API stores may hold NUL (PostgreSQL refuses it)
NEXT_CURSOR = {"type": ["string", "null"], "pattern": CURSOR_PATTERN,
               "description": "Pass it as `cursor` for the next page; null on the last page."}


def ref(name: str) -> dict[str, str]:
    """Return a reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def obj(required: list[str], **properties: Any) -> dict[str, Any]:
    """Return an object schema with these properties, the listed ones required."""
    return {"type": "object", "required": required, "properties": properties}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """Return a schema that also admits null."""
    return {"oneOf": [schema, {"type": "null"}]}
