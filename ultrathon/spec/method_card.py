"""The method card a final entry carries: `method_card: {required: [...], fields: [...]}`."""

from __future__ import annotations

from pydantic import Field

from ultrathon.i18n import gettext as _

from .strict import StrictModel
from .vocabulary import Path

# Every card has these; `fields` adds the challenge's own, under names of their own.
STANDARD_FIELDS: tuple[str, ...] = ("title", "description", "code_url")
FIELD_NAME_RULE = r"^[a-z][a-z0-9_]{0,39}$"


class CardField(StrictModel):
    """One field the organisers add to the card, e.g. {name: features, label: Features used, required: true}."""

    name: str = Field(pattern=FIELD_NAME_RULE)
    label: str = Field(min_length=1, max_length=100)
    required: bool = False


class MethodCardSpec(StrictModel):
    """What a final entry's card must hold; by default nothing is required, so choosing stays as it was."""

    required: list[str] = Field(default_factory=list)
    fields: list[CardField] = Field(default_factory=list)

    @property
    def required_names(self) -> list[str]:
        """Return every field a final entry's card must fill: those listed, then the fields marked required."""
        return list(dict.fromkeys(self.required + [f.name for f in self.fields if f.required]))

    @property
    def labels(self) -> dict[str, str]:
        """Return each field's label, the standard ones first (theirs in the current language)."""
        standard = {"title": _("Title"), "description": _("Description"), "code_url": _("Code URL")}
        return {**standard, **{f.name: f.label for f in self.fields}}


def method_card_problems(raw: dict) -> list[tuple[Path, str]]:
    """Return what is wrong across method_card's keys: unknown required names, clashing field names."""
    card = raw.get("method_card")
    if not isinstance(card, dict):
        return []
    fields = card.get("fields") if isinstance(card.get("fields"), list) else []
    names = [f.get("name") for f in fields if isinstance(f, dict) and isinstance(f.get("name"), str)]
    out: list[tuple[Path, str]] = []
    seen: set[str] = set()
    for i, field in enumerate(fields):
        name = field.get("name") if isinstance(field, dict) else None
        if name in STANDARD_FIELDS:
            out.append((("method_card", "fields", i, "name"), _(
                "%(name)s is a standard card field already; give this field another name", name=repr(name))))
        elif name in seen:
            out.append((("method_card", "fields", i, "name"), _("field %(name)s is listed twice", name=repr(name))))
        if isinstance(name, str):
            seen.add(name)
    required = card.get("required") if isinstance(card.get("required"), list) else []
    known = list(STANDARD_FIELDS) + names
    for i, name in enumerate(required):
        if isinstance(name, str) and name not in known:
            out.append((("method_card", "required", i), _("%(name)s is not a card field; the card has %(fields)s",
                                                          name=repr(name), fields=", ".join(known))))
    return out
