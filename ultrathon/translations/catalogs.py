"""Extract the messages marked for translation and keep each language's catalog in step with them."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po, write_po

from ..i18n import LANGUAGE_NAMES, LANGUAGES, SOURCE_LANGUAGE, catalog_path

PACKAGE_DIR = Path(__file__).resolve().parents[1]
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "_l": None, "lazy_ngettext": (1, 2)}
METHODS = [
    ("translations/**", "ignore"),
    ("**.py", "python"),
    ("platform/templates/**.html", "jinja2"),
    ("platform/templates/**.txt", "jinja2"),
]
# The same whitespace rule as the app's templates (languages/choice.py): {% trans %} text is trimmed.
OPTIONS = {"platform/templates/**": {"trimmed": "true", "extensions": "jinja2.ext.do"}}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdrf]|\{(\w*)\}")
CATALOG_DATE = datetime(2026, 12, 3, tzinfo=timezone.utc)
TRANSLATED = tuple(language for language in LANGUAGES if language != SOURCE_LANGUAGE)


@dataclass(frozen=True)
class Gap:
    """A message a language's catalog lacks, or translates with other placeholders."""

    language: str
    message: str
    why: str


def extract() -> Catalog:
    """Return every message marked in the package's code and templates."""
    template = Catalog(project="Ultrathon")
    for filename, lineno, message, comments, context in extract_from_dir(
        PACKAGE_DIR, METHODS, OPTIONS, keywords=KEYWORDS, strip_comment_tags=True,
    ):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def read_catalog(language: str) -> Catalog:
    """Return a language's catalog as kept, or an empty one."""
    path = catalog_path(language)
    if not path.exists():
        return _empty_catalog(language)
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def update(template: Catalog | None = None) -> dict[str, int]:
    """Rewrite each catalog with exactly the marked messages, keeping their translations; return gaps by language."""
    template = template or extract()
    missing = {}
    for language in TRANSLATED:
        kept = read_catalog(language)
        fresh = _empty_catalog(language)
        for message in template:
            if not message.id:
                continue
            old = kept.get(message.id, context=message.context)
            string = old.string if old is not None else ("", "") if isinstance(message.id, tuple) else ""
            fresh[message.id] = Message(message.id, string, context=message.context)
        write_catalog(language, fresh)
        missing[language] = len(gaps_in(template, fresh))
    return missing


def _empty_catalog(language: str) -> Catalog:
    # Fixed header dates: a rewrite that changes no message changes no line, and merges stay clean.
    return Catalog(locale=language, project="Ultrathon", fuzzy=False, creation_date=CATALOG_DATE,
                   revision_date=CATALOG_DATE, header_comment=f"# Ultrathon's messages in {LANGUAGE_NAMES[language]}.")


def write_catalog(language: str, catalog: Catalog) -> None:
    """Write a catalog sorted, without locations or line wrapping, so that merges stay small."""
    path = catalog_path(language)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=0, no_location=True, sort_output=True, ignore_obsolete=True)


def gaps_in(template: Catalog, catalog: Catalog) -> list[Gap]:
    """Return each marked message the catalog leaves untranslated, or translates with other placeholders."""
    gaps = []
    for message in template:
        if not message.id:
            continue
        entry = catalog.get(message.id, context=message.context)
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = () if entry is None else entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if entry is None or entry.fuzzy or not strings or not all(strings):
            gaps.append(Gap(catalog.locale_identifier, ids[0], "no translation"))
        elif any(_placeholders(text) != _placeholders(ids[-1]) for text in strings[1:]) or (
            _placeholders(strings[0]) != _placeholders(ids[0]) and _placeholders(strings[0]) != _placeholders(ids[-1])
        ):
            gaps.append(Gap(catalog.locale_identifier, ids[0], "placeholders differ from the English"))
    return gaps


def _placeholders(text: str) -> set[str]:
    return {named or braced for named, braced in PLACEHOLDER.findall(text)}


def all_gaps() -> list[Gap]:
    """Return every gap in every translated language."""
    template = extract()
    return [gap for language in TRANSLATED for gap in gaps_in(template, read_catalog(language))]
