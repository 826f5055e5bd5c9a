"""Organisers' actions on submissions and teams: rescore, cancel, disqualify, requalify.

Each action commits its own transaction, then talks to Redis, so a Redis outage never loses one.
"""

from __future__ import annotations

from ultrathon.i18n import N_, gettext as _  # the CLI and the sweeper act outside a request too

from ..audit import record
from ..challenges.access import is_organiser
from ..extensions import db
from ..leaderboard.cache import clear_leaderboard
from ..models import Challenge, Score, Submission, SubmissionStatus, Team, User, utcnow
from ..queueing import get_redis
from .delivery import enqueue_scoring, new_job_id, publish_submission_event, scoring_timeout
from .errors import SubmissionRefused, shown_status

# Stored as written here (rescore_challenge finds cancelled rows by it); translated where it is shown.
CANCELLED = N_("cancelled by the organisers")


def _require_organiser(user: User | None, challenge: Challenge) -> None:
    # actor None is the system itself (the CLI loader, the sweeper): trusted callers.
    if user is not None and not is_organiser(user, challenge):
        raise SubmissionRefused(403, _("Organisers only"), _("only the challenge's organisers can do this"))


def _reset_for_scoring(submission: Submission) -> tuple[int, str, int]:
    """Put a submission back in the queue state and return its delivery."""
    submission.status = SubmissionStatus.QUEUED.value
    submission.error = submission.error_detail = submission.problems = None
    submission.started_at = submission.scored_at = None
    submission.attempts = 0
    submission.job_id = new_job_id(submission.id)
    # Old scores would stand on the leaderboard until the new ones arrive: drop them now.
    db.session.execute(db.delete(Score).where(Score.submission_id == submission.id))
    return submission.id, submission.job_id, scoring_timeout(submission.challenge)


def rescore_submission(submission: Submission, actor: User | None) -> Submission:
    """Score one submission again from its stored file."""
    challenge = submission.challenge
    _require_organiser(actor, challenge)
    delivery = _reset_for_scoring(submission)
    record("submission.rescore", actor=actor, challenge=challenge, target=submission)
    db.session.commit()
    clear_leaderboard(challenge.id, challenge.slug)
    enqueue_scoring([delivery])
    publish_submission_event(submission)
    return submission


def rescore_challenge(challenge: Challenge, actor: User | None = None) -> int:
    """Score every submission of a challenge again (cancelled ones stay cancelled); return how many."""
    _require_organiser(actor, challenge)
    submissions = db.session.execute(
        db.select(Submission).where(
            Submission.challenge_id == challenge.id,
            db.or_(Submission.error.is_(None), Submission.error != CANCELLED),
        ).order_by(Submission.id)
    ).scalars().all()
    deliveries = [_reset_for_scoring(s) for s in submissions]
    record("challenge.rescore", actor=actor, challenge=challenge, target=challenge, submissions=len(deliveries))
    db.session.commit()
    clear_leaderboard(challenge.id, challenge.slug)
    enqueue_scoring(deliveries)
    return len(deliveries)


def cancel_submission(submission: Submission, actor: User | None) -> Submission:
    """Cancel a queued submission: it ends `failed` and does not count against the quota."""
    challenge = submission.challenge
    _require_organiser(actor, challenge)
    # A conditional update: a worker may be claiming this very submission at this moment.
    changed = db.session.execute(
        db.update(Submission)
        .where(Submission.id == submission.id, Submission.status == SubmissionStatus.QUEUED.value)
        .values(status=SubmissionStatus.FAILED.value, error=CANCELLED)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        db.session.rollback()
        db.session.refresh(submission)
        raise SubmissionRefused(409, _("Not queued"), _("only a queued submission can be cancelled; this one is %(status)s",
                                                        status=shown_status(submission.status)))
    record("submission.cancel", actor=actor, challenge=challenge, target=submission)
    db.session.commit()
    db.session.refresh(submission)
    _cancel_job(submission.job_id)
    publish_submission_event(submission)
    return submission


def _cancel_job(job_id: str | None) -> None:
    if not job_id:
        return
    try:
        from rq.job import Job

        Job.fetch(job_id, connection=get_redis()).cancel()
    except Exception:
        pass  # gone already; were it delivered, the job finds the row failed and does nothing


def disqualify_team(team: Team, reason: str, actor: User | None) -> Team:
    """Disqualify a team with a recorded reason; its entries leave the leaderboard."""
    challenge = team.challenge
    _require_organiser(actor, challenge)
    reason = " ".join((reason or "").split())
    if not reason:
        raise SubmissionRefused(400, _("Reason required"), _("a disqualification needs a reason; it is recorded and shown to the team"))
    team.disqualified_at = utcnow()
    team.disqualified_reason = reason
    record("team.disqualify", actor=actor, challenge=challenge, target=team, reason=reason)
    db.session.commit()
    clear_leaderboard(challenge.id, challenge.slug)
    return team


def requalify_team(team: Team, actor: User | None) -> Team:
    """Lift a team's disqualification; its entries return to the leaderboard."""
    challenge = team.challenge
    _require_organiser(actor, challenge)
    previous = team.disqualified_reason
    team.disqualified_at = None
    team.disqualified_reason = None
    record("team.requalify", actor=actor, challenge=challenge, target=team, previous_reason=previous)
    db.session.commit()
    clear_leaderboard(challenge.id, challenge.slug)
    return team
