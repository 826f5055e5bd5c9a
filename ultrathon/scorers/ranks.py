"""Ranking statistics over paired bootstrap resamples: P(rank 1), rank intervals, ties, Kendall's tau.

Pure functions of arrays, with no Flask or database: the leaderboard's background job
(`platform/leaderboard/stats.py`) feeds them the stored replicates.
"""

from __future__ import annotations

import numpy as np

from ultrathon.scorers.bootstrap import percentile_interval

LEVEL = 0.95


def rank_statistics(replicates: np.ndarray, higher_is_better: bool) -> dict[str, np.ndarray]:
    """Return each team's P(rank 1), median rank and 95% rank interval over paired resamples.

    `replicates` is teams x resamples, teams in standings order; resample b is the same rows
    for every team. On each resample teams are ranked by their value there (an undefined value
    ranks last; equal values keep the standings order, as the leaderboard breaks ties).
    """
    values = np.asarray(replicates, dtype=np.float64)
    n_teams, n_resamples = values.shape
    keyed = values if higher_is_better else -values
    keyed = np.where(np.isfinite(keyed), keyed, -np.inf)
    # A stable sort of the negated values puts the best first and keeps standings order in ties.
    order = np.argsort(-keyed, axis=0, kind="stable")
    ranks = np.empty_like(order)
    ranks[order, np.arange(n_resamples)[None, :]] = np.arange(1, n_teams + 1)[:, None]
    tail = (1 - LEVEL) / 2
    return {
        "p_rank1": (ranks == 1).mean(axis=1),
        "median_rank": np.quantile(ranks, 0.5, axis=1, method="inverted_cdf"),
        "rank_low": np.quantile(ranks, tail, axis=1, method="inverted_cdf"),
        "rank_high": np.quantile(ranks, 1 - tail, axis=1, method="inverted_cdf"),
    }


def difference_interval(team: np.ndarray, leader: np.ndarray) -> tuple[float | None, float | None]:
    """Return the paired bootstrap 95% interval of a team's score minus the leader's."""
    return percentile_interval(np.asarray(team, dtype=np.float64) - np.asarray(leader, dtype=np.float64), LEVEL)


def cannot_be_told_apart(low: float | None, high: float | None) -> bool | None:
    """Return whether a difference interval holds 0 (a tie with the leader); None without an interval."""
    return None if low is None else bool(low <= 0.0 <= high)


def kendall_tau(first: list[int], second: list[int]) -> float | None:
    """Return Kendall's tau between two rankings of the same teams; None for fewer than two or no variation."""
    if len(first) < 2:
        return None
    from scipy.stats import kendalltau  # the worker needs scipy; web requests never import it

    statistic = kendalltau(first, second).statistic
    return None if np.isnan(statistic) else float(statistic)
