"""Pydantic's errors in the organiser's words and language: at the keys they wrote, saying what was expected."""

from __future__ import annotations

import re
import typing
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel

from ultrathon.i18n import N_, gettext as _, ngettext

from .vocabulary import ZONE_EXAMPLE, Path, closest, did_you_mean


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


# What a YAML value is, in plain words; alone ("got text 'five'") and as the thing it is ("it is a list").
_KINDS = {"mapping": (N_("mapping"), N_("a mapping")), "list": (N_("list"), N_("a list")),
          "boolean": (N_("boolean"), N_("a boolean")), "number": (N_("number"), N_("a number")),
          "text": (N_("text"), N_("a text")), "null": (N_("null"), N_("null")),
          "date": (N_("date"), N_("a date"))}


def _kind(value: Any) -> str:
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
    if isinstance(value, (date, datetime)):
        return "date"
    return "null" if value is None else type(value).__name__


def kind_of(value: Any, article: bool = False) -> str:
    """Return what a YAML value is, in plain words: mapping, list, number, text... (with article: a list)."""
    kind = _kind(value)
    return _(_KINDS[kind][article]) if kind in _KINDS else kind


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


def meant_key(root: type[BaseModel], path: Path) -> str | None:
    """Return the known key an unknown one at `path` is most likely a misspelling of, if any."""
    model = _model_at(root, path[:-1])
    return closest(str(path[-1]), list(model.model_fields)) if model and path else None


_DATE_AND_TIME = N_("should be a date and time with a zone, e.g. %(example)s")
_TYPE_MESSAGES = {
    "string_type": N_("should be text"),
    "int_type": N_("should be a whole number"),
    "int_parsing": N_("should be a whole number"),
    "int_from_float": N_("should be a whole number"),
    "float_type": N_("should be a number"),
    "float_parsing": N_("should be a number"),
    "bool_type": N_("should be true or false"),
    "bool_parsing": N_("should be true or false"),
    "list_type": N_("should be a list, e.g. [a, b]"),
    "dict_type": N_("should be a mapping of keys"),
    "model_type": N_("should be a mapping of keys"),
    "model_attributes_type": N_("should be a mapping of keys"),
    "datetime_type": _DATE_AND_TIME,
    "datetime_parsing": _DATE_AND_TIME,
    "datetime_from_date_parsing": _DATE_AND_TIME,
}
# Pydantic's limits, each with the ctx keys its message names.
_LIMIT_MESSAGES = {
    "greater_than": N_("should be greater than %(gt)s"),
    "greater_than_equal": N_("should be greater than or equal to %(ge)s"),
    "less_than": N_("should be less than %(lt)s"),
    "less_than_equal": N_("should be less than or equal to %(le)s"),
    "multiple_of": N_("should be a multiple of %(multiple_of)s"),
    "finite_number": N_("should be a finite number"),
}
# Fixed-choice keys whose value has a name of its own in the message ("unknown task ..."); else "value".
_UNKNOWN_CHOICE: dict[Path, str] = {
    ("task",): N_("unknown task %(value)s; %(hint)s"),
    ("leaderboard", "ci_method"): N_("unknown interval method %(value)s; %(hint)s"),
}
_UNKNOWN_VALUE = N_("unknown value %(value)s; %(hint)s")


def error_message(detail: dict, path: Path, root: type[BaseModel]) -> str:
    """Return one pydantic error about the key at `path` of the `root` model as a plain sentence."""
    kind, given, context = detail["type"], detail.get("input"), detail.get("ctx") or {}
    if kind == "missing":
        return _("missing: this key is required")
    if kind == "extra_forbidden":
        model = _model_at(root, path[:-1])
        known = list(model.model_fields) if model else []
        return _("unknown key %(key)s; %(hint)s", key=repr(path[-1]), hint=did_you_mean(str(path[-1]), known))
    if kind == "literal_error" and (choices := _literal_choices(root, path)):
        close = closest(str(given), choices)
        hint = (_("did you mean %(name)s?", name=repr(close)) if close
                else _("one of %(choices)s", choices=", ".join(choices)))
        return _(_UNKNOWN_CHOICE.get(path, _UNKNOWN_VALUE), value=repr(given), hint=hint)
    if kind == "string_pattern_mismatch" and path == ("slug",):
        return _("should be 3-64 lowercase letters, digits and hyphens, e.g. flchain-survival")
    if kind in _TYPE_MESSAGES:
        return _("%(expected)s, got %(kind)s %(value)s", expected=_(_TYPE_MESSAGES[kind], example=ZONE_EXAMPLE),
                 kind=kind_of(given), value=_short(given))
    if kind in _LIMIT_MESSAGES:  # a whole limit as pydantic writes it: 500, not 500.0
        return _(_LIMIT_MESSAGES[kind], **{key: int(value) if isinstance(value, float) and value.is_integer() else value
                                          for key, value in context.items()})
    return _sized_message(kind, context) or _other_message(detail)


def _sized_message(kind: str, context: dict) -> str | None:
    """Return the message of a length limit (of text or of a list), or None for another kind of error."""
    if kind == "string_too_short":
        return ngettext("should have at least %(num)s character", "should have at least %(num)s characters",
                        context["min_length"])
    if kind == "string_too_long":
        return ngettext("should have at most %(num)s character", "should have at most %(num)s characters",
                        context["max_length"])
    if kind == "too_short":
        return ngettext("should have at least %(num)s item, not %(actual)s",
                        "should have at least %(num)s items, not %(actual)s",
                        context["min_length"], actual=context.get("actual_length"))
    if kind == "too_long":
        return ngettext("should have at most %(num)s item, not %(actual)s",
                        "should have at most %(num)s items, not %(actual)s",
                        context["max_length"], actual=context.get("actual_length"))
    return None


def _other_message(detail: dict) -> str:
    """Return our own validators' message, a pattern or a choice said in the language, else pydantic's English."""
    kind, context = detail["type"], detail.get("ctx") or {}
    if kind in ("value_error", "assertion_error") and context.get("error") is not None:
        return str(context["error"])  # raised in our validators, already in the current language
    if kind == "string_pattern_mismatch":
        return _("should match the pattern %(pattern)s", pattern=repr(context.get("pattern", "")))
    if kind == "literal_error":
        words = re.findall(r"'([^']*)'", str(context.get("expected", "")))
        if len(words) > 1:
            return _("should be %(choices)s or %(last)s", choices=", ".join(map(repr, words[:-1])), last=repr(words[-1]))
    message = detail["msg"]  # a rare kind: pydantic's own English
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
