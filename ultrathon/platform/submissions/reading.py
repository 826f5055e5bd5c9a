"""The team's view of a submission: who may see it, and its shape in the API."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from ultrathon.i18n import gettext as _
from ultrathon.scorers.horizon_table import horizons_from_dict

from ..agents.sites import submission_sites
from ..challenges.access import can_view_private, is_organiser, team_of
from ..challenges.feedback import feedback_mode, public_value, scores_hidden, sees_shown
from ..extensions import db
from ..method_cards.service import card_to_dict
from ..models import Split, Submission, SubmissionStatus, User


def board_of_submission(submission: Submission):
    """Return the board of the submission's phase: what its feedback and visibility rules read."""
    from ..leaderboard.standings import find_board

    return find_board(submission.challenge.slug, submission.phase.slug)


def submission_for_viewer(submission_id: int, user: User | None) -> Submission | None:
    """Return the submission if the user is in its team or organises its challenge, else None."""
    submission = db.session.get(Submission, submission_id)
    if submission is None or user is None or not getattr(user, "is_authenticated", False):
        return None
    if is_organiser(user, submission.challenge):
        return submission
    team = team_of(user, submission.challenge)
    return submission if team is not None and team.id == submission.team_id else None


def shown_error(error: str | None) -> str | None:
    """Return a failed submission's stored message for the reader: a fixed one (cancelled, ...) in their language."""
    # The worker writes its messages in the uploader's language; fixed ones are stored as marked, in English.
    return _(error) if error else error


def _rounded(value: float | None, decimals: int) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), decimals)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def rounded_horizons(table: dict[str, Any] | None, decimals: int) -> dict[str, Any] | None:
    """Return a stored per-horizon table with its figures rounded to the challenge's decimals (None if it has none)."""
    try:
        table = horizons_from_dict(table)
    except ValueError:
        return None  # a table this version cannot read is not shown, rather than shown wrong
    if table is None:
        return None
    rows = [{k: v if k == "horizon" else _rounded(v, decimals) for k, v in row.items()} for row in table["rows"]]
    return {**table, "rows": rows}


def _file_fields(submission: Submission) -> dict[str, Any]:
    """Return what a submission is, apart from its scores: the file, its state and its choice as final."""
    return {
        "id": submission.id,
        "challenge": submission.challenge.slug,
        "phase": submission.phase.slug,
        "team": submission.team.name,
        "status": submission.status,
        "created_at": _iso(submission.created_at),
        "scored_at": _iso(submission.scored_at),
        "error": shown_error(submission.error),
        "problems": submission.problems,
        "note": submission.note,
        "filename": submission.filename,
        "size": submission.size,
        "sha256": submission.sha256,
        "selected": submission.selected_at is not None,
        "scorer_version": submission.scorer_version,
    }


def submission_to_dict(submission: Submission, viewer: User | None) -> dict[str, Any]:
    """Return a submission in the API's shape; private scores only after the close or to organisers.

    Under feedback: ladder a team reads the shown public score alone; under hidden, no score at all.
    """
    challenge = submission.challenge
    board = board_of_submission(submission)
    decimals = challenge.settings.leaderboard.decimals
    organiser = is_organiser(viewer, challenge)
    hidden = scores_hidden(board, viewer)
    scored = submission.status == SubmissionStatus.SCORED.value and not hidden
    scores = {s.split: s for s in submission.scores} if scored else {}

    def split_dict(split: str) -> dict[str, float | None] | None:
        score = scores.get(split)
        if score is None:
            return None
        return {name: _rounded(value, decimals) for name, value in (score.metrics or {}).items()}

    public = scores.get(Split.PUBLIC.value)
    shown = _rounded(public_value(public), decimals)
    private_visible = can_view_private(viewer, board) and not hidden
    private = scores.get(Split.PRIVATE.value) if private_visible else None
    out: dict[str, Any] = {**_file_fields(submission), **{
        "metric": challenge.settings.metrics.primary,
        "public": split_dict(Split.PUBLIC.value),
        "private": split_dict(Split.PRIVATE.value) if private_visible else None,
        "ci_level": challenge.settings.leaderboard.ci_level,
        "ci_low": _rounded(public.ci_low, decimals) if public else None,
        "ci_high": _rounded(public.ci_high, decimals) if public else None,
        "private_ci_low": _rounded(private.ci_low, decimals) if private else None,
        "private_ci_high": _rounded(private.ci_high, decimals) if private else None,
        "public_filled": public.n_filled if public else None,  # predictions filled as submission.missing says
        "private_filled": private.n_filled if private else None,
        # td_auc and Brier per horizon of a survival-curve submission; private ones as private scores are.
        "public_horizons": rounded_horizons(public.horizons, decimals) if public else None,
        "private_horizons": rounded_horizons(private.horizons, decimals) if private else None,
        # Several sites: each site's figures per split, "pending" until it reports; private as private scores are.
        "sites": submission_sites(challenge, [submission], private_visible).get(submission.id),
        "feedback": feedback_mode(board),
        "public_shown": shown,  # what teams see of the public score: the Ladder's under ladder
        "method_card": card_to_dict(submission),
    }}
    if sees_shown(board, viewer):
        # The score itself, its interval, other metrics and per-site figures would each tell it.
        out.update(public=None if public is None else {out["metric"]: shown}, ci_low=None, ci_high=None,
                   public_horizons=None, sites=None)
    if hidden:
        out["sites"] = None
    if organiser:
        out["error_detail"] = submission.error_detail
        out["attempts"] = submission.attempts
    return out
