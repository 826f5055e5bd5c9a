"""Survival figures at a horizon: Kaplan-Meier reliability bins and net benefit, checked against lifelines."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ultrathon.scorers.curves import (
    THRESHOLDS,
    curves_from_dict,
    disclosive_thresholds,
    kaplan_meier_event_rate,
    probability_bins,
    survival_reliability,
    treat_all_net_benefit,
)
from ultrathon.scorers.survival_curves import survival_curves, survival_net_benefit

lifelines = pytest.importorskip("lifelines")
HORIZON = 5.0


def cohort(n: int, seed: int = 0, rounding: int | None = 1):
    """Return (time, event, predicted P(event by HORIZON)): exponential times, uniform censoring, ties by rounding."""
    rng = np.random.default_rng(seed)
    hazard = rng.uniform(0.02, 0.3, size=n)
    true_time, censor = rng.exponential(1 / hazard), rng.uniform(0, 15, size=n)
    time = np.minimum(true_time, censor)
    if rounding is not None:  # tied times, some of them events and censorings at once
        time = np.maximum(time.round(rounding), 10.0 ** -rounding)
    predicted = np.round(1 - np.exp(-hazard * HORIZON), 2)  # many predictions exactly on a threshold
    return time, true_time <= censor, predicted


def lifelines_event_rate(time, event, horizon=HORIZON) -> float:
    fitter = lifelines.KaplanMeierFitter().fit(time, event)
    return 1 - float(fitter.survival_function_at_times(horizon).iloc[0])


def lifelines_net_benefit(time, event, predicted, pt, horizon=HORIZON) -> float:
    """Net benefit as Vickers et al. 2008 write it, with lifelines' Kaplan-Meier among the treated."""
    treated = predicted >= pt
    if not treated.any():
        return 0.0
    survival = 1 - lifelines_event_rate(time[treated], event[treated], horizon)
    share = treated.mean()
    return (1 - survival) * share - survival * share * pt / (1 - pt)


def test_net_benefit_matches_lifelines_at_every_threshold():
    time, event, predicted = cohort(600)
    got = survival_net_benefit(time, event, predicted, HORIZON)
    assert got.shape == (99,)
    for pt, value in zip(THRESHOLDS, got):
        assert value == pytest.approx(lifelines_net_benefit(time, event, predicted, pt), abs=1e-9)


def test_events_at_the_horizon_count_and_later_ones_do_not():
    time = np.array([1.0, 2.0, 5.0, 5.0, 6.0, 7.0] * 5)
    event = np.array([True, False, True, False, True, True] * 5)
    predicted = np.linspace(0.05, 0.95, 30)
    for pt, value in zip(THRESHOLDS, survival_net_benefit(time, event, predicted, 5.0)):
        assert value == pytest.approx(lifelines_net_benefit(time, event, predicted, pt, 5.0), abs=1e-9)
    assert kaplan_meier_event_rate(time, event, 5.0)[0] == pytest.approx(lifelines_event_rate(time, event, 5.0), abs=1e-12)
    assert kaplan_meier_event_rate(time, event, 4.9)[0] == pytest.approx(lifelines_event_rate(time, event, 4.9), abs=1e-12)


def test_reliability_bins_are_kaplan_meier_per_bin_with_lifelines_interval():
    time, event, predicted = cohort(1000, seed=1)
    bins = survival_reliability(predicted, time, event, HORIZON)
    bin_of = probability_bins(predicted)
    assert len(bins) == bin_of.max() + 1 and sum(b.n for b in bins) == 1000
    for index, b in enumerate(bins):
        rows = bin_of == index
        fitter = lifelines.KaplanMeierFitter().fit(time[rows], event[rows])
        assert b.n == rows.sum() and b.mean_predicted == pytest.approx(predicted[rows].mean(), abs=1e-12)
        assert b.observed == pytest.approx(1 - float(fitter.survival_function_at_times(HORIZON).iloc[0]), abs=1e-9)
        band = fitter.confidence_interval_survival_function_  # lifelines' default: Greenwood on log(-log S)
        at = band[band.index <= HORIZON].iloc[-1]
        assert (b.low, b.high) == pytest.approx((1 - at.iloc[1], 1 - at.iloc[0]), abs=1e-9)


def test_the_figure_dict_rounds_the_same_figures_and_carries_the_horizon():
    time, event, predicted = cohort(800, seed=2)
    data = survival_curves(time, event, predicted, HORIZON)
    assert data["horizon"] == HORIZON and data["n"] == 800 and data["binning"] == "quantile"
    rate = lifelines_event_rate(time, event)
    assert data["prevalence"] == pytest.approx(rate, abs=5e-7)
    np.testing.assert_allclose(data["treat_all"], treat_all_net_benefit(rate), atol=5e-7)
    hidden = disclosive_thresholds(predicted)
    exact = survival_net_benefit(time, event, predicted, HORIZON)
    for value, hide, want in zip(data["net_benefit"], hidden, exact):
        assert (value is None) if hide else value == pytest.approx(want, abs=5e-7)
    for cell, b in zip(data["bins"], survival_reliability(predicted, time, event, HORIZON)):
        assert cell["n"] == b.n and cell["observed"] == pytest.approx(b.observed, abs=5e-7)


def test_treating_everyone_is_the_treat_all_line():
    time, event, _ = cohort(300, seed=3)
    everyone = survival_net_benefit(time, event, np.ones(300), HORIZON)
    np.testing.assert_allclose(everyone, treat_all_net_benefit(lifelines_event_rate(time, event)), atol=1e-9)


def test_under_twenty_rows_there_are_no_figures_and_no_bin_or_step_rests_on_fewer():
    time, event, predicted = cohort(19, seed=4)
    assert survival_curves(time, event, predicted, HORIZON) is None
    assert survival_curves(time[:0], event[:0], predicted[:0], HORIZON) is None
    time, event, predicted = cohort(20, seed=4)
    assert [b["n"] for b in survival_curves(time, event, predicted, HORIZON)["bins"]] == [20]
    # One patient predicted apart from the rest: no bin or neighbouring pair of thresholds isolates them.
    time, event, _ = cohort(300, seed=5)
    predicted = np.where(np.arange(300) % 2 == 0, 0.001, 0.999)
    predicted[7] = 0.505
    data = survival_curves(time, event, predicted, HORIZON)
    shown = [t for t, v in zip(data["thresholds"], data["net_benefit"]) if v is not None]
    cuts = sorted({0, 300, *np.cumsum([b["n"] for b in data["bins"]]).tolist(),
                   *(int(np.sum(predicted < t)) for t in shown)})
    assert all(b - a >= 20 for a, b in zip(cuts, cuts[1:]))


def test_no_event_by_the_horizon_gives_zero_risk_without_intervals_and_no_gain():
    time = np.linspace(6.0, 10.0, 40)
    event = np.ones(40, dtype=bool)
    data = survival_curves(time, event, np.linspace(0.05, 0.9, 40), HORIZON)
    assert data["prevalence"] == 0.0 and all(b["observed"] == 0.0 and b["low"] is None for b in data["bins"])
    assert all(v <= 0 for v in data["net_benefit"] if v is not None)


def test_survival_figures_survive_json_and_the_check_unchanged():
    time, event, predicted = cohort(5000, seed=6, rounding=None)
    data = survival_curves(time, event, predicted, 365.0)
    text = json.dumps(data, allow_nan=False)
    assert len(text) < 6500 and curves_from_dict(json.loads(text)) == data


@pytest.mark.parametrize("horizon", [0, -1.0, "365", None, float("inf")])
def test_a_stored_horizon_that_is_not_a_positive_time_is_refused(horizon):
    time, event, predicted = cohort(100, seed=7)
    data = survival_curves(time, event, predicted, HORIZON)
    data["horizon"] = horizon
    with pytest.raises(ValueError):
        curves_from_dict(data)
