"""Survival curves as predictions: IPCW Brier, integrated Brier, calibration and td_auc match scikit-survival."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sksurv import datasets
from sksurv.linear_model import CoxPHSurvivalAnalysis
from sksurv.metrics import (
    brier_score,
    concordance_index_censored,
    concordance_index_ipcw,
    cumulative_dynamic_auc,
    integrated_brier_score,
)
from sksurv.nonparametric import kaplan_meier_estimator
from sksurv.preprocessing import OneHotEncoder

from ultrathon.scorers import score
from ultrathon.scorers.curves import curves_from_dict
from ultrathon.scorers.horizon_table import horizons_from_dict
from ultrathon.scorers.metrics import METRICS
from ultrathon.scorers.survival_curves import survival_curves
from ultrathon.scorers.survival_curve_metrics import (
    brier_scores_batch,
    curve_harrell_c_batch,
    curve_td_auc_batch,
    curve_uno_c_batch,
)

SURVIVAL = [("event", bool), ("time", np.float64)]
TOLERANCE = 1e-9

REAL = {
    "whas500": (datasets.load_whas500, "fstat", "lenfol"),
    "gbsg2": (datasets.load_gbsg2, "cens", "time"),
    "flchain": (datasets.load_flchain, "death", "futime"),
    "veterans": (datasets.load_veterans_lung_cancer, "Status", "Survival_in_days"),
    "aids": (datasets.load_aids, "censor", "time"),
}


def _features(X: pd.DataFrame) -> np.ndarray:
    """Return numeric, standardised features: categories one-hot, missing values the column mean."""
    X = X.copy()
    for column in X.columns:
        if not pd.api.types.is_numeric_dtype(X[column]):
            X[column] = X[column].astype("category")
    numbers = OneHotEncoder().fit_transform(X).astype(float)
    numbers = numbers.fillna(numbers.mean())
    values = numbers.to_numpy()
    spread = values.std(axis=0)
    return (values - values.mean(axis=0)) / np.where(spread > 0, spread, 1)


def _curves(name: str):
    """Return (y, horizons, curves): the mean of two Cox models' survival at the quartiles of the event times."""
    loader, event_field, time_field = REAL[name]
    X, y_raw = loader()
    y = np.zeros(len(X), dtype=SURVIVAL)
    y["event"], y["time"] = np.asarray(y_raw[event_field], dtype=bool), np.asarray(y_raw[time_field], dtype=float)
    features = _features(X)
    half = features.shape[1] // 2
    horizons = np.percentile(y["time"][y["event"]], [25, 50, 75])
    curves = []
    for part in (features[:, : max(half, 1)], features[:, max(half, 1) - 1 :]):
        model = CoxPHSurvivalAnalysis(alpha=1.0).fit(part, y)
        curves.append(np.asarray([fn(horizons) for fn in model.predict_survival_function(part)]))
    return y, horizons, (curves[0] + curves[1]) / 2


@pytest.fixture(scope="module", params=sorted(REAL))
def real(request):
    return (request.param, *_curves(request.param))


def _censored_after(y: np.ndarray, horizon: float) -> np.ndarray:
    """Return y with events after the horizon relabelled censored (see test_survival_metrics.sksurv_td_auc)."""
    test = y.copy()
    test["event"] &= test["time"] <= horizon
    return test


def test_brier_at_each_horizon_is_scikit_survivals(real):
    name, y, horizons, curves = real
    expected = brier_score(y, y, curves, horizons)[1]
    ours = brier_scores_batch(y, curves, None, tuple(horizons))[0]
    np.testing.assert_allclose(ours, expected, rtol=0, atol=TOLERANCE, err_msg=name)
    for k, horizon in enumerate(horizons):
        value = METRICS["brier_at_horizon"].fn(y, curves, curve_horizons=tuple(horizons), horizon=horizon)
        assert abs(value - expected[k]) <= TOLERANCE


def test_integrated_brier_is_scikit_survivals(real):
    name, y, horizons, curves = real
    expected = integrated_brier_score(y, y, curves, horizons)
    value = METRICS["integrated_brier"].fn(y, curves, curve_horizons=tuple(horizons))
    assert abs(value - expected) <= TOLERANCE, name


def test_calibration_is_mean_predicted_risk_less_kaplan_meier_risk(real):
    name, y, horizons, curves = real
    times, survival = kaplan_meier_estimator(y["event"], y["time"])
    for k, horizon in enumerate(horizons):
        km = survival[np.searchsorted(times, horizon, side="right") - 1]
        expected = np.mean(1 - curves[:, k]) - (1 - km)
        value = METRICS["calibration_at_horizon"].fn(y, curves, curve_horizons=tuple(horizons), horizon=horizon)
        assert abs(value - expected) <= TOLERANCE, name


def test_td_auc_reads_the_curve_at_each_horizon(real):
    name, y, horizons, curves = real
    test = _censored_after(y, horizons[-1])
    expected = cumulative_dynamic_auc(y, test, 1 - curves, horizons, tied_tol=0)[0]
    per_horizon = [curve_td_auc_batch(y, curves, None, tuple(horizons), horizons=[h])[0] for h in horizons]
    np.testing.assert_allclose(per_horizon, expected, rtol=0, atol=TOLERANCE, err_msg=name)
    # The score is the plain mean over the horizons, as for a risk submission.
    assert abs(curve_td_auc_batch(y, curves, None, tuple(horizons))[0] - expected.mean()) <= TOLERANCE


def test_concordance_ranks_the_risk_at_the_last_horizon(real):
    name, y, horizons, curves = real
    risk = 1 - curves[:, -1]
    harrell = concordance_index_censored(y["event"], y["time"], risk, tied_tol=0)[0]
    assert abs(curve_harrell_c_batch(y, curves)[0] - harrell) <= TOLERANCE, name
    tau = horizons[-1]
    uno = concordance_index_ipcw(y, y, risk, tau=tau, tied_tol=0)[0]
    assert abs(curve_uno_c_batch(y, curves, tau=tau)[0] - uno) <= TOLERANCE, name


def test_a_bootstrap_weighting_scores_as_the_rows_repeated(real):
    name, y, horizons, curves = real
    rng = np.random.default_rng(7)
    weights = np.bincount(rng.integers(0, y.size, y.size), minlength=y.size).astype(np.int32)
    repeated = np.repeat(np.arange(y.size), weights)
    y_r, curves_r = y[repeated], curves[repeated]
    inside = horizons[(horizons >= y_r["time"].min()) & (horizons < y_r["time"].max())]
    columns = np.searchsorted(horizons, inside)
    ours = brier_scores_batch(y, curves, weights[None, :], tuple(horizons))[0][columns]
    expected = brier_score(y_r, y_r, curves_r[:, columns], inside)[1]
    np.testing.assert_allclose(ours, expected, rtol=0, atol=TOLERANCE, err_msg=name)
    times, survival = kaplan_meier_estimator(y_r["event"], y_r["time"])
    horizon = horizons[1]
    km = survival[np.searchsorted(times, horizon, side="right") - 1]
    value = METRICS["calibration_at_horizon"].batch(y, curves, weights[None, :], curve_horizons=tuple(horizons),
                                                   horizon=horizon)[0]
    assert abs(value - (np.mean(1 - curves_r[:, 1]) - (1 - km))) <= TOLERANCE


def test_a_horizon_outside_the_follow_up_has_no_brier_score():
    y = np.zeros(4, dtype=SURVIVAL)
    y["time"], y["event"] = [1.0, 2.0, 3.0, 4.0], [True, False, True, False]
    curves = np.tile([0.9, 0.5], (4, 1))
    scores = brier_scores_batch(y, curves, None, (2.0, 4.0))[0]
    assert np.isfinite(scores[0]) and np.isnan(scores[1])  # 4 is the last time: outside [1, 4)


@pytest.fixture
def curve_spec(make_spec):
    def make(**submission):
        return make_spec("survival", submission={"columns": ["s100", "s200", "s300"], "kind": "survival_curve",
                                                 "horizons": [100, 200, 300], **submission},
                         metrics={"primary": "integrated_brier", "secondary": ["td_auc", "harrell_c", "brier_at_horizon",
                                                                              "calibration_at_horizon"]})
    return make


def _curve_frames(n: int = 400, seed: int = 3):
    rng = np.random.default_rng(seed)
    hazard = rng.normal(size=n)
    time = np.ceil(rng.exponential(300 * np.exp(-hazard))).astype(int) + 1
    event = (rng.random(n) < 0.7).astype(int)
    solution = pd.DataFrame({"patient_id": np.arange(1, n + 1), "futime": time, "death": event,
                             "Usage": np.where(np.arange(n) % 10 < 3, "Public", "Private")})
    rate = np.exp(hazard + rng.normal(scale=0.5, size=n)) / 300
    predictions = pd.DataFrame({"patient_id": solution["patient_id"],
                                **{f"s{h}": np.exp(-rate * h) for h in (100, 200, 300)}})
    return solution, predictions


def test_score_reports_the_curve_metrics_and_a_horizon_table(curve_spec):
    spec = curve_spec()
    assert spec.submission.figure_horizon == 200  # the middle horizon by default
    solution, predictions = _curve_frames()
    report = score(predictions, solution, spec)
    private = report.splits["private"]
    rows = solution["Usage"].to_numpy() == "Private"
    y = np.zeros(rows.sum(), dtype=SURVIVAL)
    y["time"], y["event"] = solution["futime"][rows], solution["death"][rows] == 1
    curves = predictions[["s100", "s200", "s300"]].to_numpy()[rows]
    assert abs(private.metrics["integrated_brier"] - integrated_brier_score(y, y, curves, [100, 200, 300])) <= TOLERANCE
    assert abs(private.metrics["brier_at_horizon"] - brier_score(y, y, curves[:, 1], [200])[1][0]) <= TOLERANCE
    table = horizons_from_dict(private.to_dict()["horizons"])
    assert [row["horizon"] for row in table["rows"]] == [100, 200, 300]
    expected_auc = cumulative_dynamic_auc(y, _censored_after(y, 300), 1 - curves, [100, 200, 300], tied_tol=0)[0]
    for row, auc, brier in zip(table["rows"], expected_auc, brier_score(y, y, curves, [100, 200, 300])[1]):
        assert abs(row["td_auc"] - auc) <= TOLERANCE and abs(row["brier"] - brier) <= TOLERANCE
        assert row["td_auc_low"] <= row["td_auc"] <= row["td_auc_high"]
        assert row["brier_low"] <= row["brier"] <= row["brier_high"]
    assert table["n_resamples"] == 200 and table["ci_level"] == 0.95


def test_a_curve_submission_has_survival_figures_at_its_figure_horizon(curve_spec):
    spec = curve_spec(figure_horizon=300)
    solution, predictions = _curve_frames()
    report = score(predictions, solution, spec, bootstrap=False)
    rows = solution["Usage"].to_numpy() == "Private"
    expected = survival_curves(solution["futime"][rows].to_numpy(), solution["death"][rows].to_numpy() == 1,
                               1 - predictions["s300"][rows].to_numpy(), 300)
    stored = report.splits["private"].curves
    assert stored is not None and stored["horizon"] == 300
    assert json.dumps(stored, sort_keys=True) == json.dumps(expected, sort_keys=True)
    assert curves_from_dict(report.splits["public"].to_dict()["curves"])["horizon"] == 300


def test_a_risk_submission_has_no_horizon_table(make_spec, survival_data):
    solution, predictions = survival_data()
    report = score(predictions, solution, make_spec("survival"), bootstrap=False)
    assert report.splits["public"].horizons is None


def test_prevalence_fills_a_missing_curve_with_the_mean_curve(curve_spec):
    spec = curve_spec(missing="prevalence")
    solution, predictions = _curve_frames()
    full = score(predictions, solution, spec, bootstrap=False)
    gap = predictions.copy()
    gap.loc[0, ["s100", "s200", "s300"]] = np.nan
    filled = predictions.copy()
    filled.loc[0, ["s100", "s200", "s300"]] = predictions.loc[1:, ["s100", "s200", "s300"]].mean().to_numpy()
    assert score(gap, solution, spec, bootstrap=False).splits["public"].metrics == \
        score(filled, solution, spec, bootstrap=False).splits["public"].metrics
    assert full.splits["public"].n_filled == 0


def test_malformed_horizon_tables_are_refused():
    assert horizons_from_dict(None) is None
    with pytest.raises(ValueError, match="fields"):
        horizons_from_dict({"rows": []})
    with pytest.raises(ValueError, match="not a finite number"):
        horizons_from_dict({"ci_level": 0.95, "n_resamples": 0, "rows": [{"horizon": "soon"}]})
    old = horizons_from_dict({"ci_level": 0.95, "n_resamples": 0, "rows": [{"horizon": 1, "td_auc": 0.7}]})
    assert old["rows"][0]["brier"] is None and old["rows"][0]["td_auc"] == 0.7


def test_the_horizon_table_travels_from_the_sealed_process_intact(curve_spec):
    from ultrathon.scorers.report import ReportInvalid, report_from_wire, report_to_wire

    spec = curve_spec()
    solution, predictions = _curve_frames()
    report = score(predictions, solution, spec)
    wire = report_to_wire(report)
    back = report_from_wire(wire, spec.metrics.all, spec.leaderboard.bootstrap)
    assert back.splits["public"].horizons == report.splits["public"].horizons
    assert back.fingerprint() == report.fingerprint()
    wire["splits"]["public"]["horizons"] = {"ci_level": 0.95, "n_resamples": 200, "rows": [{"horizon": [1]}]}
    with pytest.raises(ReportInvalid, match="not a finite number"):
        report_from_wire(wire, spec.metrics.all, spec.leaderboard.bootstrap)


def test_bca_intervals_work_on_curves(make_spec):
    spec = make_spec("survival", submission={"columns": ["s100", "s200", "s300"], "kind": "survival_curve",
                                             "horizons": [100, 200, 300]},
                     metrics={"primary": "integrated_brier"}, leaderboard={"bootstrap": 100, "ci_method": "bca"})
    solution, predictions = _curve_frames(n=200)
    public = score(predictions, solution, spec).splits["public"]
    assert public.ci_low < public.metrics["integrated_brier"] < public.ci_high
