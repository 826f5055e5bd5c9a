"""Every metric against an independent computation: a hand-worked example or a reference library."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.special import expit, logit
from sklearn import metrics as skm
from sklearn.linear_model import LogisticRegression
from sksurv.metrics import concordance_index_censored

from ultrathon.metric_catalogue import CURVE_METRICS
from ultrathon.scorers.metrics import METRICS

SURVIVAL = [("event", bool), ("time", np.float64)]


def value(name, y_true, y_pred, weights=None, **options):
    return METRICS[name].fn(y_true, y_pred, weights=weights, **options)


def surv(time, event):
    y = np.zeros(len(time), dtype=SURVIVAL)
    y["time"], y["event"] = time, np.asarray(event, dtype=bool)
    return y


@pytest.fixture
def rng():
    return np.random.default_rng(42)


@pytest.fixture
def binary_case(rng):
    y = (rng.random(300) < 0.35).astype(int)
    p = np.clip(expit(1.5 * (y - 0.4) + rng.normal(size=300)), 0.001, 0.999)
    return y, np.round(p, 2)  # rounded: ties in scores, as real submissions have


@pytest.fixture
def multiclass_case(rng):
    y = rng.integers(0, 3, 300)
    raw = rng.random((300, 3)) + np.eye(3)[y] * 0.8
    return y, raw / raw.sum(axis=1, keepdims=True)


# Each metric's golden test is listed here, so the registry cannot grow a metric without one.
GOLDEN = {}


def golden(*names):
    def mark(fn):
        for name in names:
            GOLDEN[name] = fn.__name__
        return fn

    return mark


def test_every_registered_metric_has_a_golden_test():
    assert set(GOLDEN) == set(METRICS)


# --- binary -----------------------------------------------------------------------------------


@golden("roc_auc")
def test_roc_auc_hand_worked_and_against_scikit_learn(binary_case):
    assert value("roc_auc", [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
    # positives 0.5, 0.9; negatives 0.5, 0.2: a tie counts half -> 3.5 of 4 pairs
    assert value("roc_auc", [0, 1, 0, 1], [0.5, 0.5, 0.2, 0.9]) == 0.875
    y, p = binary_case
    assert value("roc_auc", y, p) == pytest.approx(skm.roc_auc_score(y, p), abs=1e-12)
    assert math.isnan(value("roc_auc", [1, 1], [0.2, 0.3]))


@golden("average_precision")
def test_average_precision_hand_worked_and_against_scikit_learn(binary_case):
    # thresholds 0.8 (P=1, R=.5), 0.35 (P=2/3, R=1): .5*1 + .5*2/3
    assert value("average_precision", [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(5 / 6, abs=1e-15)
    y, p = binary_case
    assert value("average_precision", y, p) == pytest.approx(skm.average_precision_score(y, p), abs=1e-12)


@golden("log_loss")
def test_log_loss_hand_worked_and_against_scikit_learn(binary_case, multiclass_case):
    assert value("log_loss", [1, 0], [0.8, 0.3]) == pytest.approx(-(math.log(0.8) + math.log(0.7)) / 2, abs=1e-15)
    assert value("log_loss", [1], [0.0]) == pytest.approx(-math.log(1e-15))  # clipped, not infinite
    y, p = binary_case
    assert value("log_loss", y, p) == pytest.approx(skm.log_loss(y, p), abs=1e-12)
    y, p = multiclass_case
    assert value("log_loss", y, p) == pytest.approx(skm.log_loss(y, p, labels=[0, 1, 2]), abs=1e-12)


@golden("brier")
def test_brier_hand_worked_and_against_scikit_learn(binary_case):
    assert value("brier", [1, 0, 1], [0.9, 0.2, 0.4]) == pytest.approx((0.01 + 0.04 + 0.36) / 3, abs=1e-15)
    y, p = binary_case
    assert value("brier", y, p) == pytest.approx(skm.brier_score_loss(y, p), abs=1e-12)


THRESHOLD_CASE = ([1, 1, 1, 0, 0], [0.9, 0.5, 0.2, 0.1, 0.7])  # p >= 0.5 flags: 1 1 0 0 1


@golden("balanced_accuracy")
def test_balanced_accuracy_hand_worked_and_against_scikit_learn(binary_case, multiclass_case):
    assert value("balanced_accuracy", *THRESHOLD_CASE) == pytest.approx((2 / 3 + 1 / 2) / 2, abs=1e-15)
    y, p = binary_case
    assert value("balanced_accuracy", y, p) == pytest.approx(skm.balanced_accuracy_score(y, p >= 0.5), abs=1e-12)
    y, p = multiclass_case
    assert value("balanced_accuracy", y, p) == pytest.approx(skm.balanced_accuracy_score(y, p.argmax(1)), abs=1e-12)


@golden("mcc")
def test_mcc_hand_worked_and_against_scikit_learn(binary_case):
    # TP 2, FN 1, FP 1, TN 1: (2*1 - 1*1) / sqrt(3*3*2*2)
    assert value("mcc", *THRESHOLD_CASE) == pytest.approx(1 / 6, abs=1e-15)
    y, p = binary_case
    assert value("mcc", y, p) == pytest.approx(skm.matthews_corrcoef(y, p >= 0.5), abs=1e-12)
    assert value("mcc", [1, 0], [0.9, 0.8]) == 0.0


@golden("f1")
def test_f1_hand_worked_and_against_scikit_learn(binary_case):
    assert value("f1", *THRESHOLD_CASE) == pytest.approx(2 * 2 / (2 * 2 + 1 + 1), abs=1e-15)
    y, p = binary_case
    assert value("f1", y, p) == pytest.approx(skm.f1_score(y, p >= 0.5), abs=1e-12)


@golden("sensitivity_at_specificity")
def test_sensitivity_at_specificity_hand_worked(binary_case):
    y = [0] * 10 + [1] * 5
    p = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9] + [0.95, 0.85, 0.5, 0.3, 0.05]
    # specificity 0.9 allows one false positive (0.9): positives above it 0.95, 0.85 -> 2/5
    assert value("sensitivity_at_specificity", y, p, specificity=0.9) == pytest.approx(0.4, abs=1e-15)
    # 0.5 allows five (0.9 .. 0.5, the tie at 0.5 included): 0.95, 0.85, 0.5 -> 3/5
    assert value("sensitivity_at_specificity", y, p, specificity=0.5) == pytest.approx(0.6, abs=1e-15)
    assert value("sensitivity_at_specificity", y, p, specificity=0.0) == 1.0
    # Against every threshold of scikit-learn's ROC curve.
    y, p = binary_case
    fpr, tpr, _ = skm.roc_curve(y, p, drop_intermediate=False)
    assert value("sensitivity_at_specificity", y, p, specificity=0.8) == pytest.approx(tpr[fpr <= 0.2 + 1e-12].max(), abs=1e-12)


@golden("calibration_slope")
def test_calibration_slope_against_an_unpenalised_logistic_fit(binary_case):
    y, p = binary_case
    reference = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(logit(p)[:, None], y)
    assert value("calibration_slope", y, p) == pytest.approx(reference.coef_[0, 0], abs=1e-5)
    # Predictions that are the truth's log-odds halved need a slope of 2.
    rng = np.random.default_rng(3)
    x = rng.normal(size=20_000)
    y = (rng.random(x.size) < expit(x)).astype(int)
    assert value("calibration_slope", y, expit(x / 2)) == pytest.approx(2.0, abs=0.1)


@golden("calibration_intercept")
def test_calibration_intercept_hand_worked_and_by_root_finding(binary_case):
    # Every prediction 0.5 (log-odds 0): the intercept is the log-odds of the observed rate, 3:1.
    assert value("calibration_intercept", [1, 1, 1, 0], [0.5] * 4) == pytest.approx(math.log(3), abs=1e-9)
    y, p = binary_case
    root = brentq(lambda a: np.sum(y - expit(a + logit(p))), -10, 10, xtol=1e-14)
    assert value("calibration_intercept", y, p) == pytest.approx(root, abs=1e-9)


@golden("ece")
def test_ece_hand_worked():
    # bins: [0.05] -> |.05 - 0|, [0.15, 0.15] -> |.15 - .5| twice, [1.0] lands in the last bin -> 0
    y = [0, 1, 0, 1]
    p = [0.05, 0.15, 0.15, 1.0]
    assert value("ece", y, p) == pytest.approx((0.05 + 2 * 0.35 + 0.0) / 4, abs=1e-15)


# --- multiclass -------------------------------------------------------------------------------


@golden("roc_auc_ovr")
def test_roc_auc_ovr_against_scikit_learn(multiclass_case):
    y, p = multiclass_case
    reference = skm.roc_auc_score(y, p, multi_class="ovr", average="macro")
    assert value("roc_auc_ovr", y, p) == pytest.approx(reference, abs=1e-12)


@golden("accuracy")
def test_accuracy_hand_worked():
    p = np.array([[0.6, 0.3, 0.1], [0.2, 0.2, 0.6], [0.4, 0.4, 0.2], [0.1, 0.8, 0.1]])
    # argmax: 0, 2, 0 (a tie goes to the first class in YAML order), 1
    assert value("accuracy", [0, 2, 1, 1], p) == 0.75


@golden("macro_f1")
def test_macro_f1_against_scikit_learn(multiclass_case):
    y, p = multiclass_case
    assert value("macro_f1", y, p) == pytest.approx(skm.f1_score(y, p.argmax(1), average="macro"), abs=1e-12)


@golden("quadratic_kappa")
def test_quadratic_kappa_against_scikit_learn_in_yaml_order(multiclass_case):
    y, p = multiclass_case
    reference = skm.cohen_kappa_score(y, p.argmax(1), weights="quadratic", labels=[0, 1, 2])
    assert value("quadratic_kappa", y, p) == pytest.approx(reference, abs=1e-12)
    # Ordinal: mistaking I for III costs more than I for II.
    near = value("quadratic_kappa", [0, 1, 2, 0], np.eye(3)[[1, 1, 2, 0]])
    far = value("quadratic_kappa", [0, 1, 2, 0], np.eye(3)[[2, 1, 2, 0]])
    assert near > far


# --- regression -------------------------------------------------------------------------------


@golden("rmse", "mae", "r2")
def test_regression_metrics_hand_worked():
    y, pred = [1.0, 2.0, 3.0], [1.0, 2.0, 5.0]
    assert value("rmse", y, pred) == pytest.approx(math.sqrt(4 / 3), abs=1e-15)
    assert value("mae", y, pred) == pytest.approx(2 / 3, abs=1e-15)
    assert value("r2", y, pred) == pytest.approx(1 - 4 / 2, abs=1e-15)


# --- survival ---------------------------------------------------------------------------------


@golden("harrell_c")
def test_harrell_c_direction_hand_worked_and_against_scikit_survival():
    time, event = [1, 2, 3, 4], [1, 1, 0, 1]
    # comparable pairs: (1,2) (1,3) (1,4) (2,3) (2,4); the earlier event has the higher risk in all
    assert value("harrell_c", surv(time, event), np.array([4.0, 3.0, 2.0, 1.0])) == 1.0
    assert value("harrell_c", surv(time, event), np.array([1.0, 2.0, 3.0, 4.0])) == 0.0
    # a tie in risk on pair (1,2) counts half: 4.5 / 5
    assert value("harrell_c", surv(time, event), np.array([4.0, 4.0, 2.0, 1.0])) == 0.9
    rng = np.random.default_rng(7)
    time = rng.integers(1, 30, 400).astype(float)  # many tied times
    event = rng.random(400) < 0.5
    risk = np.round(rng.normal(size=400), 1)  # many tied risks
    reference = concordance_index_censored(event, time, risk)[0]
    assert abs(value("harrell_c", surv(time, event), risk) - reference) <= 1e-12


def _censoring_survival(time, event):
    """Return the Kaplan-Meier survival of censoring just after each time (distinct times)."""
    order = np.argsort(time)
    at_risk = len(time) - np.arange(len(time))
    factor = np.where(event[order], 1.0, 1 - 1 / at_risk)
    survival = np.empty(len(time))
    survival[order] = np.cumprod(factor)
    return survival


@pytest.fixture
def distinct_survival(rng):
    n = 120
    time = rng.permutation(n) * 10.0 + 5.0
    event = rng.random(n) < 0.6
    risk = -time / 100 + rng.normal(size=n)
    return time, event, risk


@golden("uno_c")
def test_uno_c_against_a_pairwise_computation(distinct_survival):
    time, event, risk = distinct_survival
    tau = 900.0
    g = _censoring_survival(time, event)
    numerator = denominator = 0.0
    for i in range(time.size):
        if not event[i] or time[i] >= tau:
            continue
        w = 1 / g[i] ** 2
        later = time > time[i]
        denominator += w * later.sum()
        numerator += w * ((risk[later] < risk[i]).sum() + 0.5 * (risk[later] == risk[i]).sum())
    assert value("uno_c", surv(time, event), risk, tau=tau) == pytest.approx(numerator / denominator, abs=1e-12)


@golden("td_auc")
def test_td_auc_against_a_pairwise_computation(distinct_survival):
    time, event, risk = distinct_survival
    horizons = [300.0, 600.0]
    g = _censoring_survival(time, event)
    aucs = []
    for t in horizons:
        cases = np.flatnonzero(event & (time <= t))
        controls = time > t
        weights = 1 / g[cases]
        wins = np.array([(risk[i] > risk[controls]).sum() + 0.5 * (risk[i] == risk[controls]).sum() for i in cases])
        aucs.append((weights * wins).sum() / (weights.sum() * controls.sum()))
    assert value("td_auc", surv(time, event), risk, horizons=horizons) == pytest.approx(np.mean(aucs), abs=1e-12)
    assert math.isnan(value("td_auc", surv(time, event), risk, horizons=[1e9]))


# --- weights are multiplicities ---------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(n for n in METRICS if "binary" in METRICS[n].tasks))
def test_binary_metric_weights_mean_repeated_rows(name, binary_case):
    y, p = binary_case
    weights = np.random.default_rng(1).integers(0, 3, y.size)
    rows = np.repeat(np.arange(y.size), weights)
    assert value(name, y, p, weights=weights) == pytest.approx(value(name, y[rows], p[rows]), abs=1e-9)


# Survival curves at two horizons, hand-worked: G(1) = G(1.5) = 1, G(2) = G(2.5) = 2/3 (one of
# the three rows at risk at 2 is censored there); KM(2.5) = 3/4 (one event of four rows at 1).
CURVE_CASE = (surv([1.0, 2.0, 3.0, 4.0], [1, 0, 1, 0]),
              np.array([[0.3, 0.2], [0.8, 0.6], [0.9, 0.7], [0.95, 0.9]]), (1.5, 2.5))


@golden("brier_at_horizon")
def test_brier_at_horizon_hand_worked():
    y, curves, horizons = CURVE_CASE
    # case 1: 0.2^2 / G(1); row 2 censored before 2.5: 0; controls 3, 4: (0.3^2 + 0.1^2) / G(2.5)
    expected = (0.04 + (0.09 + 0.01) * 1.5) / 4
    assert value("brier_at_horizon", y, curves, curve_horizons=horizons, horizon=2.5) == pytest.approx(expected, abs=1e-15)
    with pytest.raises(ValueError, match="not one of the submission's horizons"):
        value("brier_at_horizon", y, curves, curve_horizons=horizons, horizon=2.0)


@golden("integrated_brier")
def test_integrated_brier_hand_worked():
    y, curves, horizons = CURVE_CASE
    at_first = (0.3**2 + 0.2**2 + 0.1**2 + 0.05**2) / 4  # case 1, controls 2-4, G = 1
    at_second = (0.04 + (0.09 + 0.01) * 1.5) / 4
    # Trapezoid over [1.5, 2.5], divided by its span 1.
    expected = (at_first + at_second) / 2
    assert value("integrated_brier", y, curves, curve_horizons=horizons) == pytest.approx(expected, abs=1e-15)


@golden("calibration_at_horizon")
def test_calibration_at_horizon_hand_worked():
    y, curves, horizons = CURVE_CASE
    # mean predicted risk (0.8 + 0.4 + 0.3 + 0.1) / 4 = 0.4, less the Kaplan-Meier risk 1 - 3/4
    assert value("calibration_at_horizon", y, curves, curve_horizons=horizons, horizon=2.5) == pytest.approx(0.15, abs=1e-15)


@pytest.mark.parametrize("name", sorted(CURVE_METRICS))
def test_curve_metric_weights_mean_repeated_rows(name, distinct_survival):
    time, event, p = distinct_survival
    y = surv(time, event)
    horizons = tuple(np.percentile(time[event], [30, 60]))
    rate = np.exp(p - p.mean()) / np.median(time)
    curves = np.exp(-rate[:, None] * np.asarray(horizons)[None, :])
    weights = np.random.default_rng(3).integers(0, 3, len(y))
    rows = np.repeat(np.arange(len(y)), weights)
    options = {"curve_horizons": horizons, **({"horizon": horizons[1]} if "horizon" in METRICS[name].options else {})}
    assert value(name, y, curves, weights=weights, **options) == pytest.approx(value(name, y[rows], curves[rows], **options), abs=1e-9)


@pytest.mark.parametrize("name", sorted(n for n in METRICS if METRICS[n].tasks & {"multiclass", "regression", "survival"}
                                        and n not in CURVE_METRICS))
def test_other_metric_weights_mean_repeated_rows(name, multiclass_case, distinct_survival):
    task = sorted(METRICS[name].tasks - {"binary"})[0]
    rng = np.random.default_rng(2)
    if task == "multiclass":
        y, p = multiclass_case
    elif task == "regression":
        y, p = rng.normal(size=200), rng.normal(size=200)
    else:
        time, event, p = distinct_survival
        y = surv(time, event)
    weights = rng.integers(0, 3, len(y))
    rows = np.repeat(np.arange(len(y)), weights)
    assert value(name, y, p, weights=weights) == pytest.approx(value(name, y[rows], p[rows]), abs=1e-9)


def test_batch_and_single_values_agree(binary_case):
    y, p = binary_case
    weights = np.random.default_rng(5).integers(0, 3, (4, y.size))
    for name, metric in METRICS.items():
        if metric.batch is None or "binary" not in metric.tasks:
            continue
        batch = metric.batch(y, p, weights)
        single = [metric.fn(y, p, weights=w) for w in weights]
        assert np.allclose(batch, single, rtol=0, atol=1e-12), name


def test_directions():
    lower = {n for n, m in METRICS.items() if not m.higher_is_better}
    assert lower == {"log_loss", "brier", "ece", "rmse", "mae", "integrated_brier", "brier_at_horizon"}
