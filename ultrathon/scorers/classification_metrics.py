"""Binary and multiclass metrics, each computed under B weightings at once where it can be."""

from __future__ import annotations

import numpy as np

from ultrathon.scorers.ranking import average_precision_counts, roc_auc_counts
from ultrathon.scorers.weighting import ratio, weight_matrix, weighted_mean, weighted_sum

CLIP = 1e-15  # log loss clips probabilities to [CLIP, 1 - CLIP] so one 0 or 1 is not infinite
THRESHOLD = 0.5  # binary threshold metrics predict the positive class when p >= 0.5
ECE_BINS = 10
DEFAULT_SPECIFICITY = 0.9


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
    return weighted_mean(losses, weights)


def brier_batch(y_true, y_pred, weights=None) -> np.ndarray:
    """Return the Brier score under each weighting."""
    errors = (np.asarray(y_pred, dtype=np.float64) - np.asarray(y_true, dtype=np.float64)) ** 2
    return weighted_mean(errors, weights)


def _confusion(y_true, y_pred, weights):
    y = np.asarray(y_true) == 1
    flagged = np.asarray(y_pred, dtype=np.float64) >= THRESHOLD
    w = weight_matrix(weights, y.size)
    tp = weighted_sum(w, y & flagged)
    fn = weighted_sum(w, y & ~flagged)
    fp = weighted_sum(w, ~y & flagged)
    tn = weighted_sum(w, ~y & ~flagged)
    return tp, fn, fp, tn


def binary_balanced_accuracy_batch(y_true, y_pred, weights=None) -> np.ndarray:
    """Return the mean of sensitivity and specificity at threshold 0.5 under each weighting."""
    tp, fn, fp, tn = _confusion(y_true, y_pred, weights)
    recalls = np.stack([ratio(tp, tp + fn), ratio(tn, tn + fp)])
    with np.errstate(invalid="ignore"):
        present = ~np.isnan(recalls)
        # As scikit-learn does: the mean over the classes present in the truth.
        return ratio(np.where(present, recalls, 0).sum(axis=0), present.sum(axis=0))


def mcc_batch(y_true, y_pred, weights=None) -> np.ndarray:
    """Return the Matthews correlation at threshold 0.5 under each weighting (0 when undefined)."""
    tp, fn, fp, tn = _confusion(y_true, y_pred, weights)
    denominator = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    value = ratio(tp * tn - fp * fn, denominator)
    return np.where(denominator == 0, 0.0, value)


def f1_batch(y_true, y_pred, weights=None) -> np.ndarray:
    """Return the F1 score at threshold 0.5 under each weighting (0 when undefined)."""
    tp, fn, fp, _ = _confusion(y_true, y_pred, weights)
    value = ratio(2 * tp, 2 * tp + fp + fn)
    return np.where(2 * tp + fp + fn == 0, 0.0, value)


def sensitivity_at_specificity_batch(y_true, y_pred, weights=None, specificity: float = DEFAULT_SPECIFICITY):
    """Return the highest sensitivity among thresholds whose specificity reaches the target."""
    specificity = float(specificity)
    y = np.asarray(y_true) == 1
    p = np.asarray(y_pred, dtype=np.float64)
    w = weight_matrix(weights, y.size)
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
    return ratio(sensitivity, total_pos[:, 0])


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


def _recalibration(y_true, y_pred, weights, *, free_slope: bool) -> np.ndarray | None:
    """Fit logit P(y=1) = a + b * logit(p), b fixed at 1 unless free_slope; None when it cannot be fitted."""
    y = np.asarray(y_true, dtype=np.float64)
    w = np.ones_like(y) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.sum() == 0 or len(np.unique(y[w > 0])) < 2:
        return None
    lp = _logit(np.asarray(y_pred, dtype=np.float64))
    if free_slope:
        return _fit_logistic(np.column_stack([np.ones_like(lp), lp]), y, w, np.zeros_like(lp))
    return _fit_logistic(np.ones((y.size, 1)), y, w, lp)


def calibration_slope(y_true, y_pred, weights=None) -> float:
    """Return b in logit P(y=1) = a + b * logit(p), fitted by maximum likelihood."""
    beta = _recalibration(y_true, y_pred, weights, free_slope=True)
    return float("nan") if beta is None else float(beta[1])


def calibration_intercept(y_true, y_pred, weights=None) -> float:
    """Return a in logit P(y=1) = a + logit(p): calibration-in-the-large, the slope fixed at 1."""
    beta = _recalibration(y_true, y_pred, weights, free_slope=False)
    return float("nan") if beta is None else float(beta[0])


def ece_batch(y_true, y_pred, weights=None) -> np.ndarray:
    """Return the expected calibration error over 10 equal-width bins under each weighting."""
    p = np.asarray(y_pred, dtype=np.float64)
    y = np.asarray(y_true, dtype=np.float64)
    w = weight_matrix(weights, p.size)
    bins = np.minimum((p * ECE_BINS).astype(np.int64), ECE_BINS - 1)
    onehot = bins[:, None] == np.arange(ECE_BINS)[None, :]
    # einsum, not a BLAS product, so sums of non-integers come out the same run to run.
    count = np.einsum("bn,nk->bk", w, onehot.astype(np.float64))
    predicted = np.einsum("bn,nk->bk", w, onehot * p[:, None])
    observed = np.einsum("bn,nk->bk", w, onehot * y[:, None])
    gap = np.abs(predicted - observed)  # = count * |mean p - mean y| per bin
    return ratio(gap.sum(axis=1), count.sum(axis=1))


# --- multiclass ---------------------------------------------------------------------------


def roc_auc_ovr_batch(y_true, y_pred, weights=None) -> np.ndarray:
    """Return the unweighted mean of one-vs-rest AUROCs over classes present in both roles."""
    y = np.asarray(y_true)
    p = np.asarray(y_pred, dtype=np.float64)
    per_class = np.stack([roc_auc_counts(y == k, p[:, k], weights) for k in range(p.shape[1])], axis=1)
    defined = ~np.isnan(per_class)
    return ratio(np.where(defined, per_class, 0).sum(axis=1), defined.sum(axis=1))


def multiclass_log_loss_batch(y_true, y_pred, weights=None) -> np.ndarray:
    """Return the multiclass log loss under each weighting."""
    y = np.asarray(y_true, dtype=np.int64)
    p = np.asarray(y_pred, dtype=np.float64)
    losses = -np.log(np.clip(p[np.arange(y.size), y], CLIP, 1 - CLIP))
    return weighted_mean(losses, weights)


def _predicted_class(y_pred) -> np.ndarray:
    # The first class in YAML order wins a tie of probabilities.
    return np.argmax(np.asarray(y_pred, dtype=np.float64), axis=1)


def _class_confusion(y_true, y_pred, weights) -> np.ndarray:
    """Return (B, K, K) weighted confusion matrices, truth by row, prediction by column."""
    y = np.asarray(y_true, dtype=np.int64)
    k = np.asarray(y_pred).shape[1]
    cell = y * k + _predicted_class(y_pred)
    w = weight_matrix(weights, y.size)
    counts = w @ (cell[:, None] == np.arange(k * k)[None, :])
    return counts.reshape(-1, k, k)


def accuracy_batch(y_true, y_pred, weights=None) -> np.ndarray:
    """Return the share of rows whose most probable class is the true one."""
    hits = (_predicted_class(y_pred) == np.asarray(y_true)).astype(np.float64)
    return weighted_mean(hits, weights)


def multiclass_balanced_accuracy_batch(y_true, y_pred, weights=None) -> np.ndarray:
    """Return the mean recall over the classes present in the truth."""
    confusion = _class_confusion(y_true, y_pred, weights)
    support = confusion.sum(axis=2)
    recall = ratio(np.diagonal(confusion, axis1=1, axis2=2), support)
    present = support > 0
    return ratio(np.where(present, recall, 0).sum(axis=1), present.sum(axis=1))


def macro_f1_batch(y_true, y_pred, weights=None) -> np.ndarray:
    """Return the mean F1 over the classes that occur in the truth or the predictions."""
    confusion = _class_confusion(y_true, y_pred, weights)
    tp = np.diagonal(confusion, axis1=1, axis2=2)
    denominator = confusion.sum(axis=2) + confusion.sum(axis=1)  # 2tp + fp + fn
    present = denominator > 0
    f1 = ratio(2 * tp, denominator)
    return ratio(np.where(present, f1, 0).sum(axis=1), present.sum(axis=1))


def quadratic_kappa_batch(y_true, y_pred, weights=None) -> np.ndarray:
    """Return Cohen's kappa with quadratic weights, classes ordered as in the YAML."""
    confusion = _class_confusion(y_true, y_pred, weights)
    k = confusion.shape[1]
    distance = (np.arange(k)[:, None] - np.arange(k)[None, :]) ** 2
    total = confusion.sum(axis=(1, 2))
    expected = confusion.sum(axis=2)[:, :, None] * confusion.sum(axis=1)[:, None, :]
    observed_disagreement = (confusion * distance).sum(axis=(1, 2)) * total
    expected_disagreement = (expected * distance).sum(axis=(1, 2))
    return 1.0 - ratio(observed_disagreement, expected_disagreement)


# --- either: binary (n,) or multiclass (n, K) predictions ---------------------------------


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
