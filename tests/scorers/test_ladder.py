"""The Ladder of Blum and Hardt (2015): its rule, its default step, and the boosting attack it resists."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from ultrathon.scorers.ladder import default_step, ladder, round_to_step, shown_score

BENCH = Path(__file__).resolve().parents[2] / "bench" / "ladder.py"


def test_the_shown_score_moves_only_on_a_gain_above_the_step_and_then_rounds_to_it():
    assert ladder([0.712, 0.74, 0.7651, 0.80, None, 0.70], 0.05, higher_is_better=True) == [0.7, 0.7, 0.75, 0.75, 0.75, 0.75]


def test_a_lower_is_better_metric_climbs_downwards():
    assert ladder([0.31, 0.27, 0.25, 0.24, 0.19], 0.05, higher_is_better=False) == [0.3, 0.3, 0.3, 0.25, 0.2]


def test_a_gain_of_exactly_the_step_is_not_enough():
    assert shown_score(0.5, 0.55, 0.05, higher_is_better=True) == 0.5


def test_the_default_step_is_one_over_root_n_to_one_significant_figure():
    assert default_step(300) == 0.06 and default_step(100) == 0.1 and default_step(10_000) == 0.01
    with pytest.raises(ValueError, match="at least one row"):
        default_step(0)


def test_rounding_leaves_no_float_dust():
    assert round_to_step(0.3000001, 0.1) == 0.3 and str(round_to_step(0.7349, 0.05)) == "0.75"


def test_the_boosting_attack_inflates_a_ladder_board_far_less_than_a_live_one():
    spec = importlib.util.spec_from_file_location("ladder_bench", BENCH)
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench  # its dataclass looks its module up while being defined
    spec.loader.exec_module(bench)
    live, laddered = bench.run(n_rows=1000, submissions=200, seed=3)
    assert live.inflation > 0.1  # the attack works on a live board
    assert laddered.inflation <= live.inflation / 3
