"""Password-reset links: signed, expiring after an hour, dead once the password changes."""

from __future__ import annotations

import hashlib

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ...i18n import gettext as _
from ..extensions import db
from ..models import User
from .service import replace_password

RESET_LIFETIME_S = 3600
_SALT = "ultrathon.password-reset"


class ResetLinkError(ValueError):
    """A reset link that cannot be used; the message says why."""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def _password_fragment(user: User) -> str:
    # A digest of the current hash: changing the password changes it, which kills used links.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def make_reset_token(user: User) -> str:
    """Return a reset token for the user, valid for an hour and for one password change."""
    return _serializer().dumps({"user": user.id, "pw": _password_fragment(user)})


def user_for_reset_token(token: str, max_age: int = RESET_LIFETIME_S) -> User:
    """Return the user a reset token is for, or raise ResetLinkError saying why it is no good."""
    try:
        payload = _serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        raise ResetLinkError(_("This reset link has expired (links last one hour). Ask for a new one.")) from None
    except BadSignature:
        raise ResetLinkError(_("This reset link is not valid. Check that it was copied whole, or ask for a new one.")) from None
    user = db.session.get(User, payload.get("user")) if isinstance(payload, dict) else None
    if user is None or not user.is_active or payload.get("pw") != _password_fragment(user):
        raise ResetLinkError(_("This reset link has been used already. Ask for a new one if you need to."))
    return user


def set_new_password(user: User, password: str) -> None:
    """Replace the user's password, end every session of the account, and commit.

    Every earlier reset link stops working too; the API tokens stay (the account page lists them).
    """
    # Whoever knew the old password may hold a session; the one using the link logs in afresh.
    replace_password(user, password, "user.password_reset")
