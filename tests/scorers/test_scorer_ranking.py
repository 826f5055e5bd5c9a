"""The weighted pair counts behind AUROC, average precision and Harrell's C, against references."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score
from sksurv.exceptions import NoComparablePairException
from sksurv.metrics import concordance_index_censored

from ultrathon.scorers.ranking import average_precision_counts, harrell_c_counts, roc_auc_counts


def sksurv_c(event, time, risk) -> float:
    try:
        with np.errstate(invalid="ignore"):  # scikit-survival divides 0 by 0 when no pair is comparable
            return concordance_index_censored(event, time, risk)[0]
    except (NoComparablePairException, ValueError):
        return float("nan")


def same(a: float, b: float, tol: float = 1e-12) -> bool:
    return (np.isnan(a) and np.isnan(b)) or abs(a - b) <= tol


@pytest.mark.parametrize("seed", range(60))
def test_harrell_c_equals_scikit_survival_on_small_tied_data(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 40))
    time = rng.integers(1, 6, n).astype(float)  # heavy ties in time
    event = rng.random(n) < 0.5
    risk = rng.integers(0, 4, n).astype(float)  # heavy ties in risk
    assert same(harrell_c_counts(time, event, risk)[0], sksurv_c(event, time, risk))
    weights = rng.integers(0, 3, n)
    rows = np.repeat(np.arange(n), weights)
    assert same(harrell_c_counts(time, event, risk, weights)[0], sksurv_c(event[rows], time[rows], risk[rows]))


def test_harrell_c_equals_scikit_survival_to_1e9_on_thousands_of_rows():
    rng = np.random.default_rng(1)
    n = 5000
    time = rng.integers(1, 365, n).astype(float)
    event = rng.random(n) < 0.3
    risk = np.round(rng.normal(size=n) - time / 365, 1)
    assert abs(harrell_c_counts(time, event, risk)[0] - concordance_index_censored(event, time, risk)[0]) <= 1e-9


def test_harrell_c_of_many_resamples_equals_one_at_a_time():
    rng = np.random.default_rng(2)
    n = 300
    time, event, risk = rng.integers(1, 50, n).astype(float), rng.random(n) < 0.4, np.round(rng.normal(size=n), 1)
    weights = rng.integers(0, 3, (8, n))
    batch = harrell_c_counts(time, event, risk, weights)
    for w, value in zip(weights, batch):
        rows = np.repeat(np.arange(n), w)
        assert value == pytest.approx(concordance_index_censored(event[rows], time[rows], risk[rows])[0], abs=1e-12)


def test_harrell_c_is_undefined_without_events_or_pairs():
    assert np.isnan(harrell_c_counts([1.0, 2.0], [False, False], [1.0, 2.0])[0])
    assert np.isnan(harrell_c_counts([1.0, 1.0], [True, True], [1.0, 2.0])[0])  # same-time events are not comparable


@pytest.mark.parametrize("seed", range(30))
def test_auc_and_average_precision_equal_scikit_learn_with_ties_and_weights(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(4, 60))
    y = rng.random(n) < 0.4
    y[:2] = [True, False]
    score = rng.integers(0, 5, n) / 4
    assert roc_auc_counts(y, score)[0] == pytest.approx(roc_auc_score(y, score), abs=1e-12)
    assert average_precision_counts(y, score)[0] == pytest.approx(average_precision_score(y, score), abs=1e-12)
    weights = rng.integers(1, 4, (3, n))
    for w, auc, ap in zip(weights, roc_auc_counts(y, score, weights), average_precision_counts(y, score, weights)):
        rows = np.repeat(np.arange(n), w)
        assert auc == pytest.approx(roc_auc_score(y[rows], score[rows]), abs=1e-12)
        assert ap == pytest.approx(average_precision_score(y[rows], score[rows]), abs=1e-12)


def test_auc_is_undefined_when_a_resample_lacks_a_class():
    values = roc_auc_counts([True, False, True], [0.2, 0.1, 0.9], np.array([[1, 1, 1], [2, 0, 1]]))
    assert values[0] == 1.0 and np.isnan(values[1])
