"""The metric registry: one name -> one metric, with its tasks, direction and options.

Calling convention of `Metric.fn(y_true, y_pred, weights=None, **options) -> float`:
- binary: y_true 0/1 (n,), y_pred probability of class 1 (n,);
- multiclass: y_true class index (n,) in the YAML order of `data.classes`, y_pred (n, K)
  probabilities in that order;
- regression: y_true and y_pred floats (n,);
- survival: y_true a structured array with fields ("event", bool) and ("time", float),
  as scikit-survival takes it; y_pred a risk (n,), higher meaning an earlier event.
`weights` are integer multiplicities (a bootstrap resample). `Metric.batch`, when set, takes a
(B, n) matrix of multiplicities and returns B values at once; metrics without it are bootstrapped
one resample at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Callable

import numpy as np

from ultrathon.metric_catalogue import CATALOGUE, MetricFacts
from ultrathon.scorers.ranking import average_precision_counts, harrell_c_counts, roc_auc_counts


@dataclass(frozen=True)
class Metric(MetricFacts):
    """A catalogued metric with its code."""

    fn: Callable[..., float] = field(kw_only=True, repr=False)
    batch: Callable[..., np.ndarray] | None = field(default=None, kw_only=True, repr=False)


CLIP = 1e-15  # log loss clips probabilities to [CLIP, 1 - CLIP] so one 0 or 1 is not infinite
THRESHOLD = 0.5  # binary threshold metrics predict the positive class when p >= 0.5
ECE_BINS = 10
DEFAULT_SPECIFICITY = 0.9


# --- helpers ------------------------------------------------------------------------------


def _weight_matrix(weights, n: int) -> np.ndarray:
    if weights is None:
        return np.ones((1, n), dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    return weights[None, :] if weights.ndim == 1 else weights


def _weighted_sum(matrix: np.ndarray, values: np.ndarray) -> np.ndarray:
    # Multiplicities are integers; when values are integer-valued too, float64 sums are exact
    # whatever the summation order, so results are reproducible bit for bit.
    return (matrix * values).sum(axis=1)


def _ratio(numerator, denominator) -> np.ndarray:
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    out = np.full(np.broadcast(numerator, denominator).shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def _weighted_mean_batch(values: np.ndarray, weights) -> np.ndarray:
    w = _weight_matrix(weights, values.size)
    return _ratio(_weighted_sum(w, values), w.sum(axis=1))


def _single(batch: Callable[..., np.ndarray]) -> Callable[..., float]:
    def fn(y_true, y_pred, weights=None, **options) -> float:
        """Return the metric under one weighting."""
        return float(batch(y_true, y_pred, None if weights is None else np.asarray(weights)[None, :], **options)[0])

    fn.__name__ = batch.__name__.removesuffix("_batch")
    fn.__doc__ = batch.__doc__
    return fn


def _expand(weights, n: int) -> np.ndarray:
    """Return row indices repeating each row as often as its multiplicity says."""
    if weights is None:
        return np.arange(n)
    return np.repeat(np.arange(n), np.asarray(weights, dtype=np.int64))


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, CLIP, 1 - CLIP)
    return np.log(p) - np.log1p(-p)


def _expit(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # stable for large |x|


# --- binary -------------------------------------------------------------------------------


def roc_auc_batch(y_true, y_pred, weights=None) -> np.ndarray:
    """Return the AUROC under each weighting."""
    return roc_auc_counts(np.asarray(y_true) == 1, y_pred, weights)


def average_precision_batch(y_true, y_pred, weights=None) -> np.ndarray:
    """Return the average precision under each weighting."""
    return average_precision_counts(np.asarray(y_true) == 1, y_pred, weights)


def binary_log_loss_batch(y_true, y_pred, weights=None) -> np.ndarray:
    """Return the binary log loss under each weighting."""
    p = np.clip(np.asarray(y_pred, dtype=np.float64), CLIP, 1 - CLIP)
    y = np.asarray(y_true) == 1
    losses = -np.where(y, np.log(p), np.log1p(-p))
    return _weighted_mean_batch(losses, weights)


def brier_batch(y_true, y_pred, weights=None) -> np.ndarray:
    """Return the Brier score under each weighting."""
    errors = (np.asarray(y_pred, dtype=np.float64) - np.asarray(y_true, dtype=np.float64)) ** 2
    return _weighted_mean_batch(errors, weights)


def _confusion(y_true, y_pred, weights):
    y = np.asarray(y_true) == 1
    flagged = np.asarray(y_pred, dtype=np.float64) >= THRESHOLD
    w = _weight_matrix(weights, y.size)
    tp = _weighted_sum(w, y & flagged)
    fn = _weighted_sum(w, y & ~flagged)
    fp = _weighted_sum(w, ~y & flagged)
    tn = _weighted_sum(w, ~y & ~flagged)
    return tp, fn, fp, tn


def binary_balanced_accuracy_batch(y_true, y_pred, weights=None) -> np.ndarray:
    """Return the mean of sensitivity and specificity at threshold 0.5 under each weighting."""
    tp, fn, fp, tn = _confusion(y_true, y_pred, weights)
    recalls = np.stack([_ratio(tp, tp + fn), _ratio(tn, tn + fp)])
    with np.errstate(invalid="ignore"):
        present = ~np.isnan(recalls)
        # As scikit-learn does: the mean over the classes present in the truth.
        return _ratio(np.where(present, recalls, 0).sum(axis=0), present.sum(axis=0))


def mcc_batch(y_true, y_pred, weights=None) -> np.ndarray:
    """Return the Matthews correlation at threshold 0.5 under each weighting (0 when undefined)."""
    tp, fn, fp, tn = _confusion(y_true, y_pred, weights)
    denominator = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    value = _ratio(tp * tn - fp * fn, denominator)
    return np.where(denominator == 0, 0.0, value)


def f1_batch(y_true, y_pred, weights=None) -> np.ndarray:
    """Return the F1 score at threshold 0.5 under each weighting (0 when undefined)."""
    tp, fn, fp, _ = _confusion(y_true, y_pred, weights)
    value = _ratio(2 * tp, 2 * tp + fp + fn)
    return np.where(2 * tp + fp + fn == 0, 0.0, value)


def sensitivity_at_specificity_batch(y_true, y_pred, weights=None, specificity: float = DEFAULT_SPECIFICITY):
    """Return the highest sensitivity among thresholds whose specificity reaches the target."""
    specificity = float(specificity)
    y = np.asarray(y_true) == 1
    p = np.asarray(y_pred, dtype=np.float64)
    w = _weight_matrix(weights, y.size)
    order = np.argsort(-p, kind="stable")
    starts = np.flatnonzero(np.r_[True, p[order][1:] != p[order][:-1]])
    w_sorted = w[:, order]
    pos = np.add.reduceat(w_sorted * y[order], starts, axis=1)
    neg = np.add.reduceat(w_sorted * ~y[order], starts, axis=1)
    # Threshold k flags every row scoring at least the k-th highest distinct score.
    true_pos = np.cumsum(pos, axis=1)
    false_pos = np.cumsum(neg, axis=1)
    total_pos = true_pos[:, -1:]
    total_neg = false_pos[:, -1:]
    # Specificity compared in counts so 0.9 of 10 negatives allows exactly 1 false positive.
    allowed = (total_neg - false_pos) >= specificity * total_neg - 1e-9 * np.maximum(total_neg, 1)
    sensitivity = np.where(allowed, true_pos, 0.0).max(axis=1)
    return _ratio(sensitivity, total_pos[:, 0])


def _fit_logistic(x: np.ndarray, y: np.ndarray, w: np.ndarray, offset: np.ndarray) -> np.ndarray | None:
    """Fit weighted logistic regression of y on the columns of x by Newton's method."""
    beta = np.zeros(x.shape[1])
    beta[0] = _logit(np.array([np.clip(np.average(y, weights=w), CLIP, 1 - CLIP)]))[0] - np.average(offset, weights=w)
    for _ in range(100):
        eta = offset + x @ beta
        mu = _expit(eta)
        gradient = x.T @ (w * (y - mu))
        hessian = (x * (w * mu * (1 - mu))[:, None]).T @ x
        try:
            step = np.linalg.solve(hessian, gradient)
        except np.linalg.LinAlgError:
            return None
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            return beta
    return None  # no convergence: the predictions separate the classes perfectly


def calibration_slope(y_true, y_pred, weights=None) -> float:
    """Return b in logit P(y=1) = a + b * logit(p), fitted by maximum likelihood."""
    y = np.asarray(y_true, dtype=np.float64)
    w = np.ones_like(y) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.sum() == 0 or len(np.unique(y[w > 0])) < 2:
        return float("nan")
    lp = _logit(np.asarray(y_pred, dtype=np.float64))
    x = np.column_stack([np.ones_like(lp), lp])
    beta = _fit_logistic(x, y, w, np.zeros_like(lp))
    return float("nan") if beta is None else float(beta[1])


def calibration_intercept(y_true, y_pred, weights=None) -> float:
    """Return a in logit P(y=1) = a + logit(p): calibration-in-the-large, the slope fixed at 1."""
    y = np.asarray(y_true, dtype=np.float64)
    w = np.ones_like(y) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.sum() == 0 or len(np.unique(y[w > 0])) < 2:
        return float("nan")
    lp = _logit(np.asarray(y_pred, dtype=np.float64))
    beta = _fit_logistic(np.ones((y.size, 1)), y, w, lp)
    return float("nan") if beta is None else float(beta[0])


def ece_batch(y_true, y_pred, weights=None) -> np.ndarray:
    """Return the expected calibration error over 10 equal-width bins under each weighting."""
    p = np.asarray(y_pred, dtype=np.float64)
    y = np.asarray(y_true, dtype=np.float64)
    w = _weight_matrix(weights, p.size)
    bins = np.minimum((p * ECE_BINS).astype(np.int64), ECE_BINS - 1)
    onehot = bins[:, None] == np.arange(ECE_BINS)[None, :]
    # einsum, not a BLAS product, so sums of non-integers come out the same run to run.
    count = np.einsum("bn,nk->bk", w, onehot.astype(np.float64))
    predicted = np.einsum("bn,nk->bk", w, onehot * p[:, None])
    observed = np.einsum("bn,nk->bk", w, onehot * y[:, None])
    gap = np.abs(predicted - observed)  # = count * |mean p - mean y| per bin
    return _ratio(gap.sum(axis=1), count.sum(axis=1))


# --- multiclass ---------------------------------------------------------------------------


def roc_auc_ovr_batch(y_true, y_pred, weights=None) -> np.ndarray:
    """Return the unweighted mean of one-vs-rest AUROCs over classes present in both roles."""
    y = np.asarray(y_true)
    p = np.asarray(y_pred, dtype=np.float64)
    per_class = np.stack([roc_auc_counts(y == k, p[:, k], weights) for k in range(p.shape[1])], axis=1)
    defined = ~np.isnan(per_class)
    return _ratio(np.where(defined, per_class, 0).sum(axis=1), defined.sum(axis=1))


def multiclass_log_loss_batch(y_true, y_pred, weights=None) -> np.ndarray:
    """Return the multiclass log loss under each weighting."""
    y = np.asarray(y_true, dtype=np.int64)
    p = np.asarray(y_pred, dtype=np.float64)
    losses = -np.log(np.clip(p[np.arange(y.size), y], CLIP, 1 - CLIP))
    return _weighted_mean_batch(losses, weights)


def _predicted_class(y_pred) -> np.ndarray:
    # The first class in YAML order wins a tie of probabilities.
    return np.argmax(np.asarray(y_pred, dtype=np.float64), axis=1)


def _class_confusion(y_true, y_pred, weights) -> np.ndarray:
    """Return (B, K, K) weighted confusion matrices, truth by row, prediction by column."""
    y = np.asarray(y_true, dtype=np.int64)
    k = np.asarray(y_pred).shape[1]
    cell = y * k + _predicted_class(y_pred)
    w = _weight_matrix(weights, y.size)
    counts = w @ (cell[:, None] == np.arange(k * k)[None, :])
    return counts.reshape(-1, k, k)


def accuracy_batch(y_true, y_pred, weights=None) -> np.ndarray:
    """Return the share of rows whose most probable class is the true one."""
    hits = (_predicted_class(y_pred) == np.asarray(y_true)).astype(np.float64)
    return _weighted_mean_batch(hits, weights)


def multiclass_balanced_accuracy_batch(y_true, y_pred, weights=None) -> np.ndarray:
    """Return the mean recall over the classes present in the truth."""
    confusion = _class_confusion(y_true, y_pred, weights)
    support = confusion.sum(axis=2)
    recall = _ratio(np.diagonal(confusion, axis1=1, axis2=2), support)
    present = support > 0
    return _ratio(np.where(present, recall, 0).sum(axis=1), present.sum(axis=1))


def macro_f1_batch(y_true, y_pred, weights=None) -> np.ndarray:
    """Return the mean F1 over the classes that occur in the truth or the predictions."""
    confusion = _class_confusion(y_true, y_pred, weights)
    tp = np.diagonal(confusion, axis1=1, axis2=2)
    denominator = confusion.sum(axis=2) + confusion.sum(axis=1)  # 2tp + fp + fn
    present = denominator > 0
    f1 = _ratio(2 * tp, denominator)
    return _ratio(np.where(present, f1, 0).sum(axis=1), present.sum(axis=1))


def quadratic_kappa_batch(y_true, y_pred, weights=None) -> np.ndarray:
    """Return Cohen's kappa with quadratic weights, classes ordered as in the YAML."""
    confusion = _class_confusion(y_true, y_pred, weights)
    k = confusion.shape[1]
    distance = (np.arange(k)[:, None] - np.arange(k)[None, :]) ** 2
    total = confusion.sum(axis=(1, 2))
    expected = confusion.sum(axis=2)[:, :, None] * confusion.sum(axis=1)[:, None, :]
    observed_disagreement = (confusion * distance).sum(axis=(1, 2)) * total
    expected_disagreement = (expected * distance).sum(axis=(1, 2))
    return 1.0 - _ratio(observed_disagreement, expected_disagreement)


# --- regression ---------------------------------------------------------------------------


def _errors(y_true, y_pred) -> np.ndarray:
    return np.asarray(y_pred, dtype=np.float64) - np.asarray(y_true, dtype=np.float64)


def rmse_batch(y_true, y_pred, weights=None) -> np.ndarray:
    """Return the root mean squared error under each weighting."""
    return np.sqrt(_weighted_mean_batch(_errors(y_true, y_pred) ** 2, weights))


def mae_batch(y_true, y_pred, weights=None) -> np.ndarray:
    """Return the mean absolute error under each weighting."""
    return _weighted_mean_batch(np.abs(_errors(y_true, y_pred)), weights)


def r2_batch(y_true, y_pred, weights=None) -> np.ndarray:
    """Return 1 - SSE/SST under each weighting (NaN when the outcome does not vary)."""
    y = np.asarray(y_true, dtype=np.float64)
    w = _weight_matrix(weights, y.size)
    total = w.sum(axis=1)
    sse = _weighted_sum(w, _errors(y_true, y_pred) ** 2)
    mean = _ratio(_weighted_sum(w, y), total)
    sst = _weighted_sum(w, (y[None, :] - mean[:, None]) ** 2)
    return 1.0 - _ratio(sse, np.where(sst > 0, sst, 0))


# --- survival -----------------------------------------------------------------------------


def harrell_c_batch(y_true, y_pred, weights=None) -> np.ndarray:
    """Return Harrell's C (higher risk should mean an earlier event) under each weighting."""
    return harrell_c_counts(y_true["time"], y_true["event"], y_pred, weights)


def uno_c(y_true, y_pred, weights=None, tau: float | None = None) -> float:
    """Return Uno's C up to tau, censoring weights estimated on the scored rows themselves."""
    from sksurv.metrics import concordance_index_ipcw

    rows = _expand(weights, len(y_true))
    y = y_true[rows]
    if not y["event"].any():
        return float("nan")
    tau = None if tau is None else float(tau)
    return float(concordance_index_ipcw(y, y, np.asarray(y_pred, dtype=np.float64)[rows], tau=tau)[0])


def td_auc(y_true, y_pred, weights=None, horizons=None) -> float:
    """Return the mean cumulative/dynamic AUC over the horizons (NaN if one lies outside follow-up)."""
    from sksurv.metrics import cumulative_dynamic_auc

    rows = _expand(weights, len(y_true))
    y = y_true[rows]
    if not y["event"].any():
        return float("nan")
    if horizons is None:  # the schema asks for horizons; quartiles of event times stand in
        horizons = np.percentile(y["time"][y["event"]], [25, 50, 75])
    times = np.atleast_1d(np.asarray(horizons, dtype=np.float64))
    if times.min() < y["time"].min() or times.max() >= y["time"].max():
        return float("nan")
    auc, _ = cumulative_dynamic_auc(y, y, np.asarray(y_pred, dtype=np.float64)[rows], times)
    return float(np.mean(auc))


def log_loss_batch(y_true, y_pred, weights=None) -> np.ndarray:
    """Return the log loss of the true class, binary (n,) or multiclass (n, K) predictions."""
    if np.ndim(y_pred) == 2:
        return multiclass_log_loss_batch(y_true, y_pred, weights)
    return binary_log_loss_batch(y_true, y_pred, weights)


def balanced_accuracy_batch(y_true, y_pred, weights=None) -> np.ndarray:
    """Return the mean recall over classes, binary (n,) or multiclass (n, K) predictions."""
    if np.ndim(y_pred) == 2:
        return multiclass_balanced_accuracy_batch(y_true, y_pred, weights)
    return binary_balanced_accuracy_batch(y_true, y_pred, weights)


# --- registry -----------------------------------------------------------------------------


def _batched(batch) -> tuple[Callable[..., float], Callable[..., np.ndarray]]:
    """Return a batch metric's code as (one value, B values at once)."""
    return _single(batch), batch


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
    "calibration_slope": (calibration_slope, None),
    "calibration_intercept": (calibration_intercept, None),
    "ece": _batched(ece_batch),
    "roc_auc_ovr": _batched(roc_auc_ovr_batch),
    "accuracy": _batched(accuracy_batch),
    "macro_f1": _batched(macro_f1_batch),
    "quadratic_kappa": _batched(quadratic_kappa_batch),
    "rmse": _batched(rmse_batch),
    "mae": _batched(mae_batch),
    "r2": _batched(r2_batch),
    "harrell_c": _batched(harrell_c_batch),
    "uno_c": (uno_c, None),
    "td_auc": (td_auc, None),
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
