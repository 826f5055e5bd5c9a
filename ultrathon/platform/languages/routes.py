"""The header's language picker."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, redirect, request, url_for
from flask_login import current_user

from ...i18n import supported
from ..arguments import safe_next
from ..extensions import csrf, db
from . import bp
from .choice import LANGUAGE_COOKIE, ONE_YEAR


def _cross_site() -> bool:
    """Return whether the browser says another site sent this request (Fetch metadata, else Origin)."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site not in ("same-origin", "none")
    origin = request.headers.get("Origin")
    return origin is not None and urlsplit(origin).netloc != request.host


# No CSRF token: the picker is on every page, and a token would give an anonymous visitor a session
# cookie they never asked for. A choice of language from another site is refused by the browser's own word.
@csrf.exempt
@bp.post("/language")
def choose_language():
    """Keep the language picked: as the person's setting when logged in, else in a cookie; go back."""
    if _cross_site():
        abort(403)
    language = supported(request.form.get("language"))
    if language is None or language != request.form.get("language"):
        abort(400)
    if current_user.is_authenticated:
        current_user.language = language
        db.session.commit()
    response = redirect(safe_next(request.form.get("next")) or url_for("main.index"), 303)
    response.set_cookie(LANGUAGE_COOKIE, language, max_age=ONE_YEAR, samesite="Lax", httponly=True,
                        secure=request.is_secure)
    return response
