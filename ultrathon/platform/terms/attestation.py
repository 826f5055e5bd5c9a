"""Deletion attestations: with `terms.deletion_attestation`, each team member attests after the close that they deleted the data."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import timezone

from ...i18n import gettext as _
from ..audit import record
from ..challenges.access import team_of
from ..extensions import db
from ..models import Challenge, Membership, Team, User, utcnow
from ..organise.exports import csv_safe
from .models import DeletionAttestation

ATTEST_ACTION = "terms.deletion_attest"


class AttestationError(ValueError):
    """An attestation that cannot be recorded; `status` is the HTTP status that fits."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class AttestationPanel:
    """What a member's pages show of the attestation: the text to attest and the attestation, once made."""

    text: str
    attested: DeletionAttestation | None


def attestation_of(user: User, challenge: Challenge) -> DeletionAttestation | None:
    """Return the user's deletion attestation for the challenge, if made."""
    return db.session.execute(db.select(DeletionAttestation).where(
        DeletionAttestation.challenge_id == challenge.id, DeletionAttestation.user_id == user.id)).scalar_one_or_none()


def _asked(user: User | None, challenge: Challenge) -> bool:
    """Return whether the user is one of those the challenge asks to attest: a member of a competing team, after the close."""
    if not challenge.settings.terms.deletion_attestation or not challenge.is_closed():
        return False
    team = team_of(user, challenge)
    return team is not None and not team.is_baseline


def attestation_panel(user: User | None, challenge: Challenge) -> AttestationPanel | None:
    """Return the attestation a page shows this user for the challenge, or None when they are not asked for one."""
    if not _asked(user, challenge):
        return None
    return AttestationPanel(challenge.settings.terms.attestation_text, attestation_of(user, challenge))


def attest_deletion(challenge: Challenge, user: User, confirmed: bool) -> DeletionAttestation:
    """Record the user's attestation that they deleted the challenge's data, audit it and commit."""
    terms = challenge.settings.terms
    if not terms.deletion_attestation:
        raise AttestationError(_("%(title)s asks for no deletion attestation (terms.deletion_attestation is off)",
                                 title=challenge.title), 404)
    if not challenge.is_closed():
        closes = challenge.closes_at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M")
        raise AttestationError(_("%(title)s closes at %(time)s UTC; the data are deleted, and attested, after the close",
                                 title=challenge.title, time=closes), 409)
    if not _asked(user, challenge):
        raise AttestationError(_("you are not in a team of %(title)s, so there is nothing to attest", title=challenge.title), 403)
    if attestation_of(user, challenge) is not None:
        raise AttestationError(_("you have attested already; the attestation is kept as it was made"), 409)
    if not confirmed:
        raise AttestationError(_("tick the box to attest that you deleted the data; nothing was recorded"))
    attestation = DeletionAttestation(challenge_id=challenge.id, user_id=user.id, text=terms.attestation_text, at=utcnow())
    db.session.add(attestation)
    db.session.flush()
    record(ATTEST_ACTION, actor=user, challenge=challenge, target=user, text=attestation.text, attestation=attestation.id)
    db.session.commit()
    return attestation


def attestation_rows(challenge: Challenge) -> list[tuple[str, User, DeletionAttestation | None]]:
    """Return each member of a competing team with their team's name and attestation (None if not made), by team then name."""
    rows = db.session.execute(
        db.select(Team.name, User).join(Membership, Membership.team_id == Team.id).join(User, User.id == Membership.user_id)
        .where(Team.challenge_id == challenge.id, Team.is_baseline.is_(False)).order_by(Team.name, User.name, User.id)
    ).all()
    made = {a.user_id: a for a in db.session.execute(
        db.select(DeletionAttestation).where(DeletionAttestation.challenge_id == challenge.id)).scalars()}
    return [(team_name, user, made.get(user.id)) for team_name, user in rows]


def attestations_csv(challenge: Challenge) -> str:
    """Return the results bundle's attestations.csv: team, member name, attested_at (empty when not attested)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["team", "member", "attested_at"])
    for team_name, user, attestation in attestation_rows(challenge):
        writer.writerow([csv_safe(team_name), csv_safe(user.name),
                         attestation.at.astimezone(timezone.utc).isoformat() if attestation else ""])
    return out.getvalue()
