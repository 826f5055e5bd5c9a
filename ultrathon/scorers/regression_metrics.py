"""Regression metrics under B weightings at once."""

from __future__ import annotations

import numpy as np

from ultrathon.scorers.weighting import ratio, weight_matrix, weighted_mean, weighted_sum


def _errors(y_true, y_pred) -> np.ndarray:
    return np.asarray(y_pred, dtype=np.float64) - np.asarray(y_true, dtype=np.float64)


def rmse_batch(y_true, y_pred, weights=None) -> np.ndarray:
    """Return the root mean squared error under each weighting."""
    return np.sqrt(weighted_mean(_errors(y_true, y_pred) ** 2, weights))


def mae_batch(y_true, y_pred, weights=None) -> np.ndarray:
    """Return the mean absolute error under each weighting."""
    return weighted_mean(np.abs(_errors(y_true, y_pred)), weights)


def r2_batch(y_true, y_pred, weights=None) -> np.ndarray:
    """Return 1 - SSE/SST under each weighting (NaN when the outcome does not vary)."""
    y = np.asarray(y_true, dtype=np.float64)
    w = weight_matrix(weights, y.size)
    total = w.sum(axis=1)
    sse = weighted_sum(w, _errors(y_true, y_pred) ** 2)
    mean = ratio(weighted_sum(w, y), total)
    sst = weighted_sum(w, (y[None, :] - mean[:, None]) ** 2)
    return 1.0 - ratio(sse, np.where(sst > 0, sst, 0))
