"""Which language a request speaks: the person's setting, else Accept-Language, else the challenge's."""

from __future__ import annotations

import re

from flask import Flask, g, has_request_context, request
from flask_babel import Babel, Domain, get_locale, refresh
from flask_login import current_user

from ...i18n import LANGUAGE_NAMES, LANGUAGES, SOURCE_LANGUAGE, current_language, set_ambient_language, supported, translations
from ...spec import SLUG_RULE
from ..extensions import db
from .formatting import init_formatting

LANGUAGE_COOKIE = "ultrathon_language"  # a visitor's pick before they log in (a logged-in pick is their setting)
ONE_YEAR = 365 * 24 * 3600
SLUG_PATTERN = re.compile(SLUG_RULE)


class CatalogDomain(Domain):
    """Flask-Babel's domain, reading the same catalogs as every message outside a request (ultrathon.i18n)."""

    def get_translations(self):
        return translations(str(get_locale() or SOURCE_LANGUAGE))


class CatalogBabel(Babel):
    """Flask-Babel with the catalogs of ultrathon.i18n."""

    @property
    def domain_instance(self):
        return CatalogDomain()


def request_language() -> str:
    """Return the request's language: the person's setting, Accept-Language, the challenge's, else English."""
    if not has_request_context():
        return current_language()  # an app context of its own (a worker, the CLI): what it speaks
    chosen = _setting()
    if chosen:
        return chosen
    best = request.accept_languages.best_match(LANGUAGES)
    return best or _challenge_language() or SOURCE_LANGUAGE


def _setting() -> str | None:
    user = g.get("language_user") or (current_user if current_user and current_user.is_authenticated else None)
    if user is not None and supported(getattr(user, "language", None)):
        return user.language
    return supported(request.cookies.get(LANGUAGE_COOKIE))


def _challenge_language() -> str | None:
    slug = (request.view_args or {}).get("slug")
    # Only a well-formed slug reaches the database: this runs for refusals of malformed addresses too (NUL).
    if not isinstance(slug, str) or SLUG_PATTERN.fullmatch(slug) is None:
        return None
    from ..models import Challenge

    spec = db.session.execute(db.select(Challenge.spec).where(Challenge.slug == slug)).scalar_one_or_none()
    return supported((spec or {}).get("language"))


def _ambient_language() -> str | None:
    return str(get_locale()) if has_request_context() else None


def _forget_last_language(_error: BaseException | None = None) -> None:
    refresh()
    g.pop("language_user", None)


def init_languages(app: Flask) -> None:
    """Set up Flask-Babel on the shared catalogs, with times shown in UTC as the footer says."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", SOURCE_LANGUAGE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "UTC")
    CatalogBabel(app, locale_selector=request_language)
    # Flask-Babel keeps the language on `g`, which an app context kept across requests (tests, the CLI) shares:
    # each request starts from no language (one worked out outside it is dropped) and leaves none behind.
    # The caller an API token names (g.language_user) may be set before any view, by the rate limiter's key.
    app.before_request(refresh)
    app.teardown_request(_forget_last_language)
    # Template text in {% trans %} is trimmed: the extraction (translations/catalogs.py) uses the same rule.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    set_ambient_language(_ambient_language)
    init_formatting(app)

    @app.after_request
    def name_the_language(response):
        # A page or problem says its language, and caches keep one copy per language asked for.
        if response.mimetype in ("text/html", "text/plain", "application/problem+json"):
            response.headers["Content-Language"] = str(get_locale() or SOURCE_LANGUAGE)
            response.vary.update(("Accept-Language", "Cookie"))
        return response

    @app.context_processor
    def language_context() -> dict:
        return {"current_language": str(get_locale() or SOURCE_LANGUAGE), "language_names": LANGUAGE_NAMES}
