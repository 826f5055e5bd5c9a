"""Pydantic's errors in the organiser's words: at the keys they wrote, saying what was expected."""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel

from .vocabulary import ZONE_EXAMPLE, Path, did_you_mean


def raw_path(raw: Any, loc: tuple, error_type: str) -> Path:
    """Map a pydantic error location onto the keys the organiser wrote, dropping union tags."""
    path: list[str | int] = []
    node = raw
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(node, dict) and part in node:
            path.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path.append(part)
            node = node[part]
        elif isinstance(node, dict) and last and error_type == "missing":
            path.append(part)
        # Anything else is a pydantic union tag such as "survival": not a key anyone wrote.
    return tuple(path)


def kind_of(value: Any) -> str:
    """Return what a YAML value is, in plain words: mapping, list, number, text..."""
    if isinstance(value, dict):
        return "mapping"
    if isinstance(value, list):
        return "list"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "text"
    if value is None:
        return "null"
    return type(value).__name__


def _model_at(root: type[BaseModel], path: Path) -> type[BaseModel] | None:
    """Return the schema model that describes the mapping at a key path."""
    model: type[BaseModel] | None = root
    for part in path:
        if model is None or not isinstance(part, str) or part not in model.model_fields:
            return None
        model = _first_model(model.model_fields[part].annotation)
    return model


def _first_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _first_model(arg)
        if found is not None:
            return found
    return None


_TYPE_MESSAGES = {
    "string_type": "should be text",
    "int_type": "should be a whole number",
    "int_parsing": "should be a whole number",
    "int_from_float": "should be a whole number",
    "float_type": "should be a number",
    "float_parsing": "should be a number",
    "bool_type": "should be true or false",
    "bool_parsing": "should be true or false",
    "list_type": "should be a list, e.g. [a, b]",
    "dict_type": "should be a mapping of keys",
    "model_type": "should be a mapping of keys",
    "model_attributes_type": "should be a mapping of keys",
    "datetime_type": f"should be a date and time with a zone, e.g. {ZONE_EXAMPLE}",
    "datetime_parsing": f"should be a date and time with a zone, e.g. {ZONE_EXAMPLE}",
    "datetime_from_date_parsing": f"should be a date and time with a zone, e.g. {ZONE_EXAMPLE}",
}


# Keys that take one of a few words: what the word names, and the words.
# What a fixed-choice key's value is called in its message ("unknown task ..."); else "value".
_CHOICE_NOUNS: dict[Path, str] = {("task",): "task", ("leaderboard", "ci_method"): "interval method"}


def error_message(detail: dict, path: Path, root: type[BaseModel]) -> str:
    """Return one pydantic error about the key at `path` of the `root` model as a plain sentence."""
    kind, given = detail["type"], detail.get("input")
    if kind == "missing":
        return "missing: this key is required"
    if kind == "extra_forbidden":
        model = _model_at(root, path[:-1])
        known = list(model.model_fields) if model else []
        return f"unknown key {path[-1]!r}; " + did_you_mean(str(path[-1]), known)
    if kind == "literal_error" and (choices := _literal_choices(root, path)):
        what = _CHOICE_NOUNS.get(path, "value")
        hint = did_you_mean(str(given), choices)
        return f"unknown {what} {given!r}; " + (hint if "did you" in hint else "one of " + ", ".join(choices))
    if kind == "string_pattern_mismatch" and path == ("slug",):
        return "should be 3-64 lowercase letters, digits and hyphens, e.g. flchain-survival"
    if kind in _TYPE_MESSAGES:
        return f"{_TYPE_MESSAGES[kind]}, got {kind_of(given)} {_short(given)}"
    message = detail["msg"]
    for prefix in ("Value error, ", "Input "):
        if message.startswith(prefix):
            message = message[len(prefix):]
    return message[:1].lower() + message[1:]


def _literal_choices(root: type[BaseModel], path: Path) -> list[str]:
    """Return the values a Literal key at `path` takes, or [] when it is not one."""
    model = _model_at(root, path[:-1])
    if model is None or not path or path[-1] not in model.model_fields:
        return []
    annotation = model.model_fields[path[-1]].annotation
    return [str(v) for v in typing.get_args(annotation)] if typing.get_origin(annotation) is typing.Literal else []


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
