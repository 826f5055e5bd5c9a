"""Challenge-wide announcements (a phase opened, results published): found due, queued, sent once in a job.

There is no scheduler: the worker's periodic sweep asks for the due ones, and a publication asks at once.
Sending to every participant can take a while, so it happens in a background job, never in a request.
"""

from __future__ import annotations

import logging
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..governance.models import Suspension
from ..models import Challenge, Membership, Phase, Team, User, utcnow
from ..queueing import STATS_QUEUE_NAME, get_queue, get_redis
from .links import absolute_url
from .models import NotificationSent
from .sending import notify
from .settings import PHASE_OPENED, RESULTS_PUBLISHED

log = logging.getLogger(__name__)
JOB = "ultrathon.platform.notifications.announcements.send_announcement"
PENDING_TTL_S = 600  # a job lost with Redis is queued again by a later sweep after this long


def claim(kind: str, ref_id: int) -> NotificationSent | None:
    """Record, and commit, that this event is being announced; None when it was already."""
    sent = db.select(NotificationSent.id).where(NotificationSent.kind == kind, NotificationSent.ref_id == ref_id)
    if db.session.execute(sent).first() is not None:
        return None
    row = NotificationSent(kind=kind, ref_id=ref_id, sent_at=utcnow())
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError:  # another worker claimed it in the same instant
        db.session.rollback()
        return None
    return row


def participants(challenge: Challenge) -> list[User]:
    """Return the members of the challenge's teams (not organisers' baselines), less those suspended from it."""
    suspended = db.select(Suspension.user_id).where(Suspension.challenge_id == challenge.id, Suspension.lifted_at.is_(None))
    return list(db.session.execute(
        db.select(User).join(Membership, Membership.user_id == User.id).join(Team, Team.id == Membership.team_id)
        .where(Membership.challenge_id == challenge.id, Team.is_baseline.is_(False), User.id.not_in(suspended))
        .order_by(User.id)
    ).scalars())


def _is_due(kind: str, phase: Phase, now: datetime) -> bool:
    if kind == PHASE_OPENED:
        return phase.is_open(now)
    return phase.is_closed(now) and phase.results_published()


def due_announcements(now: datetime | None = None) -> list[tuple[str, int]]:
    """Return the (kind, phase id) announcements due: phases open, and closed phases' public results, not yet sent."""
    now = now or utcnow()

    def unsent(kind: str):
        return Phase.id.not_in(db.select(NotificationSent.ref_id).where(NotificationSent.kind == kind))

    opened = db.session.execute(
        db.select(Phase.id).where(Phase.opens_at <= now, Phase.closes_at > now, unsent(PHASE_OPENED)).order_by(Phase.id)
    ).scalars()
    closed = db.session.execute(
        db.select(Phase).where(Phase.closes_at <= now, unsent(RESULTS_PUBLISHED)).order_by(Phase.id)
    ).scalars()
    published = [p.id for p in closed if _is_due(RESULTS_PUBLISHED, p, now)]  # at_close, or Publish pressed
    return [(PHASE_OPENED, pid) for pid in opened] + [(RESULTS_PUBLISHED, pid) for pid in published]


def _pending_key(kind: str, phase_id: int) -> str:
    return f"ultrathon:notifications:pending:{kind}:{phase_id}"


def enqueue_announcement(kind: str, phase_id: int) -> bool:
    """Queue the job sending one announcement, unless one is queued already; return whether it was queued."""
    redis = get_redis()
    if not redis.set(_pending_key(kind, phase_id), "1", nx=True, ex=PENDING_TTL_S):
        return False
    # The background queue: announcements wait behind scoring, as the leaderboard's figures do.
    get_queue(redis, STATS_QUEUE_NAME).enqueue(JOB, kind, phase_id, job_timeout=3600)
    return True


def enqueue_due_announcements(now: datetime | None = None) -> int:
    """Queue every announcement that is due (the worker's sweep calls this); return how many were queued."""
    return sum(enqueue_announcement(kind, phase_id) for kind, phase_id in due_announcements(now))


def send_announcement(kind: str, phase_id: int) -> str:
    """The job: mail the participants who want it that a phase opened or its results are out, once."""
    from ultrathon.worker.context import job_context

    with job_context():
        try:
            phase = db.session.get(Phase, phase_id)
            if phase is None or not _is_due(kind, phase, utcnow()):
                return "not due"
            claimed = claim(kind, phase.id)
            if claimed is None:
                return "announced already"
            claimed.recipients = _send(kind, phase)
            db.session.commit()
            return f"{claimed.recipients} mail(s)"
        finally:
            get_redis().delete(_pending_key(kind, phase_id))


def _send(kind: str, phase: Phase) -> int:
    """Mail the phase's announcement to the challenge's participants who want it; return how many."""
    challenge = phase.challenge
    phased = len(challenge.phases) > 1
    where = {"phase": phase.slug} if phased else {}
    context = {"phase": phase, "phased": phased,
               "challenge_url": absolute_url("challenges.overview", slug=challenge.slug),
               "submissions_url": absolute_url("submissions.submissions_page", slug=challenge.slug, **where),
               "leaderboard_url": absolute_url("leaderboard.page", slug=challenge.slug, split="private", **where),
               "note": phase.publication.note if phase.publication is not None else ""}
    if kind == PHASE_OPENED:
        def subject() -> str:
            return (_("%(phase)s of %(challenge)s is open", phase=phase.title, challenge=challenge.title) if phased
                    else _("%(challenge)s is open for submissions", challenge=challenge.title))
    else:
        def subject() -> str:
            return (_("The results of %(phase)s in %(challenge)s are published", phase=phase.title, challenge=challenge.title)
                    if phased else _("The results of %(challenge)s are published", challenge=challenge.title))
    return notify(participants(challenge), kind, kind, subject, challenge, **context)
