"""Benchmark the survival figures at a horizon against the binary figures of the same rows.

Run: .venv/bin/python bench/survival_curves.py [--rows 10000] [--repeats 20]
A made-up cohort (exponential event times, uniform censoring, predicted risks near the truth);
printed: the best time in ms of survival_curves (Kaplan-Meier bins and decision curve) and of
binary_curves on the same predictions with "event by the horizon" as the outcome (the baseline:
the same binning and disclosure work without Kaplan-Meier), and their ratio. Target: under 50 ms
on 10,000 rows.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ultrathon.scorers.curves import binary_curves  # noqa: E402
from ultrathon.scorers.survival_curves import survival_curves  # noqa: E402

HORIZON = 5.0


def best_ms(call, repeats: int) -> float:
    """Return the best wall time of call() in ms over repeats runs."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return best * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    hazard = rng.uniform(0.02, 0.3, size=args.rows)
    true_time, censor = rng.exponential(1 / hazard), rng.uniform(0, 15, size=args.rows)
    time_, event = np.minimum(true_time, censor), true_time <= censor
    predicted = np.clip(1 - np.exp(-hazard * HORIZON) + rng.normal(0, 0.05, args.rows), 0.001, 0.999)
    outcome = (event & (time_ <= HORIZON)).astype(int)
    survival = best_ms(lambda: survival_curves(time_, event, predicted, HORIZON), args.repeats)
    binary = best_ms(lambda: binary_curves(outcome, predicted), args.repeats)
    print(f"{args.rows:,} rows: survival_curves {survival:.1f} ms, binary_curves {binary:.1f} ms, "
          f"ratio {survival / binary:.2f}")


if __name__ == "__main__":
    main()
