"""A team's final selections: the submissions it chooses to stand for it on the private board."""

from __future__ import annotations

from ultrathon.i18n import gettext as _, ngettext

from ..audit import record
from ..challenges.access import team_of
from ..extensions import db
from ..leaderboard.cache import clear_leaderboard
from ..method_cards.service import missing_fields
from ..models import Submission, SubmissionStatus, Team, User, utcnow
from .errors import SubmissionRefused, refuse_if_barred, shown_status
from .quota import lock_team


def _closed_refusal(submission: Submission) -> SubmissionRefused:
    """Return the refusal of a choice after the close: of the challenge, or of the submission's phase when there are several."""
    if len(submission.challenge.phases) == 1:
        detail = _("the challenge has closed; final selections can no longer change")
    else:
        detail = _("the %(phase)s phase has closed; final selections can no longer change", phase=submission.phase.title)
    return SubmissionRefused(403, _("Challenge closed"), detail)


def _own_submission(submission: Submission, user: User | None) -> Team:
    team = team_of(user, submission.challenge)
    if team is None or team.id != submission.team_id:
        raise SubmissionRefused(404, _("Not found"), _("no such submission in your team"))
    refuse_if_barred(submission.challenge, user, need_verified=False)
    if submission.phase.is_closed():
        raise _closed_refusal(submission)
    return team


def _limit_refusal(chosen: int, phased: bool) -> SubmissionRefused:
    """Return the refusal of a choice past the limit of final selections."""
    if phased:
        detail = ngettext("your team has already chosen %(num)s final submission, the most this phase allows; unchoose one first",
                          "your team has already chosen %(num)s final submissions, the most this phase allows; unchoose one first",
                          chosen)
    else:
        detail = ngettext("your team has already chosen %(num)s final submission, the most this challenge allows; unchoose one "
                          "first", "your team has already chosen %(num)s final submissions, the most this challenge allows; "
                          "unchoose one first", chosen)
    return SubmissionRefused(409, _("Selection limit reached"), detail)


def select_submission(submission: Submission, user: User | None) -> Submission:
    """Choose a scored submission as one of the team's final ones, within the challenge's limit."""
    team = _own_submission(submission, user)
    if submission.status != SubmissionStatus.SCORED.value:
        raise SubmissionRefused(409, _("Not scored"), _("only a scored submission can be chosen; this one is %(status)s",
                                                        status=shown_status(submission.status)))
    if submission.selected_at is not None:
        return submission
    missing = missing_fields(submission)
    if missing:
        raise SubmissionRefused(409, _("Method card incomplete"), _(
            "a final submission needs its method card; fill %(fields)s for submission %(id)s first",
            fields=", ".join(missing), id=submission.id))
    limit = submission.phase.settings.limits.final_selections
    try:
        lock_team(team.id)  # two choices at the same instant must not both pass the count
        chosen = db.session.execute(
            db.select(db.func.count(Submission.id)).where(Submission.team_id == team.id, Submission.phase_id == submission.phase_id,
                                                          Submission.selected_at.is_not(None))
        ).scalar_one()
        if chosen >= limit:
            raise _limit_refusal(chosen, len(submission.challenge.phases) > 1)
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
