"""Rank uncertainty from paired bootstrap replicates, the shake-up, subgroups and chart series.

Everything here runs in the background job (ultrathon.worker.leaderboard_jobs), never in a
request: the pages read what it stored in LeaderboardStats.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

import numpy as np

from ultrathon.i18n import N_
from ultrathon.scorers.ranks import (
    cannot_be_told_apart,
    difference_interval,
    kendall_tau,
    pairwise_comparisons,
    rank_statistics,
    scheme_rank_replicates,
    statistics_of_ranks,
)

from ..extensions import db
from ..models import LeaderboardStats, Score, Submission, utcnow
from .board import Board
from .ordering import FIGURES, ranking_replicates
from .standings import Standing, compute_standings

HISTORY_TEAMS = 10  # teams drawn in the best-score-over-time chart
SUBGROUP_TEAMS = 10  # private leaderboard teams in the subgroup table
PAIRWISE_TEAMS = 20  # at most this many of the top_k teams in the pairwise map, so that it stays readable
# The JSON and the results bundle say these in English; the page translates them (marked here).
HOLM = N_("Holm-Bonferroni over the k(k-1)/2 pairs")
PAIRED_TEST = N_("two-sided paired bootstrap: p = twice the smaller share of resamples on either side of 0")


def _replicates_of(submission_ids: list[int], split: str) -> dict[int, np.ndarray]:
    """Load the stored bootstrap replicates of these submissions on one split."""
    if not submission_ids:
        return {}
    rows = db.session.execute(
        db.select(Score.submission_id, Score.replicates)
        .where(Score.submission_id.in_(submission_ids), Score.split == split)
    ).all()
    return {sid: np.frombuffer(data, dtype="<f8") for sid, data in rows if data}


def uncertainty(board: Board, split: str, rows: list[Standing]) -> dict[str, Any]:
    """Return rank statistics for the top teams and whom the leader cannot be told apart from."""
    ranked = [row for row in rows if not row.baseline]
    replicates = _replicates_of([row.submission_id for row in ranked], split)
    with_replicates = [row for row in ranked if row.submission_id in replicates]
    out: dict[str, Any] = {"teams": {}, "n_resamples": 0, "n_ranked": len(ranked),
                           "leader_submission_id": ranked[0].submission_id if ranked else None}
    if not with_replicates:
        return out
    # Resamples pair only by position: if a re-score changed their number, use the shared part.
    n_resamples = min(replicates[row.submission_id].size for row in with_replicates)
    if n_resamples == 0:
        return out
    matrix = np.stack([replicates[row.submission_id][:n_resamples] for row in with_replicates])
    # Ranks are counted among every team with replicates, so a top team's interval includes
    # the chance of being overtaken by a team below the top K; figures are kept for the top K.
    figures = _scheme_statistics(board, split, [row.submission_id for row in with_replicates], matrix)
    leader = ranked[0]
    leader_replicates = replicates.get(leader.submission_id)
    out["n_resamples"] = int(n_resamples)
    top = {row.submission_id for row in ranked[: board.top_k]}
    for i, row in enumerate(with_replicates):
        if row.submission_id not in top:
            continue
        entry: dict[str, Any] = {
            "submission_id": row.submission_id,
            "p_rank1": round(float(figures["p_rank1"][i]), 4),
            # Mid-ranks: the median may fall on a half rank; the interval's ends are rounded
            # outward to whole ranks, so it still holds at least `ci_level` of the resamples.
            "median_rank": _rank_number(figures["median_rank"][i]),
            "rank_low": math.floor(figures["rank_low"][i]),
            "rank_high": math.ceil(figures["rank_high"][i]),
            "tied_with_leader": None,
            "difference_ci": None,
        }
        if leader_replicates is not None and row is not leader:
            low, high = difference_interval(matrix[i], leader_replicates[:n_resamples], board.ci_level)
            entry["difference_ci"] = None if low is None else [low, high]
            entry["tied_with_leader"] = cannot_be_told_apart(low, high)
        elif row is leader:
            entry["tied_with_leader"] = False
        out["teams"][str(row.team_id)] = entry
    return out


def _scheme_statistics(board: Board, split: str, submission_ids: list[int], primary: np.ndarray) -> dict[str, np.ndarray]:
    """Return P(rank 1) and rank intervals of the rank the board's scheme gives on each resample."""
    if board.ranking_scheme not in FIGURES:
        return rank_statistics(primary, board.higher_is_better, board.ci_level)
    replicates = ranking_replicates(board, split, submission_ids, primary.shape[1])
    return statistics_of_ranks(scheme_rank_replicates(replicates, list(board.ranking_directions)), board.ci_level)


def pairwise_map(board: Board, rows: list[Standing]) -> dict[str, Any] | None:
    """Return the top teams' pairwise paired bootstrap differences in the primary metric, Holm-adjusted."""
    top = [row for row in rows if not row.baseline][: min(board.top_k, PAIRWISE_TEAMS)]
    replicates = _replicates_of([row.submission_id for row in top], "private")
    top = [row for row in top if row.submission_id in replicates]
    if len(top) < 2:
        return None
    n_resamples = min(replicates[row.submission_id].size for row in top)
    matrix = np.stack([replicates[row.submission_id][:n_resamples] for row in top])
    pairs = pairwise_comparisons(matrix, np.array([row.value for row in top]), board.higher_is_better, board.ci_level)

    def rounded(value: float | None, places: int) -> float | None:
        return None if value is None else round(value, places)

    return {
        "metric": board.metric, "metric_label": board.metric_label, "higher_is_better": board.higher_is_better,
        "level": board.ci_level, "alpha": board.alpha, "adjustment": HOLM, "n_resamples": int(n_resamples),
        "test": PAIRED_TEST,
        "teams": [{"team_id": row.team_id, "team": row.team, "submission_id": row.submission_id} for row in top],
        "pairs": [{"a": top[p["i"]].team_id, "b": top[p["j"]].team_id,
                   "difference": rounded(p["difference"], board.decimals + 2),
                   "ci_low": rounded(p["ci_low"], board.decimals + 2), "ci_high": rounded(p["ci_high"], board.decimals + 2),
                   "p_value": rounded(p["p_value"], 6), "p_adjusted": rounded(p["p_adjusted"], 6),
                   "better": None if p["better"] is None else top[p["better"]].team_id} for p in pairs],
    }


def _rank_number(rank: float) -> int | float:
    """Return a mid-rank as a whole number when it is one (2), else as its half (1.5)."""
    return int(rank) if float(rank).is_integer() else float(rank)


def shake_up(public_rows: list[Standing], private_rows: list[Standing]) -> dict[str, Any]:
    """Return Kendall's tau between public and private ranks, and each team's move."""
    public_rank = {row.team_id: r for r, row in enumerate((r for r in public_rows if not r.baseline), start=1)}
    teams = []
    for rank, row in enumerate((r for r in private_rows if not r.baseline), start=1):
        before = public_rank.get(row.team_id)
        teams.append({
            "team_id": row.team_id, "team": row.team, "submission_id": row.submission_id,
            "private_rank": rank, "public_rank": before,
            "change": None if before is None else before - rank,
        })
    paired = [(t["public_rank"], t["private_rank"]) for t in teams if t["public_rank"] is not None]
    tau = kendall_tau([p for p, _ in paired], [q for _, q in paired])
    return {"tau": None if tau is None else round(tau, 4), "n_teams": len(paired), "teams": teams}


def subgroup_table(board: Board, rows: list[Standing]) -> dict[str, Any]:
    """Return the private scores of the top private teams per subgroup; suppressed cells carry no value."""
    top = [row for row in rows if not row.baseline][:SUBGROUP_TEAMS]
    if not top:
        return {"groups": [], "teams": []}
    stored = dict(db.session.execute(
        db.select(Score.submission_id, Score.subgroups)
        .where(Score.submission_id.in_([row.submission_id for row in top]), Score.split == "private")
    ).all())
    groups: list[tuple[str, str]] = []
    cells_of: dict[int, dict[tuple[str, str], dict]] = {}
    for row in top:
        cells = cells_of[row.submission_id] = {}
        for cell in stored.get(row.submission_id) or []:
            if cell.get("split", "private") != "private":
                continue
            key = (str(cell.get("column")), str(cell.get("group")))
            cells[key] = cell
            if key not in groups:
                groups.append(key)
    teams = [
        {"team_id": row.team_id, "team": row.team, "rank": rank,
         "cells": [_cell(cells_of[row.submission_id].get(key), board.decimals) for key in groups]}
        for rank, row in enumerate(top, start=1)
    ]
    return {"groups": [{"column": c, "group": g} for c, g in groups], "teams": teams}


def _cell(cell: dict | None, decimals: int) -> dict | None:
    if cell is None:
        return None
    suppressed = bool(cell.get("suppressed")) or cell.get("value") is None

    def rounded(name: str) -> float | None:
        value = cell.get(name)
        return None if suppressed or value is None else round(float(value), decimals)

    # A suppressed group's count would give it away too (scores stored before 1.1.0 hold one).
    return {"n": None if suppressed else cell.get("n"), "suppressed": suppressed, "value": rounded("value"),
            "ci_low": rounded("ci_low"), "ci_high": rounded("ci_high")}


def score_history(board: Board, split: str, rows: list[Standing]) -> list[dict[str, Any]]:
    """Return, for the top teams, their best score after each of their scored submissions."""
    top = [row for row in rows if not row.baseline][:HISTORY_TEAMS]
    if not top:
        return []
    points = db.session.execute(
        db.select(Score.team_id, Submission.created_at, Score.value)
        .join(Submission, Submission.id == Score.submission_id)
        .where(Score.challenge_id == board.id, Score.split == split, Score.value.is_not(None),
               Score.team_id.in_([row.team_id for row in top]))
        .order_by(Submission.created_at, Submission.id)
    ).all()
    series: dict[int, list[dict[str, Any]]] = defaultdict(list)
    best: dict[int, float] = {}
    for team_id, created_at, value in points:
        current = best.get(team_id)
        if current is None or (value > current if board.higher_is_better else value < current):
            best[team_id] = value
            series[team_id].append({"at": created_at.isoformat(), "best": round(float(value), board.decimals)})
    return [{"team_id": row.team_id, "team": row.team, "points": series.get(row.team_id, [])} for row in top]


def submissions_per_day(board: Board) -> list[dict[str, Any]]:
    """Return how many submissions arrived on each UTC day, days without any included."""
    moments = db.session.execute(
        db.select(Submission.created_at).where(Submission.phase_id == board.phase_id)
    ).scalars().all()
    counts = Counter(moment.date() for moment in moments)
    if not counts:
        return []
    first, last = min(counts), max(counts)
    days = [first.fromordinal(d) for d in range(first.toordinal(), last.toordinal() + 1)]
    return [{"day": day.isoformat(), "submissions": counts.get(day, 0)} for day in days]


def compute_leaderboard_stats(board: Board) -> dict[str, dict[str, Any]]:
    """Return the payload of both leaderboards' stats, from one standings query each."""
    public_rows = compute_standings(board, "public")
    private_rows = compute_standings(board, "private")
    per_day = submissions_per_day(board)
    payloads = {}
    for split, rows in (("public", public_rows), ("private", private_rows)):
        payload = uncertainty(board, split, rows)
        payload["history"] = score_history(board, split, rows)
        payload["per_day"] = per_day
        if split == "private":
            # Stored before the close too, for organisers; pages show it to everyone after.
            payload["shake_up"] = shake_up(public_rows, private_rows)
            payload["subgroups"] = subgroup_table(board, private_rows)
            payload["pairwise"] = pairwise_map(board, private_rows)
        payloads[split] = payload
    return payloads


def store_leaderboard_stats(board: Board, payloads: dict[str, dict[str, Any]], as_of: datetime | None = None) -> None:
    """Write both leaderboards' stats rows (the caller commits)."""
    as_of = as_of or utcnow()
    existing = {
        row.split: row for row in db.session.execute(
            db.select(LeaderboardStats).where(LeaderboardStats.phase_id == board.phase_id)
        ).scalars()
    }
    for split, payload in payloads.items():
        row = existing.get(split)
        if row is None:
            row = LeaderboardStats(challenge_id=board.id, phase_id=board.phase_id, split=split)
            db.session.add(row)
        row.as_of = as_of
        row.payload = payload
