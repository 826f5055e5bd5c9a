"""A team's final selections: the submissions it chooses to stand for it on the private board."""

from __future__ import annotations

from ..audit import record
from ..challenges.access import team_of
from ..extensions import db
from ..leaderboard.cache import clear_leaderboard
from ..method_cards.service import missing_fields
from ..models import Submission, SubmissionStatus, Team, User, utcnow
from .errors import SubmissionRefused, refuse_if_barred
from .quota import lock_team


def closed_name(submission: Submission) -> str:
    """Return how a refusal names what has closed: the challenge, or the submission's phase when there are several."""
    return "the challenge" if len(submission.challenge.phases) == 1 else f"the {submission.phase.title} phase"


def _own_submission(submission: Submission, user: User | None) -> Team:
    team = team_of(user, submission.challenge)
    if team is None or team.id != submission.team_id:
        raise SubmissionRefused(404, "Not found", "no such submission in your team")
    refuse_if_barred(submission.challenge, user, need_verified=False)
    if submission.phase.is_closed():
        raise SubmissionRefused(403, "Challenge closed", f"{closed_name(submission)} has closed; final selections can no longer change")
    return team


def select_submission(submission: Submission, user: User | None) -> Submission:
    """Choose a scored submission as one of the team's final ones, within the challenge's limit."""
    team = _own_submission(submission, user)
    if submission.status != SubmissionStatus.SCORED.value:
        raise SubmissionRefused(409, "Not scored", f"only a scored submission can be chosen; this one is {submission.status}")
    if submission.selected_at is not None:
        return submission
    missing = missing_fields(submission)
    if missing:
        raise SubmissionRefused(
            409, "Method card incomplete",
            f"a final submission needs its method card; fill {', '.join(missing)} for submission {submission.id} first",
        )
    limit = submission.phase.settings.limits.final_selections
    try:
        lock_team(team.id)  # two choices at the same instant must not both pass the count
        chosen = db.session.execute(
            db.select(db.func.count(Submission.id)).where(Submission.team_id == team.id, Submission.phase_id == submission.phase_id,
                                                          Submission.selected_at.is_not(None))
        ).scalar_one()
        if chosen >= limit:
            raise SubmissionRefused(
                409, "Selection limit reached",
                f"your team has already chosen {chosen} final submission{'s' if chosen != 1 else ''}, the most this "
                f"{'phase' if len(submission.challenge.phases) > 1 else 'challenge'} allows; unchoose one first",
            )
        submission.selected_at = utcnow()
        record("submission.select", actor=user, challenge=submission.challenge, target=submission)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    clear_leaderboard(submission.challenge_id, submission.challenge.slug)
    return submission


def unselect_submission(submission: Submission, user: User | None) -> Submission:
    """Remove a submission from the team's final ones."""
    _own_submission(submission, user)
    if submission.selected_at is None:
        return submission
    submission.selected_at = None
    record("submission.unselect", actor=user, challenge=submission.challenge, target=submission)
    db.session.commit()
    clear_leaderboard(submission.challenge_id, submission.challenge.slug)
    return submission
