"""Suspensions: an organiser bars one participant from one challenge, with a recorded reason.

Sessions and API tokens are account-wide, so a suspension cannot end them for one challenge
alone; instead every request of the suspended person that touches the challenge is refused
(governance/gate.py), while their sessions keep working everywhere else.
"""

from __future__ import annotations

from ...i18n import gettext as _
from ..audit import record
from ..challenges.access import is_organiser
from ..extensions import db
from ..models import Challenge, Membership, Team, User, utcnow
from .models import Suspension

MAX_REASON = 2000


class SuspensionError(ValueError):
    """A suspension request that cannot be carried out; `status` is the HTTP status that fits."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def active_suspension(user: User | None, challenge_id: int) -> Suspension | None:
    """Return the user's suspension in force in this challenge, if any."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.execute(
        db.select(Suspension).where(Suspension.challenge_id == challenge_id, Suspension.user_id == user.id,
                                    Suspension.lifted_at.is_(None))
    ).scalars().first()


def suspended_message(suspension: Suspension, title: str) -> str:
    """Return what a suspended participant is told, with the organisers' reason."""
    return _("the organisers of %(title)s have suspended you from this challenge: %(reason)s (you cannot download its "
             "data, upload, choose final submissions or change your team; write to the organisers if you think this is "
             "a mistake)", title=title, reason=suspension.reason)


def _check_organiser(actor: User, challenge: Challenge, user: User) -> None:
    if not is_organiser(actor, challenge):
        raise SuspensionError(_("only the challenge's organisers can suspend its participants"), 403)
    if user.id == actor.id:
        raise SuspensionError(_("you cannot suspend yourself"), 403)
    if is_organiser(user, challenge):
        raise SuspensionError(_("%(name)s organises this challenge; an organiser cannot be suspended", name=user.name), 403)


def is_participant(user: User, challenge: Challenge) -> bool:
    """Return whether the user is in a team of this challenge."""
    return db.session.execute(
        db.select(Membership.id).where(Membership.user_id == user.id, Membership.challenge_id == challenge.id)
    ).first() is not None


def suspend_user(challenge: Challenge, user: User, reason: str, actor: User) -> Suspension:
    """Suspend a participant from the challenge with a reason, record it and commit."""
    _check_organiser(actor, challenge, user)
    reason = " ".join((reason or "").split())
    if not reason:
        raise SuspensionError(_("a suspension needs a reason; it is shown to the participant and kept in the audit log"))
    if len(reason) > MAX_REASON:
        raise SuspensionError(_("a reason has at most %(limit)s characters; this one has %(length)s", limit=MAX_REASON, length=len(reason)))
    if not is_participant(user, challenge):
        raise SuspensionError(_("%(name)s is not in a team of this challenge", name=user.name), 404)
    if active_suspension(user, challenge.id) is not None:
        raise SuspensionError(_("%(name)s is suspended already; lift that suspension first to give another reason", name=user.name), 409)
    suspension = Suspension(challenge_id=challenge.id, user_id=user.id, reason=reason, by_id=actor.id, at=utcnow())
    db.session.add(suspension)
    db.session.flush()
    record("user.suspend", actor=actor, challenge=challenge, target=user, reason=reason, suspension=suspension.id)
    db.session.commit()
    return suspension


def lift_suspension(challenge: Challenge, user: User, actor: User) -> Suspension:
    """Lift the participant's suspension in force, record it and commit."""
    if not is_organiser(actor, challenge):
        raise SuspensionError(_("only the challenge's organisers can lift a suspension"), 403)
    suspension = active_suspension(user, challenge.id)
    if suspension is None:
        raise SuspensionError(_("%(name)s is not suspended from this challenge", name=user.name), 404)
    suspension.lifted_at = utcnow()
    suspension.lifted_by_id = actor.id
    record("user.unsuspend", actor=actor, challenge=challenge, target=user, reason=suspension.reason, suspension=suspension.id)
    db.session.commit()
    return suspension


def participant_rows(challenge: Challenge) -> list[tuple[User, str, Suspension | None]]:
    """Return each participant of the challenge with their team's name and suspension in force, by team then name."""
    rows = db.session.execute(
        db.select(User, Team.name).join(Membership, Membership.user_id == User.id).join(Team, Team.id == Membership.team_id)
        .where(Membership.challenge_id == challenge.id, Team.is_baseline.is_(False)).order_by(Team.name, User.name)
    ).all()
    live = {s.user_id: s for s in db.session.execute(
        db.select(Suspension).where(Suspension.challenge_id == challenge.id, Suspension.lifted_at.is_(None))).scalars()}
    return [(user, team_name, live.get(user.id)) for user, team_name in rows]
