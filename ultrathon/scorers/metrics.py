"""The metric registry: one name -> one metric, with its tasks, direction and options.

Calling convention of `Metric.fn(y_true, y_pred, weights=None, **options) -> float`:
- binary: y_true 0/1 (n,), y_pred probability of class 1 (n,);
- multiclass: y_true class index (n,) in the YAML order of `data.classes`, y_pred (n, K)
  probabilities in that order;
- regression: y_true and y_pred floats (n,);
- survival: y_true a structured array with fields ("event", bool) and ("time", float),
  as scikit-survival takes it; y_pred a risk (n,), higher meaning an earlier event; or, for
  survival curves (submission.kind: survival_curve), an (n, H) matrix of the probabilities of
  surviving past each horizon, with the option `curve_horizons` (see curve_code).
`weights` are integer multiplicities (a bootstrap resample). `Metric.batch`, when set, takes a
(B, n) matrix of multiplicities and returns B values at once; metrics without it are bootstrapped
one resample at a time.

The code lives by family: classification_metrics.py, regression_metrics.py, survival_metrics.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Callable

import numpy as np

from ultrathon.metric_catalogue import CATALOGUE, MetricFacts
from ultrathon.scorers.classification_metrics import (
    accuracy_batch,
    average_precision_batch,
    balanced_accuracy_batch,
    brier_batch,
    calibration_intercept,
    calibration_slope,
    ece_batch,
    f1_batch,
    log_loss_batch,
    macro_f1_batch,
    mcc_batch,
    quadratic_kappa_batch,
    roc_auc_batch,
    roc_auc_ovr_batch,
    sensitivity_at_specificity_batch,
)
from ultrathon.scorers.regression_metrics import mae_batch, r2_batch, rmse_batch
from ultrathon.scorers.survival_curve_metrics import (
    CURVE_FORMS,
    brier_at_horizon_batch,
    calibration_at_horizon_batch,
    integrated_brier_batch,
)
from ultrathon.scorers.survival_metrics import harrell_c_batch, td_auc_batch, uno_c_batch

if TYPE_CHECKING:
    from ultrathon.spec import SubmissionSpec


@dataclass(frozen=True)
class Metric(MetricFacts):
    """A catalogued metric with its code."""

    fn: Callable[..., float] = field(kw_only=True, repr=False)
    batch: Callable[..., np.ndarray] | None = field(default=None, kw_only=True, repr=False)


def _single(batch: Callable[..., np.ndarray]) -> Callable[..., float]:
    """Return a batch metric as a function of one weighting."""
    def fn(y_true, y_pred, weights=None, **options) -> float:
        """Return the metric under one weighting."""
        return float(batch(y_true, y_pred, None if weights is None else np.asarray(weights)[None, :], **options)[0])

    fn.__name__ = batch.__name__.removesuffix("_batch")
    fn.__doc__ = batch.__doc__
    return fn


def _batched(batch) -> tuple[Callable[..., float], Callable[..., np.ndarray]]:
    """Return a batch metric's code as (one value, B values at once)."""
    return _single(batch), batch


def _one_at_a_time(fn: Callable[..., float]) -> tuple[Callable[..., float], None]:
    """Return the code of a metric without a batch form: bootstrapped one resample at a time."""
    return fn, None


# Each catalogued metric's code: (one value, B values at once or None).
_CODE: dict[str, tuple[Callable[..., float], Callable[..., np.ndarray] | None]] = {
    "roc_auc": _batched(roc_auc_batch),
    "average_precision": _batched(average_precision_batch),
    "log_loss": _batched(log_loss_batch),
    "brier": _batched(brier_batch),
    "balanced_accuracy": _batched(balanced_accuracy_batch),
    "mcc": _batched(mcc_batch),
    "f1": _batched(f1_batch),
    "sensitivity_at_specificity": _batched(sensitivity_at_specificity_batch),
    "calibration_slope": _one_at_a_time(calibration_slope),
    "calibration_intercept": _one_at_a_time(calibration_intercept),
    "ece": _batched(ece_batch),
    "roc_auc_ovr": _batched(roc_auc_ovr_batch),
    "accuracy": _batched(accuracy_batch),
    "macro_f1": _batched(macro_f1_batch),
    "quadratic_kappa": _batched(quadratic_kappa_batch),
    "rmse": _batched(rmse_batch),
    "mae": _batched(mae_batch),
    "r2": _batched(r2_batch),
    "harrell_c": _batched(harrell_c_batch),
    "uno_c": _batched(uno_c_batch),
    "td_auc": _batched(td_auc_batch),
    "integrated_brier": _batched(integrated_brier_batch),
    "brier_at_horizon": _batched(brier_at_horizon_batch),
    "calibration_at_horizon": _batched(calibration_at_horizon_batch),
}

METRICS: dict[str, Metric] = {
    name: Metric(**{f.name: getattr(facts, f.name) for f in fields(MetricFacts)}, fn=_CODE[name][0], batch=_CODE[name][1])
    for name, facts in CATALOGUE.items()
}


def metric_options(name: str, options: dict) -> dict:
    """Return the options from a challenge's metrics.options that a metric takes."""
    metric = METRICS.get(name)
    if metric is None:
        return {}
    return {key: options[key] for key in metric.options if key in options}


def curve_code(name: str, options: dict, submission: SubmissionSpec) -> tuple[Callable[..., float], Callable[..., np.ndarray], dict]:
    """Return a survival metric's code and options when the predictions are curves at submission.horizons."""
    batch = CURVE_FORMS.get(name) or METRICS[name].batch
    options = {**options, "curve_horizons": tuple(float(h) for h in submission.horizons)}
    if "horizon" in METRICS[name].options:
        options.setdefault("horizon", submission.figure_horizon)
    return _single(batch), batch, options
