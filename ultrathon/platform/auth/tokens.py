"""API tokens: created once, stored hashed, recognisable by their prefix."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from ..audit import record
from ..extensions import db
from ..models import ApiToken, User, utcnow

TOKEN_PREFIX = "ut_"
DEFAULT_LIFETIME = timedelta(days=180)
LAST_USED_RESOLUTION = timedelta(minutes=1)  # a write a minute per token, not one per request


def _digest(secret: str) -> str:
    # The secret is 32 random bytes, so a fast hash is enough; no KDF needed.
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(user: User, name: str = "", lifetime: timedelta = DEFAULT_LIFETIME) -> tuple[ApiToken, str]:
    """Add a new token for the user; return it and the secret, which is never stored."""
    if not user.is_active:
        # Callers check first and say so in their own words; this only keeps the rule in one place.
        raise ValueError(f"the account {user.email} is disabled and cannot get API tokens")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name[:100],
        prefix=secret[:10],
        token_hash=_digest(secret),
        expires_at=utcnow() + lifetime,
    )
    db.session.add(token)
    db.session.flush()
    record("token.create", actor=user, target=token, prefix=token.prefix)
    return token, secret


def find_token(secret: str) -> ApiToken | None:
    """Return the token with this secret, live or not."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    return db.session.execute(db.select(ApiToken).where(ApiToken.token_hash == _digest(secret))).scalar_one_or_none()


def user_for_token(secret: str) -> User | None:
    """Return the active user a live token belongs to, noting when it was last used (to the minute)."""
    token = find_token(secret)
    now = utcnow()
    if token is None or token.revoked_at is not None or token.expires_at <= now or not token.user.is_active:
        return None
    user_id = token.user_id
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        _note_use(token.id, now)
    return db.session.get(User, user_id)


def _note_use(token_id: int, now: datetime) -> None:
    """Stamp the token's last use in a short transaction of its own, committed at once.

    Left in the request's transaction, the stamp would hold the database's write lock until the
    request ended. The condition lets only the first of the requests racing on one token write it.
    """
    db.session.execute(
        db.update(ApiToken)
        .where(ApiToken.id == token_id,
               db.or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - LAST_USED_RESOLUTION))
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def revoke_token(token: ApiToken, actor: User | None) -> None:
    """Revoke a token so it no longer authenticates."""
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record("token.revoke", actor=actor, target=token, prefix=token.prefix)
