"""Ranking statistics over paired bootstrap resamples: P(rank 1), rank intervals, ties, Kendall's tau.

Pure functions of arrays, with no Flask or database: the leaderboard's background job
(`platform/leaderboard/stats.py`) feeds them the stored replicates.
"""

from __future__ import annotations

import numpy as np

from ultrathon.scorers.bootstrap import percentile_interval

def mid_ranks(replicates: np.ndarray, higher_is_better: bool) -> np.ndarray:
    """Return each team's rank on each resample (teams x resamples), tied teams sharing their mean rank.

    Two teams tied for first both rank 1.5, three tied for second all rank 3; an undefined value
    ranks last, level with the other undefined ones. No team gains from submitting earlier.
    """
    values = np.asarray(replicates, dtype=np.float64)
    n_teams, n_resamples = values.shape
    keyed = values if higher_is_better else -values
    keyed = np.where(np.isfinite(keyed), keyed, -np.inf)
    order = np.argsort(-keyed, axis=0)
    ordered = np.take_along_axis(keyed, order, axis=0)
    # Within each resample, a run of equal values holds positions first..last (0-based).
    starts = np.ones_like(ordered, dtype=bool)
    starts[1:] = ordered[1:] != ordered[:-1]
    ends = np.ones_like(ordered, dtype=bool)
    ends[:-1] = starts[1:]
    position = np.arange(n_teams)[:, None]
    first = np.maximum.accumulate(np.where(starts, position, 0), axis=0)
    last = np.minimum.accumulate(np.where(ends, position, n_teams - 1)[::-1], axis=0)[::-1]
    ranks = np.empty_like(keyed)
    ranks[order, np.arange(n_resamples)[None, :]] = (first + last) / 2 + 1
    return ranks


def rank_statistics(replicates: np.ndarray, higher_is_better: bool, level: float) -> dict[str, np.ndarray]:
    """Return each team's P(rank 1), median rank and rank interval at `level` over paired resamples.

    `replicates` is teams x resamples; resample b is the same rows for every team. Ranks are
    mid-ranks (see mid_ranks): the k teams tied for first on a resample get 1/k of it each
    towards P(rank 1), and the median and interval may fall on a half rank.
    """
    ranks = mid_ranks(replicates, higher_is_better)
    # The k teams sharing first place on a resample hold ranks 1..k: their mid-rank is (k + 1) / 2.
    best = ranks.min(axis=0)
    first_share = np.where(ranks == best, 1.0 / (2 * best - 1), 0.0)
    tail = (1 - level) / 2
    return {
        "p_rank1": first_share.mean(axis=1),
        "median_rank": np.quantile(ranks, 0.5, axis=1, method="inverted_cdf"),
        "rank_low": np.quantile(ranks, tail, axis=1, method="inverted_cdf"),
        "rank_high": np.quantile(ranks, 1 - tail, axis=1, method="inverted_cdf"),
    }


def difference_interval(team: np.ndarray, leader: np.ndarray, level: float) -> tuple[float | None, float | None]:
    """Return the paired bootstrap percentile interval at `level` of a team's score minus the leader's."""
    return percentile_interval(np.asarray(team, dtype=np.float64) - np.asarray(leader, dtype=np.float64), level)


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
