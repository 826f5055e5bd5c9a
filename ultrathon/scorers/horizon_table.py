"""The per-horizon table of a survival-curve submission: td_auc and the IPCW Brier score at each horizon, with CIs.

Intervals are percentile intervals at the challenge's ci_level over the split's bootstrap
resamples (the primary metric's, so paired across teams), whatever leaderboard.ci_method says.
"""

from __future__ import annotations

import math

import numpy as np

from ultrathon.scorers.bootstrap import bootstrap_weights, percentile_interval
from ultrathon.scorers.survival_curve_metrics import brier_scores_batch, curve_td_auc_batch

FIGURES = ("td_auc", "brier")
ROW_FIELDS = ("horizon", *(f"{name}{end}" for name in FIGURES for end in ("", "_low", "_high")))
MAX_HORIZONS = 100


def _figures(y_true, curves, weights, horizons: tuple[float, ...]) -> np.ndarray:
    """Return (B, figures, H): td_auc and the Brier score at each horizon, under each weighting."""
    td_auc = np.column_stack([curve_td_auc_batch(y_true, curves, weights, horizons, horizons=[h]) for h in horizons])
    return np.stack([td_auc, brier_scores_batch(y_true, curves, weights, horizons)], axis=1)


def _finite_or_none(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def horizon_table(y_true, curves, horizons, *, seed: int, strata, stream: int, n_resamples: int,
                  ci_level: float) -> dict | None:
    """Return one split's table: per horizon, td_auc and Brier with bootstrap intervals (None with no rows)."""
    horizons = tuple(float(h) for h in horizons)
    curves = np.asarray(curves, dtype=np.float64)
    if curves.shape[0] == 0:
        return None
    estimate = _figures(y_true, curves, None, horizons)[0]
    replicates = [_figures(y_true, curves, w, horizons)
                  for w in bootstrap_weights(seed, curves.shape[0], n_resamples, strata=strata, stream=stream)]
    drawn = np.concatenate(replicates) if replicates else np.zeros((0, len(FIGURES), len(horizons)))
    rows = []
    for k, horizon in enumerate(horizons):
        row: dict = {"horizon": horizon}
        for f, name in enumerate(FIGURES):
            low, high = percentile_interval(drawn[:, f, k], ci_level) if drawn.size else (None, None)
            row.update({name: _finite_or_none(estimate[f, k]), f"{name}_low": low, f"{name}_high": high})
        rows.append(row)
    return {"ci_level": float(ci_level), "n_resamples": int(n_resamples), "rows": rows}


def _number(value: object, optional: bool = True) -> float | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"a horizon figure is {value!r}, not a finite number")
    return float(value)


def horizons_from_dict(data: object) -> dict | None:
    """Return a table as horizon_table makes it, checked field by field; raise ValueError if malformed."""
    if data is None:
        return None
    if not isinstance(data, dict) or not {"ci_level", "n_resamples", "rows"} <= set(data):
        raise ValueError("the horizon table does not have the fields of horizon_table")
    rows = data["rows"]
    if not isinstance(rows, list) or not 0 < len(rows) <= MAX_HORIZONS:
        raise ValueError(f"the horizon table does not have 1 to {MAX_HORIZONS} rows")
    n_resamples = data["n_resamples"]
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, int) or n_resamples < 0:
        raise ValueError("the horizon table's n_resamples is not a count")
    out = []
    for row in rows:
        # Fields a later version adds are dropped, fields it lacks read as None: old reports still show.
        if not isinstance(row, dict) or "horizon" not in row:
            raise ValueError("a horizon row does not name its horizon")
        out.append({name: _number(row.get(name), optional=name != "horizon") for name in ROW_FIELDS})
    return {"ci_level": _number(data["ci_level"], optional=False), "n_resamples": n_resamples, "rows": out}
