"""Binary and multiclass metrics, each computed under B weightings at once where it can be."""

from __future__ import annotations

import numpy as np

from ultrathon.scorers.ranking import average_precision_counts, roc_auc_counts
from ultrathon.scorers.weighting import ratio, weight_matrix, weighted_mean, weighted_sum

CLIP = 1e-15  # log loss clips probabilities to [CLIP, 1 - CLIP] so one 0 or 1 is not infinite
THRESHOLD = 0.5  # binary threshold metrics predict the positive class when p >= 0.5
ECE_BINS = 10
DEFAULT_SPECIFICITY = 0.9
# Newton's method for the recalibration fits: converged once a full step moves no coefficient
# by 1e-10; a step is halved at most 200 times (enough to tame a step of 1e60).
NEWTON_TOLERANCE = 1e-10
MAX_NEWTON_STEPS = 500
MAX_HALVINGS = 200


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, CLIP, 1 - CLIP)
    return np.log(p) - np.log1p(-p)


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
    # No negatives: every threshold meets any specificity vacuously, so the value means nothing.
    return np.where(total_neg[:, 0] > 0, ratio(sensitivity, total_pos[:, 0]), np.nan)


def _misfit(eta: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return s = eta signed against each outcome (-eta where y = 1, eta where y = 0) and softplus(s)."""
    signed = np.where(y == 1, -eta, eta)
    return signed, np.logaddexp(0.0, signed)  # -log P(observed outcome) = softplus(s), per row


def _newton_step(x, y, w, signed, softplus) -> np.ndarray:
    """Return the Newton step of the logistic log-likelihood from the rows' misfits."""
    # P(the other outcome) = expit(s) = exp(s - softplus(s)), exact even where it is 1e-300:
    # 1 - mu would round it to 0, and overconfident predictions need it.
    other = np.exp(signed - softplus)
    gradient = x.T @ (w * np.where(y == 1, other, -other))
    hessian = (x * (w * other * np.exp(-softplus))[:, None]).T @ x
    return np.linalg.solve(hessian, gradient)


def _fit_logistic(x: np.ndarray, y: np.ndarray, w: np.ndarray, offset: np.ndarray) -> np.ndarray | None:
    """Fit weighted logistic regression of y on the columns of x by damped Newton; None if it cannot converge."""
    beta = np.zeros(x.shape[1])
    beta[0] = _logit(np.array([np.average(y, weights=w)]))[0] - np.average(offset, weights=w)
    signed, softplus = _misfit(offset + x @ beta, y)
    loss = float(w @ softplus)  # minus the log-likelihood
    for _ in range(MAX_NEWTON_STEPS):
        try:
            step = _newton_step(x, y, w, signed, softplus)
        except np.linalg.LinAlgError:
            return None  # no curvature left: the coefficients are not identified
        if np.max(np.abs(step)) < NEWTON_TOLERANCE:
            return beta + step
        # Far from the optimum (predictions near 0 or 1 flatten the curvature) a full step
        # overshoots: halve it until the likelihood does not fall, so every step climbs.
        for _ in range(MAX_HALVINGS):
            signed, softplus = _misfit(offset + x @ (beta + step), y)
            trial = float(w @ softplus)
            if trial <= loss + 1e-12 * loss:
                break
            step = step / 2
        beta, loss = beta + step, trial
    # The likelihood is concave and its maximum exists (checked first): only coefficients
    # that float arithmetic cannot pin down (logit(p) almost constant) end up here.
    return None


def _mle_exists(lp: np.ndarray, y: np.ndarray, w: np.ndarray, *, free_slope: bool) -> bool:
    """Return whether the recalibration's maximum-likelihood estimate exists (Albert & Anderson, 1984)."""
    positives, negatives = lp[(w > 0) & (y == 1)], lp[(w > 0) & (y == 0)]
    if not positives.size or not negatives.size:
        return False  # one class only: the intercept runs off to infinity
    # With the slope free, predictions that separate the classes (ties at the cut allowed)
    # send it to infinity; a single distinct prediction leaves it unidentified.
    return not free_slope or (positives.min() < negatives.max() and negatives.min() < positives.max())


def _recalibration(y_true, y_pred, weights, *, free_slope: bool) -> np.ndarray | None:
    """Fit logit P(y=1) = a + b * logit(p), b fixed at 1 unless free_slope; None when no MLE exists."""
    y = np.asarray(y_true, dtype=np.float64)
    w = np.ones_like(y) if weights is None else np.asarray(weights, dtype=np.float64)
    lp = _logit(np.asarray(y_pred, dtype=np.float64))
    if not _mle_exists(lp, y, w, free_slope=free_slope):
        return None
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
