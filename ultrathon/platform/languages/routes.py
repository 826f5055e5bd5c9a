"""The header's language picker."""

from __future__ import annotations

from flask import abort, redirect, request, url_for
from flask_login import current_user

from ...i18n import supported
from ..arguments import safe_next
from ..extensions import db
from . import bp
from .choice import LANGUAGE_COOKIE, ONE_YEAR


@bp.post("/language")
def choose_language():
    """Keep the language picked: as the person's setting when logged in, else in a cookie; go back."""
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
