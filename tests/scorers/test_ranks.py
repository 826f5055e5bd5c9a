"""The ranking statistics on their own: pure functions of arrays, importable without Flask."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from ultrathon.scorers.ranks import cannot_be_told_apart, difference_interval, kendall_tau

ROOT = Path(__file__).resolve().parents[2]


def test_the_ranking_statistics_load_without_flask_or_the_database():
    probe = "import sys, ultrathon.scorers.ranks; print(sorted(m for m in ('flask', 'sqlalchemy') if m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT).stdout.strip() == "[]"


def test_a_difference_interval_that_holds_zero_is_a_tie():
    leader = np.linspace(0.70, 0.80, 200)
    close = leader + np.linspace(-0.02, 0.01, 200)
    low, high = difference_interval(close, leader)
    assert low < 0 < high and cannot_be_told_apart(low, high) is True
    low, high = difference_interval(leader - 0.05, leader)
    assert high < 0 and cannot_be_told_apart(low, high) is False
    assert cannot_be_told_apart(None, None) is None


def test_kendalls_tau_of_two_rankings():
    assert kendall_tau([1, 2, 3, 4], [1, 2, 3, 4]) == 1.0
    assert kendall_tau([1, 2, 3, 4], [4, 3, 2, 1]) == -1.0
    assert kendall_tau([1], [1]) is None
