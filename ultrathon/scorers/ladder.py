"""The Ladder of Blum and Hardt (2015): a public score that moves only on a real improvement.

A. Blum and M. Hardt, "The Ladder: A Reliable Leaderboard for Machine Learning Competitions",
ICML 2015 (arXiv:1502.04585), Algorithm 1. Pure: numbers in, numbers out.
"""

from __future__ import annotations

import math
from typing import Iterable


def default_step(n_public: int) -> float:
    """Return the step for a public board of n_public rows: 1/sqrt(n), to one significant figure."""
    if n_public < 1:
        raise ValueError(f"the public board needs at least one row, got {n_public}")
    # A score in [0, 1] averaged over n rows has a standard error of at most 1/(2 sqrt(n)), so
    # the step asks for about two standard errors of improvement (docs/challenge-format.md).
    raw = 1 / math.sqrt(n_public)
    return round(raw, -math.floor(math.log10(raw)))


def round_to_step(value: float, step: float) -> float:
    """Return value rounded to the nearest multiple of step, without float dust (0.30000000000000004)."""
    decimals = max(0, -math.floor(math.log10(step)) + 6)
    return round(round(value / step) * step, decimals)


def shown_score(best_shown: float | None, score: float | None, step: float, higher_is_better: bool) -> float | None:
    """Return the public score the Ladder shows for a new submission, given the team's best shown so far."""
    if not step > 0:
        raise ValueError(f"the Ladder's step must be above 0, got {step}")
    if score is None or not math.isfinite(score):
        return best_shown
    if best_shown is None:
        return round_to_step(score, step)
    gain = score - best_shown if higher_is_better else best_shown - score
    # A gain of exactly the step is not enough, whatever float subtraction leaves behind (0.8 - 0.75).
    return round_to_step(score, step) if gain > step * (1 + 1e-9) else best_shown


def ladder(scores: Iterable[float | None], step: float, higher_is_better: bool) -> list[float | None]:
    """Return the shown score of each submission of one team, in the order they were scored."""
    shown: list[float | None] = []
    best: float | None = None
    for score in scores:
        best = shown_score(best, score, step, higher_is_better)
        shown.append(best)
    return shown
