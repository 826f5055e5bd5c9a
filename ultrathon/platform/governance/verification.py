"""E-mail verification: a signed link mailed at registration, good for two days and for one use."""

from __future__ import annotations

import hashlib

from flask import current_app, request, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ...i18n import N_, gettext as _, ngettext
from ..audit import record
from ..auth.mail import mail_user
from ..extensions import db
from ..models import User, utcnow

VERIFY_LIFETIME_S = 48 * 3600
_SALT = "ultrathon.email-verification"
UNVERIFIED_MESSAGE = N_("verify your e-mail address first: follow the link we mailed to %(email)s, "
                        "or ask for a new one with “Resend” on your account page (%(url)s)")


class VerifyLinkError(ValueError):
    """A verification link that cannot be used; the message says why."""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def _address_fragment(user: User) -> str:
    # Bound to the address it was sent to: a link for an earlier address verifies nothing.
    return hashlib.sha256(user.email.encode()).hexdigest()[:16]


def make_verify_token(user: User) -> str:
    """Return a verification token for the user's current address."""
    return _serializer().dumps({"user": user.id, "email": _address_fragment(user)})


def _now_seconds() -> int:
    # itsdangerous compares ages against its own clock; the injected CLOCK moves it in tests.
    return int(utcnow().timestamp())


def user_for_verify_token(token: str, max_age: int = VERIFY_LIFETIME_S) -> User:
    """Return the unverified user a token is for, or raise VerifyLinkError saying why it is no good."""
    serializer = _serializer()
    try:
        payload, signed_at = serializer.loads(token, return_timestamp=True)
    except BadSignature:
        raise VerifyLinkError(_("This verification link is not valid. Check that it was copied whole, "
                                "or ask for a new one on your account page.")) from None
    if _now_seconds() - int(signed_at.timestamp()) > max_age:
        raise VerifyLinkError(ngettext(
            "This verification link has expired (links last %(num)s hour). Ask for a new one with “Resend” on your account page.",
            "This verification link has expired (links last %(num)s hours). Ask for a new one with “Resend” on your account page.",
            max_age // 3600))
    user = db.session.get(User, payload.get("user")) if isinstance(payload, dict) else None
    if user is None or not user.is_active or payload.get("email") != _address_fragment(user):
        raise VerifyLinkError(_("This verification link is not valid for any account any more. "
                                "Ask for a new one on your account page."))
    if user.email_verified_at is not None:
        raise VerifyLinkError(_("This verification link has been used already: your address is verified."))
    return user


def verify_email(user: User) -> None:
    """Mark the user's address verified and record it (the caller commits)."""
    user.email_verified_at = utcnow()
    record("user.email_verified", actor=user, target=user, email=user.email)


def send_verification(user: User, action: str = "user.verification_sent") -> bool:
    """Mail the user a verification link and record it (the caller commits); return whether SMTP took it."""
    path = url_for("auth.verify_email_link", token=make_verify_token(user))
    base_url = current_app.config["ULTRATHON"].base_url
    # Behind a proxy the request's own host may be an internal name; the configured one is not.
    link = (base_url.rstrip("/") if base_url else request.host_url.rstrip("/")) + path
    sent = mail_user(user, N_("Verify your Ultrathon e-mail address"), "auth/verify_mail.txt", link=link,
                     hours=VERIFY_LIFETIME_S // 3600)
    record(action, actor=user, target=user, email=user.email)
    return sent


def unverified_message(user: User) -> str | None:
    """Return why an unverified user is refused (None when the address is verified)."""
    if user is None or getattr(user, "email_verified_at", True) is not None:
        return None
    return _(UNVERIFIED_MESSAGE, email=user.email, url=url_for("auth.account", _external=False) + "#verify")
