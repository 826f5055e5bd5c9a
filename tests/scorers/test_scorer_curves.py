"""Reliability diagrams and decision curves: the formulas, their edge cases, and their journey through a report."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from ultrathon.scorers import curves, read_solution, read_submission, score
from ultrathon.scorers.curves import (
    THRESHOLDS,
    binary_curves,
    binary_reliability,
    curves_from_dict,
    disclosive_thresholds,
    kaplan_meier_event_rate,
    merge_small_bins,
    net_benefit,
    quantile_bins,
    survival_reliability,
    treat_all_net_benefit,
    wilson_interval,
)
from ultrathon.scorers.report import ReportInvalid, report_from_wire, report_to_wire


def hand_net_benefit(y, p, pt):
    """Net benefit counted row by row (Vickers & Elkin 2006): treat when p >= pt."""
    tp = sum(1 for yi, pi in zip(y, p) if pi >= pt and yi == 1)
    fp = sum(1 for yi, pi in zip(y, p) if pi >= pt and yi == 0)
    return tp / len(y) - fp / len(y) * pt / (1 - pt)


def test_net_benefit_matches_the_hand_formula_at_every_threshold():
    rng = np.random.default_rng(1)
    p = rng.uniform(size=300)
    y = (rng.uniform(size=300) < p).astype(int)
    got = net_benefit(y, p)
    assert got.shape == (99,)
    for pt, value in zip(THRESHOLDS, got):
        assert value == pytest.approx(hand_net_benefit(y, p, pt), abs=1e-12)


def test_a_prediction_on_the_threshold_is_treated():
    # 0.3 >= 0.3: the row is treated, so one true positive and no false positive.
    assert net_benefit(np.array([1, 0]), np.array([0.3, 0.1]), np.array([0.3]))[0] == pytest.approx(0.5)


def test_treat_all_is_prevalence_less_the_weighted_negatives_and_equals_a_model_predicting_one():
    y = np.array([1, 0, 0, 1, 0])
    assert treat_all_net_benefit(0.4, np.array([0.2]))[0] == pytest.approx(0.4 - 0.6 * 0.25)
    np.testing.assert_allclose(treat_all_net_benefit(0.4), net_benefit(y, np.ones(5)), atol=1e-12)


def test_wilson_interval_matches_scipy():
    from scipy.stats import binomtest

    for events, n in [(7, 20), (1, 12), (49, 50), (300, 1000)]:
        reference = binomtest(events, n).proportion_ci(confidence_level=0.95, method="wilson")
        assert wilson_interval(events, n) == pytest.approx((reference.low, reference.high), abs=1e-9)
    assert wilson_interval(0, 10)[0] == 0.0 and wilson_interval(10, 10)[1] == 1.0


def test_quantile_bins_are_equal_count_and_keep_equal_predictions_together():
    p = np.repeat(np.arange(10) / 10, 10)[::-1]
    bins = quantile_bins(p, 10)
    assert np.bincount(bins).tolist() == [10] * 10
    assert np.all(bins[np.argsort(p)] == np.sort(bins))  # higher prediction, same or higher bin
    tied = quantile_bins(np.array([0.1] * 15 + [0.9] * 5), 10)
    assert sorted(set(tied.tolist())) == [0, 1] and np.bincount(tied).tolist() == [15, 5]


def test_binary_reliability_reports_mean_prediction_observed_rate_and_counts():
    rng = np.random.default_rng(2)
    p = rng.uniform(size=1000)
    y = (rng.uniform(size=1000) < p).astype(int)
    bins = binary_reliability(y, p)
    assert len(bins) == 10 and sum(b.n for b in bins) == 1000
    bins_of = quantile_bins(p, 10)
    for index, b in enumerate(bins):
        rows = bins_of == index
        assert b.mean_predicted == pytest.approx(p[rows].mean()) and b.observed == pytest.approx(y[rows].mean())
        assert b.low <= b.observed <= b.high


def test_a_small_split_gets_fewer_bins_so_each_holds_twenty_rows():
    assert [b.n for b in binary_reliability(np.arange(70) % 2, np.linspace(0.05, 0.95, 70))] == [24, 23, 23]
    assert [b.n for b in binary_reliability(np.arange(35) % 2, np.linspace(0.05, 0.95, 35))] == [35]


def test_no_bin_shows_a_patient_placed_alone_by_the_prediction():
    # One row predicted apart from all others would be a bin of one: its outcome is merged away.
    predicted = np.full(400, 0.2)
    predicted[17] = 0.9
    bins = binary_reliability(np.arange(400) % 3 == 0, predicted)
    assert [b.n for b in bins] == [400]
    assert np.bincount(merge_small_bins(np.array([0] * 30 + [1] * 3 + [2] * 25 + [3] * 2))).tolist() == [30, 30]


def test_no_step_of_the_decision_curve_shows_a_few_patients():
    # A team predicting 0.505 for one row and 0.001 or 0.999 for the rest would read that row's outcome
    # from NB(0.50) - NB(0.51): every threshold whose cut falls within 20 rows of another cut is left out.
    rng = np.random.default_rng(7)
    predicted = np.where(rng.uniform(size=300) < 0.5, 0.001, 0.999)
    predicted[5] = 0.505
    y = (rng.uniform(size=300) < 0.4).astype(int)
    data = binary_curves(y, predicted)
    shown = [t for t, v in zip(data["thresholds"], data["net_benefit"]) if v is not None]
    assert not ({0.5, 0.51} <= set(shown))
    cuts = sorted({0, 300, *np.cumsum([b["n"] for b in data["bins"]]).tolist(),
                   *(int(np.sum(predicted < t)) for t in shown)})
    assert all(b - a >= 20 for a, b in zip(cuts, cuts[1:]))
    assert disclosive_thresholds((np.arange(2000) + 0.5) / 2000).sum() == 0  # 20 rows a step: nothing left out
    assert disclosive_thresholds((np.arange(1000) + 0.5) / 1000).sum() == 50  # 10 a step: every odd hundredth


def test_constant_predictions_give_one_bin_and_one_class_gives_rates_of_zero():
    one = binary_reliability(np.array([0, 1] * 20), np.full(40, 0.3))
    assert len(one) == 1 and one[0].n == 40 and one[0].observed == 0.5
    none = binary_reliability(np.zeros(40, dtype=int), np.linspace(0, 1, 40))
    assert all(b.observed == 0.0 and b.low == 0.0 and b.high > 0 for b in none)
    data = binary_curves(np.zeros(40, dtype=int), np.linspace(0, 1, 40))
    assert data["prevalence"] == 0.0 and all(v <= 0 for v in data["net_benefit"] if v is not None)


def test_an_empty_split_has_no_curves():
    assert binary_curves(np.array([], dtype=int), np.array([])) is None


def test_curves_are_small_json_and_survive_the_check_unchanged():
    rng = np.random.default_rng(3)
    p = rng.uniform(size=5000)
    data = binary_curves((rng.uniform(size=5000) < p).astype(int), p)
    text = json.dumps(data, allow_nan=False)
    assert len(text) < 6000 and len(data["thresholds"]) <= 100 and len(data["bins"]) <= 20
    assert curves_from_dict(json.loads(text)) == data


@pytest.mark.parametrize("damage", [
    lambda d: d.update(bins=[]),
    lambda d: d.update(thresholds=d["thresholds"] * 2, net_benefit=d["net_benefit"] * 2, treat_all=d["treat_all"] * 2),
    lambda d: d["net_benefit"].pop(),
    lambda d: d["bins"][0].update(n=0),
    lambda d: d["bins"][0].update(observed="0.5"),
    lambda d: d.update(extra=1),
])
def test_malformed_curves_are_refused(damage):
    data = binary_curves(np.array([0, 1] * 30), np.linspace(0.01, 0.99, 60))
    damage(data)
    with pytest.raises(ValueError):
        curves_from_dict(data)


def test_kaplan_meier_event_rate_matches_lifelines_with_its_interval():
    lifelines = pytest.importorskip("lifelines")
    rng = np.random.default_rng(4)
    time = rng.exponential(10, size=200).round(1)
    event = rng.uniform(size=200) < 0.7
    fitter = lifelines.KaplanMeierFitter().fit(time, event)
    rate, low, high = kaplan_meier_event_rate(time, event, 8.0)
    assert rate == pytest.approx(1 - float(fitter.survival_function_at_times(8.0).iloc[0]), abs=1e-12)
    band = fitter.confidence_interval_survival_function_
    at = band[band.index <= 8.0].iloc[-1]
    assert (low, high) == pytest.approx((1 - at.iloc[1], 1 - at.iloc[0]), abs=1e-9)


def test_survival_reliability_bins_predicted_risk_against_kaplan_meier_per_bin():
    KaplanMeierFitter = pytest.importorskip("lifelines").KaplanMeierFitter

    rng = np.random.default_rng(5)
    hazard = rng.uniform(0.02, 0.3, size=400)
    time = rng.exponential(1 / hazard)
    censor = rng.uniform(0, 15, size=400)
    observed_time, event = np.minimum(time, censor), time <= censor
    predicted = 1 - np.exp(-hazard * 5.0)  # the true P(event by 5)
    bins = survival_reliability(predicted, observed_time, event, 5.0)
    assert len(bins) == 10 and sum(b.n for b in bins) == 400
    bin_of = quantile_bins(predicted, 10)
    for index, b in enumerate(bins):
        rows = bin_of == index
        km = KaplanMeierFitter().fit(observed_time[rows], event[rows])
        assert b.observed == pytest.approx(1 - float(km.survival_function_at_times(5.0).iloc[0]), abs=1e-12)
    # The predictions are the true risks: the bins lie near the diagonal.
    assert np.mean([abs(b.observed - b.mean_predicted) for b in bins]) < 0.08


def test_a_bin_without_events_by_the_horizon_has_no_interval():
    assert kaplan_meier_event_rate(np.array([5.0, 6.0, 7.0]), np.array([True, True, False]), 1.0) == (0.0, None, None)


def test_a_binary_report_carries_curves_per_split_through_the_wire(make_spec, binary_data, to_csv):


    spec = make_spec("binary", metrics={"primary": "roc_auc"})
    solution, predictions = binary_data()
    report = score(read_submission(to_csv(predictions), spec), read_solution(to_csv(solution), spec), spec)
    for split in ("public", "private"):
        data = report.splits[split].curves
        assert data is not None and sum(b["n"] for b in data["bins"]) == report.splits[split].n_rows
    wire = json.loads(json.dumps(report_to_wire(report)))
    back = report_from_wire(wire, spec.metrics.all, spec.leaderboard.bootstrap)
    assert back.to_dict() == report.to_dict() and back.fingerprint() == report.fingerprint()
    wire["splits"]["public"]["curves"]["bins"] = []
    with pytest.raises(ReportInvalid):
        report_from_wire(wire, spec.metrics.all, spec.leaderboard.bootstrap)


def test_other_tasks_have_no_curves(make_spec, survival_data, to_csv):


    spec = make_spec("survival")
    solution, predictions = survival_data()
    report = score(read_submission(to_csv(predictions), spec), read_solution(to_csv(solution), spec), spec, bootstrap=False)
    assert all(s.curves is None for s in report.splits.values())
    assert math.isfinite(curves.Z_95)
