"""Who is calling the API: a bearer token, or for reads the platform's own login session."""

from __future__ import annotations

import hashlib

from flask import current_app, g, request
from flask_babel import gettext as _, refresh
from flask_limiter.util import get_remote_address
from flask_login import current_user

from ..auth.tokens import TOKEN_PREFIX, find_token, user_for_token
from ..config import DEFAULT_API_RATE_LIMIT
from ..extensions import db
from ..models import User
from .errors import ApiProblem, bearer_challenge

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _bearer_secret() -> str | None:
    """Return the token in the Authorization header; raise a 401 when the header is malformed."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _space, secret = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        # RFC 6750: another scheme gets the bare challenge; a Bearer header without a token is malformed.
        error = "invalid_request" if scheme.lower() == "bearer" else None
        raise ApiProblem(401, _("the Authorization header must read `Bearer <token>`"),
                         headers={"WWW-Authenticate": bearer_challenge(error)})
    return secret.strip()


def _authenticate() -> User | None:
    """Resolve the caller once per request; a token that is given but not live is a 401."""
    secret = _bearer_secret()
    if secret is None:
        # Only reads may ride on the login session: the API is exempt from CSRF checks.
        if request.method in SAFE_METHODS and current_user.is_authenticated:
            _state()["rate_key"] = f"user:{current_user.id}"
            return current_user._get_current_object()
        return None
    user = user_for_token(secret)
    if user is None:
        token = find_token(secret)
        disabled = token is not None and not token.user.is_active
        db.session.rollback()
        challenge = {"WWW-Authenticate": bearer_challenge("invalid_token")}
        if disabled:
            # Only the token's holder gets here, and they need to know whom to ask.
            raise ApiProblem(401, _("the account this token belongs to is disabled, and its tokens are revoked; write to "
                                    "the organisers"), headers=challenge)
        raise ApiProblem(401, _("this token is unknown, expired or revoked (tokens start with %(prefix)s)",
                                prefix=repr(TOKEN_PREFIX)), headers=challenge)
    _state()["rate_key"] = "token:" + hashlib.sha256(secret.encode()).hexdigest()[:16]
    return user


def _state() -> dict:
    # Kept on the request, not on `g`: an app context may outlive one request (tests, CLI).
    return request.environ.setdefault("ultrathon.api", {})


def current_api_user() -> User | None:
    """Return the calling user, or None for an anonymous call."""
    state = _state()
    if "user" not in state:
        try:
            state["user"] = _authenticate()
        except ApiProblem as exc:
            state["user"], state["problem"] = None, exc
        _speak_to(state["user"])
    if "problem" in state:
        raise state["problem"]
    return state["user"]


def _speak_to(user: User | None) -> None:
    """Answer in the caller's language setting from here on: the token's user is known only now."""
    # The locale selector (languages/choice.py) reads g.language_user; a locale worked out before
    # the caller was known (Accept-Language, the challenge's) is dropped and chosen again.
    g.language_user = user
    refresh()


def require_user() -> User:
    """Return the calling user; answer 401 for an anonymous call."""
    user = current_api_user()
    if user is None:
        raise ApiProblem(401, _("this operation needs a bearer token: send `Authorization: Bearer <token>`"))
    return user


def rate_limit_key() -> str:
    """Key API rate limits by token (its hash prefix), else by the login session, else by address."""
    try:
        current_api_user()
    except ApiProblem:
        pass  # a bad token is refused by the view; it is counted against the address meanwhile
    return _state().get("rate_key") or f"addr:{get_remote_address()}"


def rate_limit_value() -> str:
    """Return the per-token limit in force (ULTRATHON_API_RATE_LIMIT, a Flask-Limiter string)."""
    return current_app.config.get("ULTRATHON_API_RATE_LIMIT") or DEFAULT_API_RATE_LIMIT
