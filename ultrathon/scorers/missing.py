"""Fill missing predictions as submission.missing says: the worst for each row, or an uninformative value.

A prediction is missing when its id has no row or its cells are empty (read_submission leaves
them NaN). `worst` looks at the row's own outcome, so a filled row can only lower the score; the
fill values reach only the metrics, never the team. `prevalence` looks at the team's own other
predictions alone, so it says nothing about the hidden outcomes. docs/challenge-format.md lists
both per task.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ultrathon.spec import ChallengeSpec


def missing_rows(y_pred: np.ndarray) -> np.ndarray:
    """Return which rows lack a prediction (any NaN cell)."""
    return np.isnan(y_pred).any(axis=1) if y_pred.ndim == 2 else np.isnan(y_pred)


def fill_missing(y_true: np.ndarray, y_pred: np.ndarray, spec: ChallengeSpec, scored: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the predictions with missing ones filled as the challenge says, and which rows were filled."""
    missing = missing_rows(y_pred)
    if spec.submission.missing == "refuse" or not missing.any():
        return y_pred, np.zeros(missing.size, dtype=bool)
    y_pred = y_pred.copy()
    fill = _worst if spec.submission.missing == "worst" else _uninformative
    y_pred[missing] = fill(spec.task, y_true, y_pred, missing, scored)
    return y_pred, missing


def _uninformative(task: str, y_true, y_pred: np.ndarray, missing: np.ndarray, scored) -> np.ndarray:
    """Return the team's own average prediction: the mean probability per class or curve, the median value or risk."""
    given = y_pred[~missing]
    # A mean of survival curves is a survival curve: it never rises.
    average = given.mean(axis=0) if task in ("binary", "multiclass") or given.ndim == 2 else np.median(given)
    return np.broadcast_to(average, y_pred[missing].shape)


def _worst(task: str, y_true: np.ndarray, y_pred: np.ndarray, missing: np.ndarray, scored: np.ndarray) -> np.ndarray:
    """Return, for each missing row, the prediction furthest from its own outcome."""
    truth = y_true[missing]
    if task == "binary":
        return 1.0 - truth  # probability 0 for the true class (log loss clips it to 1e-15)
    if task == "multiclass":
        k = y_pred.shape[1]
        # All the mass on the class furthest from the true one in data.classes' order.
        furthest = np.where(truth <= (k - 1) / 2, k - 1, 0)
        return np.eye(k)[furthest]
    if task == "regression":
        low, high = y_true[scored].min(), y_true[scored].max()
        return np.where(truth - low >= high - truth, low, high)
    return _worst_risks(y_true, y_pred, missing, scored)


def _worst_risks(y_true: np.ndarray, y_pred: np.ndarray, missing: np.ndarray, scored: np.ndarray) -> np.ndarray:
    """Return risks that make a missing row lose its comparable pairs (survival)."""
    # A row is compared as the earlier one with every later row (if it had an event), and as the
    # later one with every earlier event. Below every given risk it loses the first kind, above
    # every given risk the second: each row takes the extreme that loses more pairs.
    time, event = y_true["time"], y_true["event"]
    scored_times = np.sort(time[scored])
    event_times = np.sort(time[scored & event])
    later = scored_times.size - np.searchsorted(scored_times, time[missing], side="right")
    earlier_events = np.searchsorted(event_times, time[missing], side="left")
    low = event[missing] & (earlier_events <= later)  # censored rows are only ever the later one
    given = y_pred[~missing]
    floor, ceiling = (given.min(), given.max()) if given.size else (0.0, 0.0)
    # Within each extreme, a later time gets a higher risk: the filled rows disagree among themselves too.
    rank = np.unique(time[missing], return_inverse=True)[1].astype(np.float64)
    return np.where(low, floor - 1.0 - rank.max(initial=0) + rank, ceiling + 1.0 + rank)
