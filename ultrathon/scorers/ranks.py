"""Ranking statistics over paired bootstrap resamples: P(rank 1), rank intervals, ties, Kendall's tau,
the multi-metric ranking schemes and the pairwise significance map.

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
    return statistics_of_ranks(mid_ranks(replicates, higher_is_better), level)


def statistics_of_ranks(ranks: np.ndarray, level: float) -> dict[str, np.ndarray]:
    """Return P(rank 1), median rank and rank interval at `level` of mid-ranks (teams x resamples)."""
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


# --- Multi-metric ranking schemes (Wiesenfarth et al. 2021, Sci Rep 11:2369) ---------------------
# `values` below are metrics x teams x resamples (or x 1 for the point values), `directions` say
# per metric whether higher is better. A lower scheme figure ranks higher, except for wins.

def mean_ranks(values: np.ndarray, directions: list[bool]) -> np.ndarray:
    """Return each team's mean over the metrics of its mid-rank per metric (teams x resamples)."""
    values = np.asarray(values, dtype=np.float64)
    return np.mean([mid_ranks(values[m], directions[m]) for m in range(len(directions))], axis=0)


def mean_rank_figures(points: np.ndarray, directions: list[bool]) -> np.ndarray:
    """Return mean_rank's figure per team: the mean of its per-metric mid-ranks on the point values."""
    return mean_ranks(np.asarray(points, dtype=np.float64)[:, :, None], directions)[:, 0]


def rank_then_aggregate_figures(replicates: np.ndarray, directions: list[bool]) -> np.ndarray:
    """Return rank_then_aggregate's figure per team: per-metric ranks on each resample, mean over metrics, then over resamples."""
    ranks = mean_ranks(replicates, directions)
    return ranks.mean(axis=1) if ranks.shape[1] else np.full(ranks.shape[0], np.nan)


def significance_wins(replicates: np.ndarray, directions: list[bool], alpha: float) -> np.ndarray:
    """Return how many other teams each team beats significantly, summed over the metrics.

    Team i beats team j on a metric when the share of paired resamples on which i is not better
    than j (worse, equal, or either undefined) is below `alpha`: a one-sided paired bootstrap test.
    """
    values = np.asarray(replicates, dtype=np.float64)
    n_teams, n_resamples = values.shape[1], values.shape[2]
    wins = np.zeros(n_teams, dtype=np.int64)
    if n_resamples == 0:
        return wins
    for m, higher in enumerate(directions):
        keyed = values[m] if higher else -values[m]
        for i in range(n_teams):
            # NaN compares false: an undefined resample counts as "not better".
            not_better = (~(keyed[i][None, :] > keyed)).mean(axis=1)
            beaten = not_better < alpha
            beaten[i] = False
            wins[i] += int(beaten.sum())
    return wins


def scheme_figures(scheme: str, points: np.ndarray, replicates: np.ndarray | None, directions: list[bool],
                   alpha: float) -> np.ndarray:
    """Return each team's figure under a multi-metric scheme (ranking.scheme; docs/challenge-format.md, Ranking)."""
    if scheme == "mean_rank":
        return mean_rank_figures(points, directions)
    empty = np.zeros((len(directions), np.asarray(points).shape[1], 0))
    replicates = empty if replicates is None else replicates
    if scheme == "rank_then_aggregate":
        return rank_then_aggregate_figures(replicates, directions)
    if scheme == "significance":
        return significance_wins(replicates, directions, alpha).astype(np.float64)
    raise ValueError(f"no multi-metric ranking scheme {scheme!r}; known: mean_rank, rank_then_aggregate, significance")


def scheme_order(scheme: str, figures: np.ndarray) -> np.ndarray:
    """Return the teams' positions best first by their scheme figures; equal figures keep the input order."""
    keyed = -figures if scheme == "significance" else figures
    keyed = np.where(np.isfinite(keyed), keyed, np.inf)
    return np.argsort(keyed, kind="stable")


def scheme_rank_replicates(replicates: np.ndarray, directions: list[bool]) -> np.ndarray:
    """Return each team's rank under a multi-metric scheme on each resample (teams x resamples).

    On one resample no test can be run and no resamples averaged: every scheme ranks the teams
    by the mean of their per-metric mid-ranks on that resample, itself mid-ranked.
    """
    return mid_ranks(mean_ranks(replicates, directions), higher_is_better=False)


# --- The pairwise significance map ------------------------------------------------------------


def holm_adjust(p_values: np.ndarray) -> np.ndarray:
    """Return Holm-Bonferroni adjusted p-values (Holm 1979, Scand J Stat 6:65); NaN stays NaN and is not counted."""
    p = np.asarray(p_values, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    defined = np.flatnonzero(np.isfinite(p))
    m = defined.size
    order = defined[np.argsort(p[defined], kind="stable")]
    # The i-th smallest p (0-based) is multiplied by m - i; the running maximum keeps the order.
    adjusted = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out[order] = np.minimum(adjusted, 1.0)
    return out


def paired_p_value(differences: np.ndarray) -> float | None:
    """Return the two-sided paired bootstrap p-value of differences: twice the smaller tail share at 0, at most 1."""
    finite = np.asarray(differences, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return None
    return float(min(1.0, 2.0 * min(np.mean(finite <= 0.0), np.mean(finite >= 0.0))))


def pairwise_comparisons(replicates: np.ndarray, points: np.ndarray, higher_is_better: bool, level: float) -> list[dict]:
    """Return every pair i < j of teams: the difference i - j, its paired interval, p-value and Holm-adjusted p-value.

    `replicates` is teams x resamples of one metric; the adjustment is over the k(k-1)/2 pairs.
    `better` names which team of the pair is significantly better (adjusted p below 1 - level), else None.
    """
    values = np.asarray(replicates, dtype=np.float64)
    pairs = []
    for i in range(values.shape[0]):
        for j in range(i + 1, values.shape[0]):
            differences = values[i] - values[j]
            low, high = percentile_interval(differences, level)
            pairs.append({"i": i, "j": j, "difference": float(points[i] - points[j]), "ci_low": low, "ci_high": high,
                          "p_value": paired_p_value(differences)})
    adjusted = holm_adjust(np.array([np.nan if p["p_value"] is None else p["p_value"] for p in pairs]))
    for pair, p in zip(pairs, adjusted):
        pair["p_adjusted"] = None if np.isnan(p) else float(p)
        significant = pair["p_adjusted"] is not None and pair["p_adjusted"] < 1 - level
        ahead = (pair["difference"] > 0) == higher_is_better
        pair["better"] = (pair["i"] if ahead else pair["j"]) if significant and pair["difference"] != 0 else None
    return pairs
