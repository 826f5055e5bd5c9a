"""Score intervals: the percentile and BCa methods at leaderboard.ci_level, BCa as scipy computes it."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from scipy.stats import bootstrap
from sklearn.metrics import roc_auc_score

from ultrathon.scorers import score
from ultrathon.scorers.bootstrap import bca_interval, percentile_interval, stream_id
from ultrathon.scorers.evaluation import Evaluator, TaskData
from ultrathon.scorers.intervals import jackknife


def evaluator_for(name: str, y_true: np.ndarray, y_pred: np.ndarray, make_spec, task: str = "binary") -> Evaluator:
    spec = make_spec(task, metrics={"primary": name})
    strata = y_true if task == "binary" else y_true["event"].astype(np.int64)
    return Evaluator(name, TaskData(y_true, y_pred, strata, None), spec, None, None, None)


def small_binary(n: int = 40, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y_true = (np.arange(n) % 3 == 0).astype(np.int64)
    return y_true, np.clip(0.3 * y_true + 0.7 * rng.random(n), 0, 1)


def small_survival(n: int = 40, seed: int = 2) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y_true = np.zeros(n, dtype=[("event", bool), ("time", np.float64)])
    risk = rng.normal(size=n)
    y_true["time"] = np.ceil(rng.exponential(50 * np.exp(-risk))) + 1
    y_true["event"] = np.arange(n) % 4 != 0
    return y_true, risk + rng.normal(size=n)


@pytest.mark.parametrize("name, task", [("roc_auc", "binary"), ("brier", "binary"), ("uno_c", "survival")])
def test_bca_matches_scipy_on_the_same_resamples(name, task, make_spec):
    """Fed our replicates, scipy's BCa (its own jackknife over rows) gives our interval to 1e-9."""
    y_true, y_pred = small_binary() if task == "binary" else small_survival()
    ev = evaluator_for(name, y_true, y_pred, make_spec, task)
    rows = np.arange(y_true.size)
    replicates = ev.replicates(rows, stream_id("split", "public"), 999 if task == "binary" else 199)
    estimate = ev.value(rows)

    # scipy takes plain arrays: a survival outcome goes in as its event and time columns.
    columns = (y_true,) if task == "binary" else (y_true["event"].astype(float), y_true["time"])

    def statistic(*arrays):
        *outcome, prediction = arrays
        if task == "binary":
            return ev.fn(outcome[0], prediction, **ev.options)
        joined = np.zeros(prediction.size, dtype=y_true.dtype)
        joined["event"], joined["time"] = outcome[0] == 1, outcome[1]
        return ev.fn(joined, prediction, **ev.options)

    for level in (0.95, 0.8):
        reference = bootstrap((*columns, y_pred), statistic, paired=True, vectorized=False, n_resamples=0,
                              method="BCa", confidence_level=level,
                              bootstrap_result=SimpleNamespace(bootstrap_distribution=replicates))
        ours = bca_interval(replicates, estimate, jackknife(ev, rows), level)
        assert ours == pytest.approx(tuple(reference.confidence_interval), abs=1e-9)
        assert ours != pytest.approx(percentile_interval(replicates, level), abs=1e-6)  # BCa moved the tails


def test_the_jackknife_leaves_out_each_row_in_blocks(make_spec, monkeypatch):
    """Batched in blocks or one weighting at a time, each value is the metric without that row."""
    y_true, y_pred = small_binary(25)
    ev = evaluator_for("roc_auc", y_true, y_pred, make_spec)
    monkeypatch.setattr("ultrathon.scorers.intervals.MAX_CHUNK_CELLS", 25 * 4)  # blocks of 4, the last of 1
    expected = [roc_auc_score(np.delete(y_true, i), np.delete(y_pred, i)) for i in range(25)]
    assert jackknife(ev, np.arange(25)) == pytest.approx(expected, abs=1e-12)
    y_true, y_pred = small_survival(25)
    uno = evaluator_for("uno_c", y_true, y_pred, make_spec, "survival")
    monkeypatch.setattr(uno, "batch", None)  # the path of a metric with no batch form (uno_c has one now)
    assert jackknife(uno, np.arange(25)) == pytest.approx(
        [uno.fn(np.delete(y_true, i), np.delete(y_pred, i), **uno.options) for i in range(25)], abs=1e-12)


def test_a_row_whose_absence_leaves_the_metric_undefined_is_skipped(make_spec):
    y_true = np.array([1, 0, 0, 0, 0, 0, 0, 0])
    y_pred = np.linspace(0.9, 0.1, 8)
    ev = evaluator_for("roc_auc", y_true, y_pred, make_spec)
    values = jackknife(ev, np.arange(8))
    assert np.isnan(values[0]) and np.all(values[1:] == 1.0)
    replicates = np.r_[np.full(50, 1.0), np.full(50, 0.9)]
    # No spread among the defined values: no acceleration, the bias-corrected percentile interval.
    assert bca_interval(replicates, 0.95, values, 0.9) == bca_interval(replicates, 0.95, np.zeros(8), 0.9)


def test_bca_with_every_replicate_on_one_side_is_the_percentile_interval():
    replicates = np.linspace(0.5, 0.6, 101)
    assert bca_interval(replicates, 0.7, np.linspace(0, 1, 10), 0.95) == percentile_interval(replicates, 0.95)
    assert bca_interval(np.array([np.nan]), 0.7, np.zeros(3), 0.95) == (None, None)


@pytest.mark.parametrize("method", ["percentile", "bca"])
def test_ci_level_sets_the_width_of_stored_intervals(method, make_spec, binary_data):
    solution, predictions = binary_data(300)
    spans = {}
    for level in (0.95, 0.8):
        spec = make_spec("binary", leaderboard={"bootstrap": 300, "ci_level": level, "ci_method": method},
                         subgroups=["sex"])
        report = score(predictions, solution, spec)
        split = report.splits["private"]
        spans[level] = split.ci_high - split.ci_low
        assert split.ci_low < split.metrics["roc_auc"] < split.ci_high
        cell = next(c for c in report.subgroups if c.split == "private" and not c.suppressed)
        spans[level, "subgroup"] = cell.ci_high - cell.ci_low
    assert spans[0.8] < spans[0.95] and spans[0.8, "subgroup"] < spans[0.95, "subgroup"]


def test_the_jackknife_of_a_batch_metric_is_a_few_batch_calls(make_spec):
    """3,000 rows take 18 calls of the batch form (blocks of 174 rows), not 3,000 (bench/coverage.py times 10,000)."""
    rng = np.random.default_rng(0)
    y_true = (rng.random(3_000) < 0.3).astype(np.int64)
    ev = evaluator_for("roc_auc", y_true, np.clip(0.2 * y_true + 0.8 * rng.random(3_000), 0, 1), make_spec)
    batch, calls = ev.batch, []
    ev.batch = lambda t, p, w, **o: calls.append(w.shape) or batch(t, p, w, **o)
    values = jackknife(ev, np.arange(3_000))
    assert len(calls) == 18 and sum(rows for rows, _ in calls) == 3_000
    assert np.all(np.isfinite(values)) and values.std() > 0


def test_bca_without_any_defined_jackknife_value_has_no_acceleration():
    replicates = np.random.default_rng(5).normal(0.8, 0.05, 400)
    assert bca_interval(replicates, 0.81, np.full(5, np.nan), 0.9) == bca_interval(replicates, 0.81, np.ones(5), 0.9)
