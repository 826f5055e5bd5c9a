"""The leaderboard of a challenge scored at several sites: each site's score and CI beside the combined one."""

from __future__ import annotations

from typing import Any

from ..agents.models import AgentSiteJob
from ..agents.sites import site_figures, with_pending
from ..extensions import db
from ..models import Submission, SubmissionStatus, Team
from .board import Board

WAITING = (SubmissionStatus.QUEUED.value, SubmissionStatus.SCORING.value)


def add_site_columns(board: Board, split: str, document: dict[str, Any], submission_ids: list[int]) -> dict[str, Any]:
    """Add each entry's site figures, and the submissions some sites have scored and others not (unranked).

    submission_ids: the entries' submissions, in the entries' order.
    """
    if not board.sites:
        return document
    figures = site_figures(submission_ids, split, board.decimals)
    for entry, submission_id in zip(document["entries"], submission_ids):
        entry["sites"] = with_pending(figures.get(submission_id, {}), board.sites)
    document["sites"] = list(board.sites)
    document["combine"] = board.combine
    document["pending"] = _partly_scored(board, split)
    return document


def _partly_scored(board: Board, split: str) -> list[dict[str, Any]]:
    """Return submissions still waiting for a site: never ranked on a partial combination."""
    rows = db.session.execute(
        db.select(Submission.id, Submission.team_id, Team.name)
        .join(Team, Team.id == Submission.team_id)
        .where(Submission.challenge_id == board.id, Submission.status.in_(WAITING), Team.disqualified_at.is_(None),
               Submission.id.in_(db.select(AgentSiteJob.submission_id).where(AgentSiteJob.done_at.is_not(None))))
        .order_by(Submission.id)
    ).all()
    figures = site_figures([r.id for r in rows], split, board.decimals)
    return [{"team": name, "team_id": team_id, "submission_id": sid, "rank": None,
             "sites": with_pending(figures.get(sid, {}), board.sites)} for sid, team_id, name in rows]
