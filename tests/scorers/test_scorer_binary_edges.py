"""Binary metrics at their edges: overconfident predictions, and a class missing from the truth."""

from __future__ import annotations

import math
from collections import Counter
from decimal import Decimal, localcontext

import numpy as np
import pytest
from scipy.special import logit
from sklearn.datasets import load_breast_cancer

from ultrathon.scorers.metrics import METRICS


def value(name, y_true, y_pred, weights=None, **options):
    return METRICS[name].fn(y_true, y_pred, weights=weights, **options)


def _intercept_by_root_finding(y, p, weights=None):
    """Solve sum w (y - expit(a + logit p)) = 0 in 50-digit decimal arithmetic, by bisection."""
    # Rows grouped by (y, p): the extreme cases here have a handful of distinct predictions.
    w = np.ones(len(y)) if weights is None else np.asarray(weights)
    groups = Counter()
    for yi, pi, wi in zip(y, p, w):
        groups[int(yi), float(pi)] += int(wi)
    with localcontext() as context:
        context.prec = 50
        terms = [(Decimal(yi), (Decimal(pi).ln() - (1 - Decimal(pi)).ln()), Decimal(wi)) for (yi, pi), wi in groups.items()]
        score = lambda a: sum(wi * (yi - 1 / (1 + (-(a + lp)).exp())) for yi, lp, wi in terms)  # noqa: E731
        low, high = Decimal(-60), Decimal(60)
        for _ in range(200):  # 120 / 2**200: far below 1e-9
            middle = (low + high) / 2
            low, high = (middle, high) if score(middle) > 0 else (low, middle)
        return float(low)


@pytest.fixture(scope="module")
def breast_cancer():
    return load_breast_cancer().target


def _overconfident(n: int, confident: int) -> np.ndarray:
    """Return the first `confident` rows at 1 - 1e-6 and the rest at 1e-6: a model sure of everything."""
    p = np.full(n, 1e-6)
    p[:confident] = 1 - 1e-6
    return p


def test_the_calibration_intercept_of_an_overconfident_model_is_its_mle(breast_cancer):
    y = breast_cancer
    p = _overconfident(y.size, 368)
    root = _intercept_by_root_finding(y, p)
    assert root == pytest.approx(-10.33567, abs=1e-5)  # the estimate issue 14 quotes
    assert value("calibration_intercept", y, p) == pytest.approx(root, abs=1e-9)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_calibration_intercept_of_random_extreme_predictions_is_its_mle(breast_cancer, seed):
    y = breast_cancer
    rng = np.random.default_rng(seed)
    p = np.where(rng.random(y.size) < 0.5, 1e-9, 1 - 1e-9)
    weights = rng.integers(0, 3, y.size)
    assert value("calibration_intercept", y, p) == pytest.approx(_intercept_by_root_finding(y, p), abs=1e-9)
    assert value("calibration_intercept", y, p, weights=weights) == pytest.approx(_intercept_by_root_finding(y, p, weights), abs=1e-9)


def test_the_calibration_intercept_of_perfect_extreme_predictions_is_its_mle(breast_cancer):
    # Every prediction right at 1e-15 from 0 or 1: the MLE exists (both classes are present).
    y = breast_cancer
    p = np.where(y == 1, 1 - 1e-15, 1e-15)
    assert value("calibration_intercept", y, p) == pytest.approx(_intercept_by_root_finding(y, p), abs=1e-9)


def test_the_calibration_slope_of_an_overconfident_model_is_its_mle(breast_cancer):
    # Two distinct predictions: the fit reproduces each group's observed rate exactly, so
    # b = (logit r1 - logit r2) / (logit p1 - logit p2).
    y = breast_cancer
    p = _overconfident(y.size, 368)
    r1, r2 = y[:368].mean(), y[368:].mean()
    expected = (logit(r1) - logit(r2)) / (logit(1 - 1e-6) - logit(1e-6))
    assert value("calibration_slope", y, p) == pytest.approx(expected, abs=1e-9)


def test_calibration_is_undefined_only_when_the_mle_does_not_exist(breast_cancer):
    y = breast_cancer
    # One class only: no intercept fits (it runs off to infinity).
    assert math.isnan(value("calibration_intercept", np.ones(10), np.full(10, 0.3)))
    assert math.isnan(value("calibration_slope", np.ones(10), np.linspace(0.1, 0.9, 10)))
    # Predictions that separate the classes: the slope runs off to infinity.
    assert math.isnan(value("calibration_slope", y, np.where(y == 1, 0.7, 0.4)))
    # One distinct prediction: the slope is not identified.
    assert math.isnan(value("calibration_slope", y, np.full(y.size, 0.4)))


def test_sensitivity_at_specificity_is_undefined_without_negatives():
    y, p = np.ones(6, dtype=int), np.linspace(0.1, 0.9, 6)
    assert math.isnan(value("sensitivity_at_specificity", y, p))
    assert math.isnan(value("sensitivity_at_specificity", y, p, specificity=0.0))


def test_sensitivity_at_specificity_batch_is_undefined_for_a_weighting_without_negatives():
    y = np.array([0, 0, 1, 1, 1])
    p = np.array([0.2, 0.6, 0.4, 0.7, 0.9])
    weights = np.array([[1, 1, 1, 1, 1], [0, 0, 1, 2, 1], [1, 0, 1, 1, 1]])
    out = METRICS["sensitivity_at_specificity"].batch(y, p, weights, specificity=0.9)
    assert out[0] == pytest.approx(2 / 3) and math.isnan(out[1]) and out[2] == 1.0
