"""Sums and means under rows of multiplicities (bootstrap resamples), shared by the metric families."""

from __future__ import annotations

import numpy as np


def weight_matrix(weights, n: int) -> np.ndarray:
    """Return the weightings as a (B, n) matrix; no weights is one weighting of ones."""
    if weights is None:
        return np.ones((1, n), dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    return weights[None, :] if weights.ndim == 1 else weights


def weighted_sum(matrix: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Return the sum of the values under each row of the matrix."""
    # Multiplicities are integers; when values are integer-valued too, float64 sums are exact
    # whatever the summation order, so results are reproducible bit for bit.
    return (matrix * values).sum(axis=1)


def ratio(numerator, denominator) -> np.ndarray:
    """Return numerator / denominator elementwise, NaN where the denominator is 0."""
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    out = np.full(np.broadcast(numerator, denominator).shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def weighted_mean(values: np.ndarray, weights) -> np.ndarray:
    """Return the mean of the values under each weighting."""
    w = weight_matrix(weights, values.size)
    return ratio(weighted_sum(w, values), w.sum(axis=1))
