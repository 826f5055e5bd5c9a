"""The parts of the leaderboard page every viewer shares, rendered once per change and cached."""

from __future__ import annotations

import json
from typing import Any

from flask import render_template
from flask_babel import force_locale

from ultrathon.i18n import current_language
from ultrathon.scorers.subgroups import MIN_GROUP_COUNT

from .board import Board
from .cache import cache_key, cached
from .curves import top_team_charts
from .standings import get_standings, stats_of


def chart_series(board: Board, split: str, standings: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    """Return what the three charts draw: best score over time, submissions per day, the forest plot."""
    ranked = [e for e in standings["entries"] if e["rank"] is not None][: board.top_k]
    baselines = [e for e in standings["entries"] if e["baseline"]]
    return {
        "split": split,
        "metric_label": board.metric_label,
        "higher_is_better": board.higher_is_better,
        "decimals": board.decimals,
        "ci_label": board.ci_label,
        "stats_as_of": standings["stats_as_of"],
        "history": payload.get("history", []),
        "per_day": payload.get("per_day", []),
        "forest": [
            {"team": e["team"], "rank": e["rank"], "score": e["score"], "ci_low": e["ci_low"],
             "ci_high": e["ci_high"], "baseline": e["baseline"]}
            for e in ranked + baselines
        ],
    }


def pairwise_grid(pairwise: dict[str, Any] | None) -> dict[str, Any] | None:
    """Return the pairwise map with a square grid of cells, row team against column team, for the page."""
    if not pairwise:
        return None
    teams = pairwise["teams"]
    index = {team["team_id"]: i for i, team in enumerate(teams)}
    grid: list[list[dict | None]] = [[None] * len(teams) for _ in teams]
    for pair in pairwise["pairs"]:
        a, b = index[pair["a"]], index[pair["b"]]
        for row, col, sign in ((a, b, 1), (b, a, -1)):
            mark = "none" if pair["better"] is None else ("better" if pair["better"] == teams[row]["team_id"] else "worse")
            ends = [None if v is None else sign * v for v in (pair["ci_low"], pair["ci_high"])]
            grid[row][col] = {"other": teams[col]["team"], "mark": mark, "difference": sign * pair["difference"],
                              "ci_low": min(ends) if None not in ends else None, "ci_high": max(ends) if None not in ends else None,
                              "p_value": pair["p_value"], "p_adjusted": pair["p_adjusted"]}
    return {**pairwise, "grid": [{"team": team["team"], "cells": cells} for team, cells in zip(teams, grid)]}


def charts_body(board: Board, split: str, generation: str | None = None) -> bytes:
    """Return the chart series of a leaderboard as JSON bytes, cached until the next change."""
    def build() -> bytes:
        stats = stats_of(board, split)
        series = chart_series(board, split, get_standings(board, split), stats.payload if stats else {})
        return json.dumps(series, separators=(",", ":")).encode()

    return cached(board.id, cache_key(board.id, split, "charts", phase=board.phase_id), build, generation=generation)


def standings_fragment(board: Board, split: str) -> bytes:
    """Return the page's shared HTML (table, shake-up, subgroups, charts) in the reader's language, cached until a change."""
    language = current_language()

    def build() -> bytes:
        standings = get_standings(board, split)
        stats = stats_of(board, split)
        payload = stats.payload if stats is not None else {}
        # Outside a request (a warm-up, a test) no request picks the language: the cache key's does.
        with force_locale(language):
            return _render_fragment(board, split, standings, payload)

    return cached(board.id, cache_key(board.id, split, f"html-{language}", phase=board.phase_id), build)


def _render_fragment(board: Board, split: str, standings: dict[str, Any], payload: dict[str, Any]) -> bytes:
    """Render the shared HTML of one split's standings."""
    return render_template(
        "leaderboard/_standings.html",
        board=board,
        split=split,
        standings=standings,
        shake_up=payload.get("shake_up") if split == "private" else None,
        subgroups=payload.get("subgroups") if split == "private" else None,
        pairwise=pairwise_grid(standings.get("pairwise")),
        min_group_count=MIN_GROUP_COUNT,
        charts=chart_series(board, split, standings, payload),
        # The private page is served only to whom can_view_private allows (routes.py).
        curves=top_team_charts(board, split) if split == "private" else [],
    ).encode()
