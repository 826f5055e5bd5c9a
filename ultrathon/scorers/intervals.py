"""A score's bootstrap interval, by the challenge's leaderboard.ci_method at its ci_level."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ultrathon.scorers.bootstrap import MAX_CHUNK_CELLS, bca_interval, percentile_interval

if TYPE_CHECKING:
    from ultrathon.scorers.evaluation import Evaluator
    from ultrathon.spec import LeaderboardSpec


def score_interval(evaluator: Evaluator, rows: np.ndarray, estimate: float, replicates: np.ndarray,
                   leaderboard: LeaderboardSpec) -> tuple[float | None, float | None]:
    """Return the interval of a metric on these rows from its replicates there."""
    if leaderboard.ci_method == "bca":
        return bca_interval(replicates, estimate, jackknife(evaluator, rows), leaderboard.ci_level)
    return percentile_interval(replicates, leaderboard.ci_level)


def jackknife(evaluator: Evaluator, rows: np.ndarray) -> np.ndarray:
    """Return the metric on these rows with each left out in turn (NaN where undefined).

    Leave-one-out is a weighting, so a metric's batch form scores a block of them at once:
    n evaluations cost about n / block batch calls. The spec refuses bca for a custom metric.
    """
    y_true, y_pred = evaluator.data.y_true[rows], evaluator.data.y_pred[rows]
    n_rows = rows.size
    block = max(1, MAX_CHUNK_CELLS // max(n_rows, 1))
    values = np.full(n_rows, np.nan)
    for first in range(0, n_rows, block):
        left_out = np.arange(first, min(first + block, n_rows))
        weights = np.ones((left_out.size, n_rows), dtype=np.int32)
        weights[np.arange(left_out.size), left_out] = 0
        if evaluator.batch is not None:
            values[left_out] = evaluator.batch(y_true, y_pred, weights, **evaluator.options)
            continue
        for k, w in zip(left_out, weights):
            try:
                values[k] = evaluator.fn(y_true, y_pred, weights=w, **evaluator.options)
            except Exception:  # noqa: BLE001 - a row whose absence leaves the metric undefined
                pass
    return values
