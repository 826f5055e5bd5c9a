"""Order a leaderboard's standings by the challenge's ranking scheme (ranking.scheme; scorers/ranks.py)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ultrathon.i18n import N_
from ultrathon.scorers.ranks import scheme_figures, scheme_order

from ..extensions import db
from ..models import Score
from .board import Board

# What each scheme's figure is, as the JSON's ranking_figure says it (in English) and the page translates it.
FIGURES = {
    "mean_rank": (N_("Mean rank"), N_("the mean over the ranking metrics of the team's rank on each (ties share their mid-rank)"), False),
    "rank_then_aggregate": (N_("Mean resample rank"), N_("the mean over bootstrap resamples of the team's mean rank over the "
                                                         "ranking metrics on that resample"), False),
    "significance": (N_("Significant wins"), N_("how many other teams the team beats in a one-sided paired bootstrap test at "
                                                "alpha = 1 - ci_level, summed over the ranking metrics"), True),
}
NEEDS_REPLICATES = ("rank_then_aggregate", "significance")


def ranking_figure(board: Board) -> dict | None:
    """Return what the entries' ranking_value is under the board's scheme; None under primary."""
    if board.ranking_scheme not in FIGURES:
        return None
    label, meaning, higher = FIGURES[board.ranking_scheme]
    return {"name": board.ranking_scheme, "label": label, "description": meaning, "higher_is_better": higher}


def point_values(board: Board, split: str, submission_ids: list[int]) -> np.ndarray:
    """Return the ranking metrics' values (metrics x submissions), NaN where undefined."""
    stored = dict(db.session.execute(
        db.select(Score.submission_id, Score.metrics).where(Score.submission_id.in_(submission_ids), Score.split == split)
    ).all())
    return np.array([[_number((stored.get(sid) or {}).get(metric)) for sid in submission_ids]
                     for metric in board.ranking_metrics], dtype=np.float64).reshape(len(board.ranking_metrics), -1)


def _number(value) -> float:
    return float("nan") if value is None else float(value)


def ranking_replicates(board: Board, split: str, submission_ids: list[int], n_resamples: int | None = None) -> np.ndarray:
    """Return the ranking metrics' paired replicates (metrics x submissions x resamples), NaN where none are stored.

    Resamples pair only by position: when submissions hold different numbers (a re-score in
    between), the shared first part is used, or `n_resamples` when given.
    """
    rows = db.session.execute(
        db.select(Score.submission_id, Score.replicates, Score.metric_replicates)
        .where(Score.submission_id.in_(submission_ids), Score.split == split)
    ).all()
    series: dict[tuple[str, int], np.ndarray] = {}
    for sid, primary, others in rows:
        if primary:
            series[(board.metric, sid)] = np.frombuffer(primary, dtype="<f8")
        for metric, values in (others or {}).items():
            series[(metric, sid)] = np.array(values, dtype=np.float64)  # None (undefined) becomes NaN
    wanted = [series.get((m, sid)) for m in board.ranking_metrics for sid in submission_ids]
    if n_resamples is None:
        n_resamples = min((s.size for s in wanted if s is not None), default=0)
    matrix = np.full((len(board.ranking_metrics), len(submission_ids), n_resamples), np.nan)
    for k, values in enumerate(wanted):
        if values is not None:
            # A submission missing a metric's replicates (scored before the scheme) stays undefined.
            matrix[k // len(submission_ids), k % len(submission_ids), : min(values.size, n_resamples)] = values[:n_resamples]
    return matrix


def order_standings(board: Board, split: str, rows: list):
    """Return the standings best first under the board's scheme, each with its ranking_value.

    Each team's submission is still the one its primary metric picks; only the order changes.
    Equal figures keep the primary order (then submission time). Baselines follow the ranked
    teams: under a multi-metric scheme a baseline's place would move the teams' own figures.
    """
    if board.ranking_scheme not in FIGURES:
        return rows
    teams = [row for row in rows if not row.baseline]
    baselines = [row for row in rows if row.baseline]
    if not teams:
        return rows
    ids = [row.submission_id for row in teams]
    replicates = ranking_replicates(board, split, ids) if board.ranking_scheme in NEEDS_REPLICATES else None
    figures = scheme_figures(board.ranking_scheme, point_values(board, split, ids), replicates,
                             list(board.ranking_directions), board.alpha)
    ordered = [replace(teams[i], ranking_value=_figure(figures[i], board.ranking_scheme))
               for i in scheme_order(board.ranking_scheme, figures)]
    return ordered + baselines


def _figure(value: float, scheme: str) -> float | int | None:
    if not np.isfinite(value):
        return None
    return int(value) if scheme == "significance" else round(float(value), 4)
