"""Multi-metric ranking schemes, one-sided significance wins and the Holm-adjusted pairwise map, on hand-made matrices."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ultrathon.scorers.ranks import (
    holm_adjust,
    mean_rank_figures,
    paired_p_value,
    pairwise_comparisons,
    rank_then_aggregate_figures,
    scheme_figures,
    scheme_order,
    scheme_rank_replicates,
    significance_wins,
    statistics_of_ranks,
)
from ultrathon.scorers.report import ReportInvalid, report_from_wire, report_to_wire
from ultrathon.scorers.scoring import score

NAN = float("nan")


def test_mean_rank_averages_each_metrics_mid_ranks_with_its_own_direction():
    # Metric A: higher is better (ranks 1, 2, 3); metric B: lower is better (ranks 3, 1, 2).
    points = np.array([[0.9, 0.8, 0.7], [0.3, 0.1, 0.2]])
    figures = mean_rank_figures(points, [True, False])
    assert figures.tolist() == [2.0, 1.5, 2.5]
    assert scheme_order("mean_rank", figures).tolist() == [1, 0, 2]


def test_mean_rank_gives_tied_teams_their_mid_rank_and_undefined_values_the_last_rank():
    tied = mean_rank_figures(np.array([[0.9, 0.9, 0.7], [0.3, 0.1, 0.2]]), [True, False])
    assert tied.tolist() == [2.25, 1.25, 2.5]
    undefined = mean_rank_figures(np.array([[0.9, 0.8, 0.7], [NAN, 0.1, 0.2]]), [True, False])
    assert undefined.tolist() == [2.0, 1.5, 2.5]  # B: the undefined value ranks 3rd, behind 0.2


def test_equal_figures_keep_the_order_they_came_in():
    assert scheme_order("mean_rank", np.array([2.0, 2.0, 2.0])).tolist() == [0, 1, 2]
    assert scheme_order("mean_rank", np.array([NAN, 1.0, 2.0])).tolist() == [1, 2, 0]


def test_rank_then_aggregate_ranks_per_resample_and_metric_then_averages():
    # metrics x teams x resamples, both higher is better.
    replicates = np.array([
        [[3, 1], [2, 2], [1, 3]],   # A: resample 0 ranks teams 1, 2, 3; resample 1 ranks them 3, 2, 1
        [[1, 1], [2, 2], [3, 3]],   # B: ranks 3, 2, 1 on both
    ], dtype=float)
    figures = rank_then_aggregate_figures(replicates, [True, True])
    assert figures.tolist() == [2.5, 2.0, 1.5]
    assert scheme_order("rank_then_aggregate", figures).tolist() == [2, 1, 0]
    # mean_rank on point values where A orders 0, 1, 2 and B 2, 1, 0: a three-way tie instead.
    points = np.array([[3.0, 2.0, 1.0], [1.0, 2.0, 3.0]])
    assert mean_rank_figures(points, [True, True]).tolist() == [2.0, 2.0, 2.0]


def _resamples(n: int = 100) -> np.ndarray:
    return np.linspace(0.0, 0.01, n)


def test_significance_counts_the_teams_beaten_in_a_one_sided_paired_test():
    noise = _resamples()
    second = 5.0 + noise
    third = second - 1.0
    third[:4] = second[:4] + 1.0  # the second is not better on 4% of resamples: below alpha 0.05
    replicates = np.stack([10.0 + noise, second, third])[None]
    assert significance_wins(replicates, [True], 0.05).tolist() == [2, 1, 0]
    third[:5] = second[:5] + 1.0  # 5%: not below 0.05, no longer significant
    replicates = np.stack([10.0 + noise, second, third])[None]
    assert significance_wins(replicates, [True], 0.05).tolist() == [2, 0, 0]


def test_significance_counts_an_undefined_resample_as_not_better_and_sums_over_metrics():
    noise = _resamples()
    first = 10.0 + noise
    first[:10] = NAN  # undefined on 10% of resamples: it beats nobody on this metric
    metric_a = np.stack([first, 5.0 + noise, 1.0 + noise])
    metric_b = np.stack([1.0 + noise, 2.0 + noise, 3.0 + noise])  # lower is better: team 0 beats both
    wins = significance_wins(np.stack([metric_a, metric_b]), [True, False], 0.05)
    # A: team 0 beats nobody, nor does anyone beat it (its undefined resamples); team 1 beats team 2.
    assert wins.tolist() == [0 + 2, 1 + 1, 0 + 0]
    assert scheme_order("significance", wins.astype(float)).tolist() == [0, 1, 2]  # 2 wins each: input order


def test_significance_without_resamples_beats_nobody():
    assert significance_wins(np.zeros((1, 3, 0)), [True], 0.05).tolist() == [0, 0, 0]


def test_scheme_figures_names_each_scheme_and_refuses_others():
    points = np.array([[0.9, 0.8], [0.1, 0.2]])
    replicates = np.repeat(points[:, :, None], 20, axis=2)
    assert scheme_figures("mean_rank", points, None, [True, False], 0.05).tolist() == [1.0, 2.0]
    assert scheme_figures("rank_then_aggregate", points, replicates, [True, False], 0.05).tolist() == [1.0, 2.0]
    assert scheme_figures("significance", points, replicates, [True, False], 0.05).tolist() == [2.0, 0.0]
    with pytest.raises(ValueError, match="no multi-metric ranking scheme 'primary'"):
        scheme_figures("primary", points, replicates, [True, False], 0.05)


def test_a_schemes_rank_on_each_resample_is_the_mid_rank_of_the_mean_metric_rank():
    replicates = np.array([[[3, 1], [2, 2], [1, 3]], [[1, 1], [2, 2], [3, 3]]], dtype=float)
    ranks = scheme_rank_replicates(replicates, [True, True])
    assert ranks.tolist() == [[2.0, 3.0], [2.0, 2.0], [2.0, 1.0]]  # resample 0: a three-way tie at 2
    # A ranks 1, 2, 3 and B 3, 1, 2: mean ranks 2, 1.5, 2.5 become ranks 2, 1, 3.
    single = scheme_rank_replicates(np.array([[[0.9], [0.8], [0.7]], [[0.1], [0.3], [0.2]]]), [True, True])
    assert single[:, 0].tolist() == [2.0, 1.0, 3.0]
    figures = statistics_of_ranks(ranks, 0.95)
    # The three-way tie shares resample 0's first place in thirds; resample 1's goes to team 2.
    assert np.allclose(figures["p_rank1"], [1 / 6, 1 / 6, 1 / 6 + 1 / 2])


def test_holm_matches_statsmodels():
    multitest = pytest.importorskip("statsmodels.stats.multitest")
    p = np.random.default_rng(5).uniform(0, 0.1, 45)
    p[[3, 9]] = p[7]  # equal p-values keep one adjusted value
    expected = multitest.multipletests(p, method="holm")[1]
    assert np.allclose(holm_adjust(p), expected)


def test_holm_by_hand_and_undefined_p_values_left_out():
    # Sorted 0.01, 0.02, 0.04 times 3, 2, 1 -> 0.03, 0.04, 0.04 (running maximum); NaN not counted.
    assert np.allclose(holm_adjust(np.array([0.04, NAN, 0.01, 0.02])), [0.04, NAN, 0.03, 0.04], equal_nan=True)
    assert holm_adjust(np.array([0.6, 0.7])).tolist() == [1.0, 1.0]


def test_the_paired_p_value_is_twice_the_smaller_tail_at_zero():
    assert paired_p_value(np.array([1.0] * 97 + [-1.0] * 3)) == pytest.approx(0.06)
    assert paired_p_value(np.zeros(10)) == 1.0
    assert paired_p_value(np.array([NAN, NAN])) is None


def test_pairwise_comparisons_adjust_over_every_pair_and_name_the_better_team():
    noise = np.random.default_rng(6).normal(0, 0.01, 400)
    replicates = np.stack([0.80 + noise, 0.70 + noise, 0.70 + noise[::-1]])
    pairs = pairwise_comparisons(replicates, np.array([0.80, 0.70, 0.70]), higher_is_better=True, level=0.95)
    assert [(p["i"], p["j"]) for p in pairs] == [(0, 1), (0, 2), (1, 2)]  # k(k-1)/2 pairs
    first, _, last = pairs
    assert first["difference"] == pytest.approx(0.10) and first["ci_low"] == pytest.approx(0.10)
    assert first["p_value"] == 0.0 and first["better"] == 0
    assert last["better"] is None and last["p_adjusted"] == 1.0
    lower = pairwise_comparisons(replicates, np.array([0.80, 0.70, 0.70]), higher_is_better=False, level=0.95)
    assert lower[0]["better"] == 1  # lower is better: the 0.70 team wins


def test_scoring_stores_the_ranking_metrics_replicates_paired_with_the_primarys(make_spec, binary_data):
    spec = make_spec(metrics={"primary": "roc_auc", "secondary": ["brier", "average_precision"]},
                     ranking={"scheme": "mean_rank", "metrics": ["roc_auc", "brier"]})
    solution, predictions = binary_data()
    report = score(predictions, solution, spec)
    public = report.splits["public"]
    assert list(public.metric_replicates) == ["brier"]
    assert public.metric_replicates["brier"].shape == public.replicates.shape
    # Paired: the same resamples scored by brier alone give the same replicates.
    alone = score(predictions, solution, make_spec(metrics={"primary": "brier"}))
    assert np.array_equal(public.metric_replicates["brier"], alone.splits["public"].replicates)
    assert set(public.metric_replicates_json()) == {"brier"}
    back = report_from_wire(json.loads(json.dumps(report_to_wire(report))), spec.metrics.all, spec.leaderboard.bootstrap)
    assert np.array_equal(back.splits["private"].metric_replicates["brier"], report.splits["private"].metric_replicates["brier"])
    assert back.fingerprint() == report.fingerprint()


def test_scoring_under_the_primary_scheme_stores_no_other_replicates(make_spec, binary_data):
    spec = make_spec(metrics={"primary": "roc_auc", "secondary": ["brier"]})
    report = score(*reversed(binary_data()), spec)
    assert report.splits["public"].metric_replicates == {} and report.splits["public"].metric_replicates_json() is None


def test_a_report_with_replicates_of_an_unknown_metric_is_refused(make_spec, binary_data):
    spec = make_spec(metrics={"primary": "roc_auc", "secondary": ["brier"]}, ranking={"scheme": "significance"})
    solution, predictions = binary_data()
    wire = json.loads(json.dumps(report_to_wire(score(predictions, solution, spec))))
    wire["splits"]["public"]["metric_replicates"]["log_loss"] = wire["splits"]["public"]["metric_replicates"]["brier"]
    with pytest.raises(ReportInvalid, match="replicates of 'log_loss'"):
        report_from_wire(wire, spec.metrics.all, spec.leaderboard.bootstrap)
