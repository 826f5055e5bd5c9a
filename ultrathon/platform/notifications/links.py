"""The links a notification carries: signed one-click unsubscribe tokens, and absolute addresses from anywhere."""

from __future__ import annotations

import logging
from functools import lru_cache

from flask import current_app, has_request_context, request, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer

from ..extensions import db
from ..models import User
from .settings import KINDS

log = logging.getLogger(__name__)
_SALT = "ultrathon.unsubscribe"
FALLBACK_ROOT = "http://localhost:8000"  # `ultrathon up`'s own address, when nothing better is known


class UnsubscribeLinkError(ValueError):
    """An unsubscribe link that cannot be used; the message says why."""


def _serializer() -> URLSafeSerializer:
    # Untimed on purpose: an unsubscribe link in an old message must still work (RFC 8058).
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def make_unsubscribe_token(user: User, kind: str) -> str:
    """Return the token that turns off one kind of e-mail for one person, with no login."""
    return _serializer().dumps({"user": user.id, "kind": kind})


def unsubscribe_target(token: str) -> tuple[User, str]:
    """Return the person and the kind of e-mail a token turns off, or raise UnsubscribeLinkError."""
    try:
        payload = _serializer().loads(token)
    except BadSignature:
        raise UnsubscribeLinkError(_("This unsubscribe link is not valid: it was changed or cut short. "
                                     "Copy the whole link from the e-mail, or change your settings on your "
                                     "account page.")) from None
    payload = payload if isinstance(payload, dict) else {}
    user_id, kind = payload.get("user"), payload.get("kind")
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.is_active or kind not in KINDS:
        raise UnsubscribeLinkError(_("This unsubscribe link is not for any account or kind of e-mail we know; "
                                     "nothing was changed."))
    return user, kind


@lru_cache(maxsize=1)
def _warn_no_base_url() -> None:
    log.warning("ULTRATHON_BASE_URL is not set: links in e-mails sent outside a web request point to %s", FALLBACK_ROOT)


def absolute_url(endpoint: str, anchor: str | None = None, **values) -> str:
    """Return a page's full address for an e-mail, in a request or in a worker (ULTRATHON_BASE_URL first)."""
    base_url = current_app.config["ULTRATHON"].base_url
    fragment = f"#{anchor}" if anchor else ""
    if has_request_context():
        # Behind a proxy the request's own host may be an internal name; the configured one is not.
        return (base_url or request.host_url).rstrip("/") + url_for(endpoint, **values) + fragment
    if not base_url:
        _warn_no_base_url()
    path = current_app.url_map.bind("localhost", script_name="/").build(endpoint, values)
    return (base_url or FALLBACK_ROOT).rstrip("/") + path + fragment
