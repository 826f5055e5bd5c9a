"""What teams and visitors see of public scores: live, through the Ladder, or hidden until the results are out.

The rule of `feedback:` (ultrathon/spec/feedback.py) for every reader: the submissions page, the
API, the leaderboard and its exports. Organisers see every score as it is, and the shown one beside it.
"""

from __future__ import annotations

from ultrathon.i18n import N_, gettext as _
from ultrathon.scorers.ladder import default_step, shown_score

from ..extensions import db
from ..models import Score, Split, User
from .access import ChallengeLike, is_organiser, private_shown_to_all

# Whole sentences for each case: a phase's name or "and its results are published" pasted in does not translate.
HIDDEN_NOTICES = {
    (False, False): N_("Scores are hidden until the challenge closes at %(closes)s UTC: "
                       "each upload is checked and scored, and the standings appear then."),
    (False, True): N_("Scores are hidden until the challenge closes at %(closes)s UTC and its results are published: "
                      "each upload is checked and scored, and the standings appear then."),
    (True, False): N_("Scores are hidden until the %(phase)s phase closes at %(closes)s UTC: "
                      "each upload is checked and scored, and the standings appear then."),
    (True, True): N_("Scores are hidden until the %(phase)s phase closes at %(closes)s UTC and its results are published: "
                     "each upload is checked and scored, and the standings appear then."),
}
BEING_VERIFIED_NOTICE = N_("Scores are hidden until the organisers publish the final results: each upload was "
                           "checked and scored, and the standings appear then.")


def feedback_mode(challenge: ChallengeLike) -> str:
    """Return the feedback mode of a board's phase: live, ladder or hidden."""
    return challenge.feedback


def scores_hidden(challenge: ChallengeLike, viewer: User | None = None) -> bool:
    """Return whether this viewer sees no score of the challenge: hidden feedback, open, not an organiser."""
    # The scores come out with the private ones: at the close, or when the organisers publish (results.publish).
    return feedback_mode(challenge) == "hidden" and not private_shown_to_all(challenge) and not is_organiser(viewer, challenge)


def hidden_notice(challenge: ChallengeLike) -> str:
    """Return what a team or visitor reads where hidden scores would be."""
    if challenge.is_closed():
        return _(BEING_VERIFIED_NOTICE)
    manual = _publish_mode(challenge) == "manual"
    # A board of several phases closes with its own phase, not the challenge.
    phased = bool(getattr(challenge, "phased", False))
    return _(HIDDEN_NOTICES[phased, manual], phase=getattr(challenge, "phase_title", ""),
             closes=challenge.closes_at.strftime("%Y-%m-%d %H:%M"))


def _publish_mode(challenge: ChallengeLike) -> str:
    """Return results.publish of a board's challenge."""
    return challenge.publish


def sees_shown(challenge: ChallengeLike, viewer: User | None) -> bool:
    """Return whether this viewer sees the Ladder's shown public score rather than the score itself."""
    return feedback_mode(challenge) == "ladder" and not is_organiser(viewer, challenge)


def public_value(score: Score | None) -> float | None:
    """Return the public score a team is shown: the Ladder's when it set one, else the score itself."""
    if score is None:
        return None
    return score.shown if score.shown is not None else score.value


def ladder_step(feedback, n_public: int) -> float:
    """Return the Ladder's step: feedback.step, or by default 1/sqrt(public rows) (scorers/ladder.py)."""
    return feedback.step if feedback.step is not None else default_step(n_public)


def set_shown(row: Score, spec, phase) -> None:
    """Fix the public score the Ladder shows for a just-scored row, against its team's best shown so far.

    The caller holds the team's lock (submissions/quota.lock_team), so two scorings of one
    team's submissions take their turns, each against the other's stored result.
    """
    if phase.feedback.mode != "ladder" or row.split != Split.PUBLIC.value:
        row.shown = None
        return
    higher = spec.metrics.facts().higher_is_better
    best = db.func.max(Score.shown) if higher else db.func.min(Score.shown)
    best_shown = db.session.execute(
        db.select(best).where(Score.phase_id == row.phase_id, Score.team_id == row.team_id,
                              Score.split == Split.PUBLIC.value, Score.submission_id != row.submission_id)
    ).scalar()
    row.shown = shown_score(best_shown, row.value, ladder_step(phase.feedback, max(row.n_rows, 1)), higher)
