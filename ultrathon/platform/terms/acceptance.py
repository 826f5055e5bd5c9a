"""Accepting the data-use terms: each acceptance keeps the version, the SHA-256 of the exact text shown and its language."""

from __future__ import annotations

from ..audit import record
from ..challenges.access import acceptance_in_force, terms_sha256, terms_version
from ..extensions import db
from ..models import Challenge, TermsAcceptance, User


def record_acceptance(challenge: Challenge, user: User) -> None:
    """Record that the user accepts the terms in force, with the text's digest and language (idempotent; the caller commits)."""
    if acceptance_in_force(user, challenge) is not None:
        return
    version, digest, language = terms_version(challenge), terms_sha256(challenge), challenge.settings.terms.language
    db.session.add(TermsAcceptance(challenge_id=challenge.id, user_id=user.id, version=version,
                                   text_sha256=digest, language=language))
    record("terms.accept", actor=user, challenge=challenge, version=version, text_sha256=digest, language=language)


def earlier_acceptance(user: User | None, challenge: Challenge) -> TermsAcceptance | None:
    """Return the user's latest acceptance of terms no longer in force, when none of the terms in force exists."""
    if user is None or not getattr(user, "is_authenticated", False) or acceptance_in_force(user, challenge) is not None:
        return None
    return db.session.execute(
        db.select(TermsAcceptance).where(TermsAcceptance.user_id == user.id, TermsAcceptance.challenge_id == challenge.id)
        .order_by(TermsAcceptance.accepted_at.desc(), TermsAcceptance.id.desc())
    ).scalars().first()
