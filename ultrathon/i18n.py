"""The languages Ultrathon speaks, and the translation of messages in and outside a web request."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

SOURCE_LANGUAGE = "en"
LANGUAGES = ("en", "da", "sv")
# Each language's name in itself: the picker offers a language to those who read it, not English.
LANGUAGE_NAMES = {"en": "English", "da": "Dansk", "sv": "Svenska"}
TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
DOMAIN = "messages"

_spoken: ContextVar[str | None] = ContextVar("ultrathon_spoken_language", default=None)
_ambient_source: list[Callable[[], str | None]] = []  # the web request's language, set by the platform


def catalog_path(language: str) -> Path:
    """Return where a language's catalog is kept."""
    return TRANSLATIONS_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=None)
def translations(language: str) -> NullTranslations:
    """Return a language's translations, read straight from its .po catalog (no compiled file to go stale)."""
    path = catalog_path(language)
    if language == SOURCE_LANGUAGE or not path.exists():
        return NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    # An entry without a translation must fall back to English, not read as an empty string.
    for message in list(catalog):
        if message.id and not _is_translated(message):
            del catalog[message.id]
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def _is_translated(message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return not message.fuzzy and all(strings)


def set_ambient_language(source: Callable[[], str | None]) -> None:
    """Let the web platform say which language the current request speaks."""
    _ambient_source[:] = [source]


def current_language() -> str:
    """Return the language messages are written in now: an explicit choice, the request's, else English."""
    spoken = _spoken.get()
    if spoken:
        return spoken
    for source in _ambient_source:
        ambient = source()
        if ambient:
            return ambient
    return SOURCE_LANGUAGE


@contextmanager
def speaking(language: str | None) -> Iterator[None]:
    """Write every message in `language` while the block runs (a worker, the CLI, an e-mail to someone)."""
    token = _spoken.set(supported(language) or SOURCE_LANGUAGE)
    try:
        yield
    finally:
        _spoken.reset(token)


def supported(tag: str | None) -> str | None:
    """Return the language of ours a tag such as 'da_DK.UTF-8' or 'sv-SE' names, or None."""
    if not tag:
        return None
    primary = tag.replace("_", "-").split(".")[0].split("-")[0].lower()
    return primary if primary in LANGUAGES else None


def language_from_environment(environ: dict[str, str] | None = None) -> str:
    """Return the CLI's language: ULTRATHON_LANG, else the POSIX locale variables, else English."""
    environ = os.environ if environ is None else environ
    for name in ("ULTRATHON_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        for tag in environ.get(name, "").split(":"):
            language = supported(tag)
            if language:
                return language
    return SOURCE_LANGUAGE


def gettext(message: str, **params) -> str:
    """Return `message` in the current language, with %(name)s placeholders filled from `params`."""
    text = translations(current_language()).ugettext(message)
    return text % params if params else text


def ngettext(singular: str, plural: str, num: int, **params) -> str:
    """Return the singular or plural form for `num` in the current language; %(num)s is `num`."""
    params.setdefault("num", num)
    return translations(current_language()).ungettext(singular, plural, num) % params


def N_(message: str) -> str:
    """Mark a message for translation where it is defined; it is translated where it is shown."""
    return message


_ = gettext
