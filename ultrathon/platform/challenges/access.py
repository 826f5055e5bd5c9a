"""Who may see and do what in a challenge."""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from datetime import datetime, timezone
from typing import Protocol

from ...i18n import gettext as _
from ..extensions import db
from ..models import Challenge, Membership, Team, TermsAcceptance, User, utcnow


class ChallengeLike(Protocol):
    """What the rules below read of a challenge: a Challenge row or the leaderboard's Board."""

    @property
    def id(self) -> int: ...

    @property
    def organisers(self) -> Collection[str]: ...

    def is_closed(self, now: datetime | None = None) -> bool: ...

    def results_published(self) -> bool: ...


def get_challenge(slug: str) -> Challenge | None:
    """Return the challenge with this slug, if loaded."""
    return db.session.execute(db.select(Challenge).where(Challenge.slug == slug)).scalar_one_or_none()


def is_organiser(user: User | None, challenge: ChallengeLike) -> bool:
    """Return whether the user organises this challenge (listed in its YAML, or an admin)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_admin) or user.email.lower() in challenge.organisers


def private_shown_to_all(challenge: ChallengeLike) -> bool:
    """Return whether a challenge's private scores are shown to everyone, logged in or not: once closed and published.

    Every page, export, API answer and stream that shows private figures asks this (or can_view_private).
    """
    return challenge.is_closed() and challenge.results_published()


def being_verified(challenge: ChallengeLike) -> bool:
    """Return whether a closed challenge's final standings still wait for an organiser to publish them."""
    return challenge.is_closed() and not challenge.results_published()


def can_view_private(user: User | None, challenge: ChallengeLike) -> bool:
    """Return whether private scores may be shown to this user: to everyone once published, else organisers."""
    return private_shown_to_all(challenge) or is_organiser(user, challenge)


def team_of(user: User | None, challenge: ChallengeLike) -> Team | None:
    """Return the user's team in this challenge, if any."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.execute(
        db.select(Team).join(Membership, Membership.team_id == Team.id)
        .where(Membership.user_id == user.id, Membership.challenge_id == challenge.id)
    ).scalar_one_or_none()


def terms_version(challenge: Challenge) -> str:
    """Return the version of the challenge's data-use terms in force."""
    return challenge.settings.terms.version


def terms_sha256(challenge: Challenge) -> str:
    """Return the SHA-256 of the exact terms text in force, as UTF-8 hex."""
    return hashlib.sha256(challenge.settings.terms.text.encode("utf-8")).hexdigest()


def acceptance_in_force(user: User | None, challenge: Challenge) -> TermsAcceptance | None:
    """Return the user's acceptance of the terms in force: this version and this exact text (its SHA-256)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.execute(
        db.select(TermsAcceptance).where(
            TermsAcceptance.user_id == user.id,
            TermsAcceptance.challenge_id == challenge.id,
            TermsAcceptance.version == terms_version(challenge),
            TermsAcceptance.text_sha256 == terms_sha256(challenge),
        )
    ).scalars().first()


def has_accepted_terms(user: User | None, challenge: Challenge) -> bool:
    """Return whether the user accepted the terms in force (a changed text, same version or not, is accepted anew)."""
    return acceptance_in_force(user, challenge) is not None


def held_until(challenge: Challenge, name: str, now: datetime | None = None) -> datetime | None:
    """Return when a public file only later phases list is released, while it is still held back; else None."""
    released = challenge.settings.released_at(name)
    return released if released is not None and (now or utcnow()) < released else None


def held_back_message(challenge: Challenge, name: str, until: datetime) -> str:
    """Return why a held-back file cannot be downloaded yet, and when it can."""
    phase = next(p for p in challenge.settings.phase_list if name in p.public)
    moment = until.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M")
    return _("%(file)s of %(challenge)s is released when the phase %(phase)r opens, at %(time)s UTC; it cannot be "
             "downloaded before", file=name, challenge=challenge.slug, phase=phase.title, time=moment)
