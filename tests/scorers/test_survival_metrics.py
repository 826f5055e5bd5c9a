"""Uno's C and the time-dependent AUC: scikit-survival's values, defined where it fails, rank-only, batched."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sksurv import datasets
from sksurv.metrics import concordance_index_ipcw, cumulative_dynamic_auc

from ultrathon.scorers import read_solution, read_submission, score
from ultrathon.scorers.metrics import METRICS

SURVIVAL = [("event", bool), ("time", np.float64)]


def surv(time, event) -> np.ndarray:
    y = np.zeros(len(time), dtype=SURVIVAL)
    y["time"], y["event"] = time, np.asarray(event, dtype=bool)
    return y


def uno(y, risk, **options) -> float:
    return METRICS["uno_c"].fn(y, risk, **options)


def td_auc(y, risk, **options) -> float:
    return METRICS["td_auc"].fn(y, risk, **options)


def sksurv_td_auc(y, risk, horizons) -> float:
    """Return scikit-survival's mean AUC over the horizons, events past them relabelled censored.

    Those events are never cases, so the AUC is unchanged; relabelled, scikit-survival no longer
    computes a censoring weight for them, which is 1/0 when one ties a censoring at the last time.
    """
    test = y.copy()
    test["event"] &= test["time"] <= max(horizons)
    return float(np.mean(cumulative_dynamic_auc(y, test, risk, horizons)[0]))


def _real(loader, event_field, time_field, columns):
    X, y = loader()
    numbers = X[columns].apply(pd.to_numeric, errors="coerce").fillna(0).to_numpy(float)
    risk = np.round(numbers @ np.linspace(1.0, 0.3, len(columns)), 1)  # rounded: tied risks
    return surv(y[time_field], y[event_field]), risk


@pytest.fixture(scope="module")
def whas500():
    return _real(datasets.load_whas500, "fstat", "lenfol", ["age", "bmi", "hr", "sysbp"])


REAL = {
    "whas500": (datasets.load_whas500, "fstat", "lenfol", ["age", "bmi", "hr"]),
    "gbsg2": (datasets.load_gbsg2, "cens", "time", ["age", "tsize", "pnodes"]),
    "flchain": (datasets.load_flchain, "death", "futime", ["age", "kappa", "lambda", "creatinine"]),
    "veterans": (datasets.load_veterans_lung_cancer, "Status", "Survival_in_days", ["Age_in_years", "Karnofsky_score"]),
    "aids": (datasets.load_aids, "censor", "time", ["age", "cd4", "priorzdv"]),
}


# --- defect 1: an event and a censoring tied at the last follow-up time ------------------------


def test_yearly_rounded_whas500_scores_at_one_and_two_years(whas500):
    y, risk = whas500
    y = y.copy()
    y["time"] = np.round(y["time"] / 365) * 365
    last = y["time"] == y["time"].max()
    assert y["event"][last].any() and (~y["event"][last]).any()  # the tie that broke scikit-survival
    with pytest.raises(ValueError, match="censoring survival function is zero"):
        concordance_index_ipcw(y, y, risk)
    horizons = [365.0, 730.0]
    assert abs(td_auc(y, risk, horizons=horizons) - sksurv_td_auc(y, risk, horizons)) <= 1e-9
    # Events whose censoring weight would be 1/0 are left out: Uno's C truncated at the last time.
    assert abs(uno(y, risk) - concordance_index_ipcw(y, y, risk, tau=y["time"].max())[0]) <= 1e-9
    assert math.isfinite(uno(y, risk, tau=1e9))


def test_a_tie_at_the_last_time_by_hand():
    y = surv([1.0, 2.0, 3.0, 3.0], [1, 1, 1, 0])
    risk = np.array([4.0, 2.0, 3.0, 1.0])
    # The event at 3 has weight 1/G(3) = 1/0 and is left out. G(1) = G(2) = 1 (no censoring
    # before 3), so the rows at 1 and 2 count plainly: (1: 3 pairs, all concordant) + (2: 2 pairs, 1).
    assert uno(y, risk) == pytest.approx(4 / 5, abs=1e-12)
    # Horizon 2: cases rows at 1 and 2, controls the two rows at 3; wins 2 + 1 of 4.
    assert td_auc(y, risk, horizons=[2.0]) == pytest.approx(3 / 4, abs=1e-12)


# --- defect 2: scores depend on the ranks of the risks only --------------------------------------


@pytest.mark.parametrize("name, options", [("uno_c", {}), ("uno_c", {"tau": 1500.0}), ("td_auc", {"horizons": [365.0, 730.0]}),
                                           ("harrell_c", {})])
def test_a_strictly_increasing_transform_of_the_risks_changes_no_score(whas500, name, options):
    y, risk = whas500
    scale = risk / 100
    scores = {METRICS[name].fn(y, r, **options) for r in (scale, scale * 1e-8, np.exp(scale), np.log(scale - scale.min() + 1))}
    assert len(scores) == 1


def test_risks_scaled_by_1e_minus_8_keep_their_values_against_sksurv(whas500):
    y, risk = whas500
    assert abs(uno(y, risk * 1e-8) - concordance_index_ipcw(y, y, risk)[0]) <= 1e-9
    assert abs(td_auc(y, risk * 1e-8, horizons=[365.0, 730.0]) - sksurv_td_auc(y, risk, [365.0, 730.0])) <= 1e-9


# --- agreement with scikit-survival where it is defined ------------------------------------------


@pytest.mark.parametrize("name", sorted(REAL))
def test_equal_to_scikit_survival_on_real_data(name):
    y, risk = _real(*REAL[name])
    horizons = list(np.percentile(y["time"][y["event"]], [25, 50, 75]))
    tau = float(np.percentile(y["time"], 80))
    assert abs(uno(y, risk, tau=tau) - concordance_index_ipcw(y, y, risk, tau=tau)[0]) <= 1e-9
    assert abs(td_auc(y, risk, horizons=horizons) - sksurv_td_auc(y, risk, horizons)) <= 1e-9
    assert abs(td_auc(y, risk) - sksurv_td_auc(y, risk, horizons)) <= 1e-9  # default horizons: the quartiles
    try:
        reference = concordance_index_ipcw(y, y, risk)[0]
    except ValueError:  # the last-time tie of defect 1: left out, as if truncated there
        reference = concordance_index_ipcw(y, y, risk, tau=y["time"].max())[0]
    assert abs(uno(y, risk) - reference) <= 1e-9


@pytest.mark.parametrize("seed", range(8))
def test_equal_to_scikit_survival_on_random_tied_data(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(20, 300))
    y = surv(rng.integers(1, 30, n).astype(float), rng.random(n) < 0.5)
    y["time"][np.argmax(y["time"])] += 1  # one row alone at the last time: scikit-survival is defined
    y["event"][0] = True
    risk = rng.integers(0, 8, n).astype(float)
    tau = float(rng.integers(5, 30))
    horizons = [float(np.quantile(y["time"], 0.3)), float(np.quantile(y["time"], 0.7))]
    assert abs(uno(y, risk) - concordance_index_ipcw(y, y, risk)[0]) <= 1e-9
    if y["event"][y["time"] < tau].any():
        assert abs(uno(y, risk, tau=tau) - concordance_index_ipcw(y, y, risk, tau=tau)[0]) <= 1e-9
    if y["event"][y["time"] <= min(horizons)].any():
        assert abs(td_auc(y, risk, horizons=horizons) - sksurv_td_auc(y, risk, horizons)) <= 1e-9


def test_undefined_where_scikit_survival_has_nothing_to_score():
    assert math.isnan(uno(surv([1.0, 2.0, 3.0], [0, 0, 0]), np.array([1.0, 2.0, 3.0])))
    assert math.isnan(uno(surv([1.0, 1.0], [1, 1]), np.array([1.0, 2.0])))  # no comparable pair
    assert math.isnan(uno(surv([5.0, 6.0, 7.0], [1, 0, 1]), np.array([1.0, 2.0, 3.0]), tau=2.0))
    assert math.isnan(td_auc(surv([1.0, 2.0, 3.0], [1, 0, 1]), np.array([1.0, 2.0, 3.0]), horizons=[3.0]))
    assert math.isnan(td_auc(surv([1.0, 2.0, 3.0], [0, 1, 1]), np.array([1.0, 2.0, 3.0]), horizons=[1.0]))  # no case


# --- batches of resamples ------------------------------------------------------------------------


@pytest.mark.parametrize("name, options", [("uno_c", {}), ("uno_c", {"tau": 20.0}), ("td_auc", {"horizons": [8.0, 15.0]}),
                                           ("td_auc", {})])
def test_a_batch_of_resamples_equals_one_at_a_time(name, options):
    rng = np.random.default_rng(5)
    n = 150
    y = surv(rng.integers(1, 30, n).astype(float), rng.random(n) < 0.5)
    risk = np.round(rng.normal(size=n), 1)
    weights = rng.multinomial(n, np.full(n, 1 / n), size=40).astype(np.int32)
    weights[:5, np.argmax(y["time"])] = 0  # some resamples without the longest follow-up
    batch = METRICS[name].batch(y, risk, weights, **options)
    assert batch.shape == (40,)
    for b, w in enumerate(weights):
        rows = np.repeat(np.arange(n), w)
        one = METRICS[name].fn(y[rows], risk[rows], **options)
        assert (math.isnan(batch[b]) and math.isnan(one)) or abs(batch[b] - one) <= 1e-12
        assert (math.isnan(batch[b]) and math.isnan(one)) or abs(batch[b] - METRICS[name].fn(y, risk, weights=w, **options)) <= 1e-12


def test_both_metrics_have_a_batch_form():
    assert METRICS["uno_c"].batch is not None and METRICS["td_auc"].batch is not None


def test_scoring_never_imports_scikit_survival():
    code = (
        "import sys, numpy as np\n"
        "from ultrathon.scorers.metrics import METRICS\n"
        "y = np.zeros(4, dtype=[('event', bool), ('time', float)]); y['time'] = [1, 2, 3, 4]; y['event'] = [1, 1, 0, 1]\n"
        "METRICS['uno_c'].fn(y, np.arange(4.0)); METRICS['td_auc'].fn(y, np.arange(4.0), horizons=[2.0])\n"
        "assert 'sksurv' not in sys.modules, 'sksurv imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- the count of undefined resamples in the report -----------------------------------------------


def test_the_report_counts_the_resamples_where_the_primary_metric_is_undefined(make_spec, survival_data, to_csv):
    solution, predictions = survival_data(300)
    public = solution[solution["Usage"] == "Public"]
    horizon = float(np.sort(public["futime"].unique())[-2])  # past the follow-up of resamples without the longest
    spec = make_spec("survival", metrics={"primary": "td_auc", "options": {"horizons": [horizon]}})
    solution_frame = read_solution(to_csv(solution), spec)
    report = score(read_submission(to_csv(predictions), spec, solution_ids=solution_frame["patient_id"]), solution_frame, spec)
    split = report.splits["public"]
    undefined = int(np.isnan(split.replicates).sum())
    assert 0 < undefined < split.replicates.size
    assert report.to_dict()["splits"]["public"]["n_undefined"] == undefined
    assert split.ci_low is not None
