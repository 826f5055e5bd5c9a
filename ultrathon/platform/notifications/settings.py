"""Each person's notification settings: five kinds of e-mail, each on or off, with defaults until they choose."""

from __future__ import annotations

from collections.abc import Iterable

from ultrathon.i18n import N_

from ..extensions import db
from ..models import User
from .models import NotificationSettings

SUBMISSION_FAILED, SUBMISSION_SCORED = "submission_failed", "submission_scored"
ACCESS_DECIDED, PHASE_OPENED, RESULTS_PUBLISHED = "access_decided", "phase_opened", "results_published"
KINDS = (SUBMISSION_FAILED, SUBMISSION_SCORED, ACCESS_DECIDED, PHASE_OPENED, RESULTS_PUBLISHED)
# A failure needs the team's action; a score is on the submissions page anyway, so it is asked for.
DEFAULTS = {SUBMISSION_FAILED: True, SUBMISSION_SCORED: False, ACCESS_DECIDED: True, PHASE_OPENED: True,
            RESULTS_PUBLISHED: True}
# What each kind is, as the account page and the unsubscribe page name it (translated where shown).
KIND_LABELS = {
    SUBMISSION_FAILED: N_("A submission of my team fails"),
    SUBMISSION_SCORED: N_("A submission of my team is scored"),
    ACCESS_DECIDED: N_("The organisers approve or refuse my access request"),
    PHASE_OPENED: N_("A phase of a challenge I take part in opens"),
    RESULTS_PUBLISHED: N_("The results of a challenge I take part in are published"),
}


def _row(user_id: int) -> NotificationSettings | None:
    return db.session.get(NotificationSettings, user_id)


def settings_of(user: User) -> dict[str, bool]:
    """Return which kinds of e-mail the person wants, the defaults where they never chose."""
    row = _row(user.id)
    return {kind: getattr(row, kind) for kind in KINDS} if row is not None else dict(DEFAULTS)


def wanting(users: Iterable[User], kind: str) -> list[User]:
    """Return the people who want this kind of e-mail and can get it: active, with a verified address."""
    users = [u for u in users if u.is_active_account and u.email_verified_at is not None]
    if not users:
        return []
    rows = {r.user_id: r for r in db.session.execute(
        db.select(NotificationSettings).where(NotificationSettings.user_id.in_([u.id for u in users]))).scalars()}
    return [u for u in users if (getattr(rows[u.id], kind) if u.id in rows else DEFAULTS[kind])]


def save_settings(user: User, chosen: dict[str, bool]) -> None:
    """Keep the person's choice for each kind given (the caller commits)."""
    row = _row(user.id)
    if row is None:
        row = NotificationSettings(user_id=user.id, **DEFAULTS)
        db.session.add(row)
    for kind in KINDS:
        if kind in chosen:
            setattr(row, kind, bool(chosen[kind]))


def turn_off(user: User, kind: str) -> bool:
    """Stop one kind of e-mail to the person (the caller commits); return whether it was on."""
    was_on = settings_of(user)[kind]
    save_settings(user, {kind: False})
    return was_on
