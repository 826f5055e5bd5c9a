"""Metrics of survival curves under B weightings at once: IPCW Brier scores, calibration, and the rank metrics.

A curve prediction is an (n, H) matrix: row i's probability of surviving past each horizon of
submission.horizons (`curve_horizons`), in order. The Brier score at t weights each row by the
inverse of the Kaplan-Meier survival of censoring G, estimated on the scored rows themselves as
scikit-survival's brier_score does (train = test; Graf et al. 1999):
    BS(t) = 1/n sum_i [T_i <= t, event] S_i(t)^2 / G(T_i) + [T_i > t] (1 - S_i(t))^2 / G(t),
with 1/G = 0 where G is 0. A horizon outside a weighting's follow-up (before its first time, or
at or after its last) has no value there: NaN, as td_auc. The rank metrics take the event
probability 1 - S: td_auc at each of its times from the curve at that time, Harrell's and
Uno's C from the curve at the last horizon.
"""

from __future__ import annotations

import numpy as np

from ultrathon.scorers.ranking import _as_weight_matrix, _divide, tie_group_starts
from ultrathon.scorers.survival_metrics import (
    _censoring_survival,
    _inverse,
    _running_weight,
    censoring_survival_at,
    harrell_c_batch,
    td_auc_batch,
    uno_c_batch,
)


def horizon_column(curve_horizons, horizon: float) -> int:
    """Return the column of a curve that holds survival at `horizon`; raise ValueError if it has none."""
    horizons = [float(h) for h in curve_horizons]
    if float(horizon) not in horizons:
        raise ValueError(f"{horizon:g} is not one of the submission's horizons ({', '.join(f'{h:g}' for h in horizons)})")
    return horizons.index(float(horizon))


def _by_time(y_true, curves, weights):
    """Return times, events, curves and multiplicities in time order, events before censorings at a time."""
    time = np.asarray(y_true["time"], dtype=np.float64)
    event = np.asarray(y_true["event"], dtype=bool)
    w_all = _as_weight_matrix(weights, time.size)
    order = np.lexsort((~event, time))
    curves = np.asarray(curves, dtype=np.float64).reshape(time.size, -1)
    return time[order], event[order], curves[order], np.ascontiguousarray(w_all[:, order], dtype=np.int32)


def _outside(t: np.ndarray, cum: np.ndarray, horizons: np.ndarray) -> np.ndarray:
    """Return, per weighting and horizon, whether the horizon lies outside its follow-up [first, last)."""
    first = t[np.argmax(cum[:, 1:] > 0, axis=1)]
    last = t[np.argmax(cum[:, 1:] == cum[:, -1:], axis=1)]
    return (horizons[None, :] < first[:, None]) | (horizons[None, :] >= last[:, None])


def brier_scores_batch(y_true, curves, weights=None, curve_horizons=()) -> np.ndarray:
    """Return the IPCW Brier score at every horizon of the curves, (B, H), under each weighting."""
    t, e, s, w = _by_time(y_true, curves, weights)
    horizons = np.asarray(curve_horizons, dtype=np.float64)
    out = np.full((w.shape[0], horizons.size), np.nan)
    if t.size == 0:
        return out
    cum = _running_weight(w)
    case_weight = w * _inverse(_censoring_survival(t, e, cum, np.arange(t.size)))  # w_i / G(T_i)
    control_unit = _inverse(censoring_survival_at(t, e, cum, horizons))  # 1 / G(t), per horizon
    for k, horizon in enumerate(horizons):
        cases = np.where(e & (t <= horizon), np.square(s[:, k]), 0.0)
        controls = np.where(t > horizon, np.square(1.0 - s[:, k]), 0.0)
        out[:, k] = case_weight @ cases + (w @ controls) * control_unit[:, k]
    out /= cum[:, -1:]
    return np.where(_outside(t, cum, horizons), np.nan, out)


def brier_at_horizon_batch(y_true, curves, weights=None, curve_horizons=(), horizon=None) -> np.ndarray:
    """Return the IPCW Brier score of the curves at one horizon under each weighting."""
    column = horizon_column(curve_horizons, horizon)
    curves = np.asarray(curves, dtype=np.float64)
    return brier_scores_batch(y_true, curves[:, column : column + 1], weights, (float(horizon),))[:, 0]


def integrated_brier_batch(y_true, curves, weights=None, curve_horizons=()) -> np.ndarray:
    """Return the Brier score integrated over the horizons (trapezoids) and divided by their span."""
    horizons = np.asarray(curve_horizons, dtype=np.float64)
    if horizons.size < 2:
        raise ValueError("the integrated Brier score needs two or more horizons")
    scores = brier_scores_batch(y_true, curves, weights, horizons)
    areas = (scores[:, 1:] + scores[:, :-1]) / 2 * np.diff(horizons)
    return areas.sum(axis=1) / (horizons[-1] - horizons[0])


def kaplan_meier_batch(t: np.ndarray, e: np.ndarray, w: np.ndarray, horizon: float) -> np.ndarray:
    """Return the Kaplan-Meier survival at `horizon` per weighting (rows in time order, events first)."""
    starts = tie_group_starts(t)
    ends = np.append(starts[1:], t.size)
    cum = _running_weight(w)
    events_cum = _running_weight(np.where(e, w, 0))
    keep = t[starts] <= horizon
    deaths = (events_cum[:, ends] - events_cum[:, starts])[:, keep]
    at_risk = (cum[:, -1:] - cum[:, starts])[:, keep]
    ratio = np.divide(deaths, at_risk, out=np.zeros(deaths.shape), where=at_risk > 0)
    return np.prod(1.0 - ratio, axis=1)


def calibration_at_horizon_batch(y_true, curves, weights=None, curve_horizons=(), horizon=None) -> np.ndarray:
    """Return mean predicted risk by the horizon, 1 - S_i(t), less the Kaplan-Meier risk 1 - KM(t), per weighting."""
    column = horizon_column(curve_horizons, horizon)
    t, e, s, w = _by_time(y_true, curves, weights)
    predicted = _divide(w @ (1.0 - s[:, column]), w.sum(axis=1))
    return predicted - (1.0 - kaplan_meier_batch(t, e, w, float(horizon)))


def curve_td_auc_batch(y_true, curves, weights=None, curve_horizons=(), horizons=None) -> np.ndarray:
    """Return the mean cumulative/dynamic AUC over its times (all horizons by default), each from 1 - S at that time."""
    times = np.unique(np.asarray(curve_horizons if horizons is None else horizons, dtype=np.float64))
    curves = np.asarray(curves, dtype=np.float64)
    aucs = [td_auc_batch(y_true, 1.0 - curves[:, horizon_column(curve_horizons, h)], weights, horizons=[h]) for h in times]
    return np.mean(np.column_stack(aucs), axis=1)


def curve_harrell_c_batch(y_true, curves, weights=None, curve_horizons=()) -> np.ndarray:
    """Return Harrell's C of the risk 1 - S(last horizon) under each weighting."""
    return harrell_c_batch(y_true, 1.0 - np.asarray(curves, dtype=np.float64)[:, -1], weights)


def curve_uno_c_batch(y_true, curves, weights=None, curve_horizons=(), tau=None) -> np.ndarray:
    """Return Uno's C of the risk 1 - S(last horizon) up to tau under each weighting."""
    return uno_c_batch(y_true, 1.0 - np.asarray(curves, dtype=np.float64)[:, -1], weights, tau=tau)


# The rank metrics' forms for curves: the risk they rank is read off the curve.
CURVE_FORMS = {"harrell_c": curve_harrell_c_batch, "uno_c": curve_uno_c_batch, "td_auc": curve_td_auc_batch}
