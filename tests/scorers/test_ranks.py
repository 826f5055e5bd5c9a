"""The ranking statistics on their own: pure functions of arrays, importable without Flask."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import rankdata

from ultrathon.scorers.ranks import cannot_be_told_apart, difference_interval, kendall_tau, mid_ranks, rank_statistics

ROOT = Path(__file__).resolve().parents[2]


def test_the_ranking_statistics_load_without_flask_or_the_database():
    probe = "import sys, ultrathon.scorers.ranks; print(sorted(m for m in ('flask', 'sqlalchemy') if m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT).stdout.strip() == "[]"


def test_a_difference_interval_that_holds_zero_is_a_tie():
    leader = np.linspace(0.70, 0.80, 200)
    close = leader + np.linspace(-0.02, 0.01, 200)
    low, high = difference_interval(close, leader, 0.95)
    assert low < 0 < high and cannot_be_told_apart(low, high) is True
    low, high = difference_interval(leader - 0.05, leader, 0.95)
    assert high < 0 and cannot_be_told_apart(low, high) is False
    assert cannot_be_told_apart(None, None) is None


def test_kendalls_tau_of_two_rankings():
    assert kendall_tau([1, 2, 3, 4], [1, 2, 3, 4]) == 1.0
    assert kendall_tau([1, 2, 3, 4], [4, 3, 2, 1]) == -1.0
    assert kendall_tau([1], [1]) is None


def test_identical_submissions_share_rank_one_and_their_interval():
    """Two identical submissions are symmetric: P(rank 1) 0.5 each and the same mid-rank interval."""
    own = np.random.default_rng(3).normal(0.8, 0.02, 500)
    replicates = np.stack([own, own.copy(), own - 0.1])
    figures = rank_statistics(replicates, higher_is_better=True, level=0.95)
    assert figures["p_rank1"].tolist() == [0.5, 0.5, 0.0]
    assert figures["median_rank"].tolist() == [1.5, 1.5, 3.0]
    assert figures["rank_low"].tolist() == [1.5, 1.5, 3.0] and figures["rank_high"].tolist() == [1.5, 1.5, 3.0]


def test_mid_ranks_match_scipy_and_undefined_values_tie_last():
    values = np.random.default_rng(4).integers(0, 4, (7, 300)).astype(float)
    values[0, :50] = np.nan
    expected = rankdata(np.where(np.isnan(values), np.inf, -values), axis=0, method="average")
    assert np.array_equal(mid_ranks(values, higher_is_better=True), expected)
    assert np.array_equal(mid_ranks(-values, higher_is_better=False), expected)
    # Each resample hands out exactly one unit of P(rank 1) among those tied first.
    assert rank_statistics(values, True, 0.95)["p_rank1"].sum() == pytest.approx(1.0, abs=1e-12)
