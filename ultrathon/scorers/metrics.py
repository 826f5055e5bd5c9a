"""The metric registry: one name -> one metric, with its tasks, direction and options."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Metric:
    """A named metric: the tasks it fits, its direction and the options it takes."""

    name: str
    label: str
    tasks: frozenset[str]
    higher_is_better: bool
    description: str
    fn: Callable[..., float] = field(repr=False)
    options: tuple[str, ...] = ()


def _pending(*_args, **_kwargs) -> float:  # replaced by the scoring library issue
    raise NotImplementedError


def _m(name, label, tasks, higher, description, fn=_pending, options=()):
    return Metric(name, label, frozenset(tasks), higher, description, fn, tuple(options))


_ALL = [
    _m("roc_auc", "AUROC", ["binary"], True, "Area under the ROC curve: the chance a random positive is ranked above a random negative."),
    _m("average_precision", "Average precision", ["binary"], True, "Area under the precision-recall curve; sensitive to performance on the positive class."),
    _m("log_loss", "Log loss", ["binary", "multiclass"], False, "Negative mean log-likelihood of the true class; punishes confident mistakes."),
    _m("brier", "Brier score", ["binary"], False, "Mean squared difference between predicted probability and outcome."),
    _m("balanced_accuracy", "Balanced accuracy", ["binary", "multiclass"], True, "Mean recall over classes (threshold 0.5 for binary)."),
    _m("mcc", "Matthews correlation", ["binary"], True, "Correlation between predicted (threshold 0.5) and true labels."),
    _m("f1", "F1 score", ["binary"], True, "Harmonic mean of precision and recall at threshold 0.5."),
    _m("sensitivity_at_specificity", "Sensitivity at specificity", ["binary"], True, "Sensitivity at the threshold reaching the required specificity.", options=["specificity"]),
    _m("calibration_slope", "Calibration slope", ["binary"], True, "Slope of the logistic recalibration of the predictions (1 is ideal)."),
    _m("calibration_intercept", "Calibration intercept", ["binary"], True, "Intercept of the logistic recalibration with the slope fixed at 1 (0 is ideal)."),
    _m("ece", "Expected calibration error", ["binary"], False, "Weighted mean gap between predicted and observed risk over 10 bins."),
    _m("roc_auc_ovr", "AUROC (one-vs-rest, macro)", ["multiclass"], True, "Mean of the one-vs-rest AUROCs over classes."),
    _m("accuracy", "Accuracy", ["multiclass"], True, "Share of rows whose most probable class is the true one."),
    _m("macro_f1", "Macro F1", ["multiclass"], True, "Mean F1 over classes."),
    _m("quadratic_kappa", "Quadratic weighted kappa", ["multiclass"], True, "Agreement on ordinal classes, penalising distant mistakes more."),
    _m("rmse", "RMSE", ["regression"], False, "Root mean squared error."),
    _m("mae", "MAE", ["regression"], False, "Mean absolute error."),
    _m("r2", "R²", ["regression"], True, "Share of the outcome's variance explained."),
    _m("harrell_c", "Harrell's C", ["survival"], True, "Share of comparable pairs whose higher predicted risk had the earlier event."),
    _m("uno_c", "Uno's C", ["survival"], True, "Concordance weighted by inverse probability of censoring, up to time tau.", options=["tau"]),
    _m("td_auc", "Time-dependent AUC", ["survival"], True, "Mean cumulative/dynamic AUC at the given horizons.", options=["horizons"]),
]

METRICS: dict[str, Metric] = {m.name: m for m in _ALL}
CUSTOM = "custom"
