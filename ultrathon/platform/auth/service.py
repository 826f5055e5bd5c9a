"""Account logic: creating users, checking and changing passwords, ending sessions, disabling."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ...i18n import gettext as _
from ..audit import record
from ..extensions import db
from ..models import ApiToken, User, utcnow
from .tokens import revoke_token

MIN_PASSWORD_LENGTH = 12
ERASED_DOMAIN = "erased.invalid"  # erased accounts' addresses; .invalid never resolves (RFC 2606)
_hasher = PasswordHasher()  # Argon2id with the library's current recommended parameters


class AccountError(ValueError):
    """An account request that cannot be carried out; the message says why, `field` which form field is wrong."""

    def __init__(self, message: str, field: str = "email"):
        super().__init__(message)
        self.field = field


def normalise_email(email: str) -> str:
    """Return the address in the form it is stored and compared."""
    return email.strip().lower()


def hash_password(password: str) -> str:
    """Return the Argon2id hash of a password."""
    return _hasher.hash(password)


def verify_password(user: User, password: str) -> bool:
    """Return whether the password matches, rehashing when parameters have moved on."""
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return True


def find_user(email: str) -> User | None:
    """Return the user with this e-mail address, if any."""
    return db.session.execute(db.select(User).where(User.email == normalise_email(email))).scalar_one_or_none()


def create_user(email: str, name: str, password: str, *, is_admin: bool = False, verified: bool = True) -> User:
    """Add a user to the session after checking the address and the password.

    Only self-registration passes verified=False: an operator creating an account vouches for the address.
    """
    email = normalise_email(email)
    if "@" not in email or email.startswith("@") or email.endswith("@") or len(email) > 254:
        raise AccountError(_("%(email)r is not an e-mail address", email=email))
    if email.endswith("@" + ERASED_DOMAIN):
        raise AccountError(_("addresses at %(domain)s name erased accounts; use a real address", domain=ERASED_DOMAIN))
    _check_password_length(password)
    if find_user(email) is not None:
        raise AccountError(_("an account for %(email)s exists already", email=email))
    user = User(email=email, name=(name or email.split("@")[0]).strip()[:100], password_hash=hash_password(password), is_admin=is_admin,
                email_verified_at=utcnow() if verified else None)
    db.session.add(user)
    return user


def _check_password_length(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(_("the password must be at least %(num)s characters long", num=MIN_PASSWORD_LENGTH), field="password")


def user_for_session(session_id: str) -> User | None:
    """Return the active user a login session's id names, or None once that session has been ended."""
    user_id, _colon, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None  # not an id get_id made (e.g. a session from before session versions): log in again
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active or (user.session_version or 0) != int(version):
        return None
    return user


def end_sessions(user: User) -> None:
    """End every login session and remember cookie of the user (the caller commits)."""
    user.session_version = (user.session_version or 0) + 1


def change_password(user: User, current: str, new: str) -> None:
    """Replace the password after checking the current one, end every session and commit.

    The caller logs its own session in again, so only the user's other sessions end.
    """
    if not verify_password(user, current):
        raise AccountError(_("the current password is not right"), field="current")
    replace_password(user, new, "user.password_change")


def replace_password(user: User, password: str, action: str) -> None:
    """Set a checked new password, end every session of the account, record `action` and commit."""
    _check_password_length(password)
    user.password_hash = hash_password(password)
    end_sessions(user)
    record(action, actor=user, target=user)
    db.session.commit()


def disable_user(user: User, actor: User | None = None, **detail) -> int:
    """Disable an account: end its sessions, revoke its live tokens; return how many were revoked.

    Revoked rather than only refused, so enabling the account again does not revive them.
    The caller commits.
    """
    tokens = db.session.execute(
        db.select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > utcnow())
    ).scalars().all()
    for token in tokens:
        revoke_token(token, actor)
    user.is_active_account = False
    end_sessions(user)
    record("user.disable", actor=actor, target=user, tokens_revoked=len(tokens), **detail)
    return len(tokens)


def enable_user(user: User, actor: User | None = None, **detail) -> None:
    """Let a disabled account log in again (its revoked tokens stay revoked); the caller commits."""
    user.is_active_account = True
    record("user.enable", actor=actor, target=user, **detail)
