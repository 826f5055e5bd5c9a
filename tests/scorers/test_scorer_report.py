"""ScoreReport parts as JSON-ready data."""

from __future__ import annotations

import math

from ultrathon.scorers import SubgroupScore


def test_a_subgroup_cell_lists_its_fields_in_order_with_non_finite_values_as_none():
    """A cell's dict keeps the stored key order; NaN and infinities in its value and CI become None."""
    cell = SubgroupScore("private", "site", "A", n=40, n_positive=21, value=math.nan, ci_low=-math.inf, ci_high=0.75,
                         suppressed=False)
    assert list(cell.to_dict().items()) == [
        ("split", "private"), ("column", "site"), ("group", "A"), ("n", 40), ("n_positive", 21),
        ("value", None), ("ci_low", None), ("ci_high", 0.75), ("suppressed", False),
    ]
