"""Every registered metric against an independent reference, on real clinical datasets.

Run: .venv/bin/python bench/references.py [--quick]. Prints one row per case (metric,
dataset/variant, ours, reference, |diff|, status), the notes, and a summary line; exits 1 when
a case whose reference is defined differs by more than 1e-9 (or ours is undefined there).
Cases: bench/reference_cases.py; data: bench/reference_data.py; BCa: bench/reference_intervals.py.
"""

from __future__ import annotations

import argparse
import math
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.reference_cases import CASES, QUICK, TOLERANCE, Row, run  # noqa: E402
from bench.reference_intervals import interval_rows  # noqa: E402

# Quirks of the references, said once under the table.
NOTES = [
    "scikit-survival counts risks within tied_tol (default 1e-8) of each other as tied; ours ties only "
    "equal risks (docs/challenge-format.md). Every sksurv reference runs with tied_tol=0, or the "
    "risk*1e-8 variant would differ by 0.05 (C) and 0.28 (td_auc).",
    "whas500/yearly: an event ties a censoring at the last year, so the censoring survival G is 0 "
    "there. sksurv raises for uno_c (no tau) and td_auc; ours leaves that event out (documented), "
    "hence reference-undefined (td_auc on whas500/yearly/curves too). whas500/yearly+tau truncates "
    "before it and both are defined; sksurv's Brier scores take 1/G = 0 there, as ours.",
    "Survival curves (/curves): the Cox model's S_i(t) at the event-time quartiles of the scored rows "
    "(yearly: of the years, with S read at 365.25 days a year); the one-horizon metrics at the middle "
    "one, uno_c's tau the last. The IPCW references take G from the scored rows (train = test), as the "
    "scorer does. whas500/yearly/curves puts 21 events and 41 censorings at its horizon 2: G(t) and "
    "KM(t) include them. whas500/curves+last-time adds a horizon at the last time and scores the "
    "one-horizon metrics there: no Brier score or AUC exists there (sksurv raises), calibration does.",
    "calibration_intercept: statsmodels IRLS reports convergence at about 1e15 when logit(p) "
    "reaches +-13.8 (overconfident) or +-34.5 (p = 0 or 1, clipped to 1e-15); the reference is "
    "then scipy brentq on the score equation sum(y - expit(a + logit p)) = 0. On "
    "breast_cancer/overconfident no positive is predicted 1e-6, so its root has a closed form, "
    "logit(share of positives among those predicted 1 - 1e-6) - logit(1 - 1e-6) (the fast test checks it).",
    "calibration_slope: statsmodels stops at a finite slope under quasi-complete separation "
    "(overconfident: no benign row predicted 1e-6); the reference checks separation first "
    "(Albert & Anderson 1984), so both are undefined there.",
    "ece: the reference is a hand computation of the documented bins (k/10 <= p < (k+1)/10, "
    "p = 1 in the last); breast_cancer/tied puts every probability on a bin edge, /ece-edges "
    "half of them one float below it.",
    "BCa: scipy.stats.bootstrap is given our finite replicates (n_resamples=0, bootstrap_result), "
    "and computes its own jackknife with the reference metric (AUROC as Mann-Whitney U / n1 n0).",
]


def _number(value: float) -> str:
    return "undefined" if not math.isfinite(value) else f"{value:.12g}"


def print_table(rows: list[Row]) -> None:
    """Print the rows, the notes and the summary line."""
    header = f"{'metric':28} {'dataset/variant':28} {'ours':>18} {'reference':>18} {'|diff|':>9}  status"
    print(header)
    print("-" * len(header))
    notes: list[str] = []
    for row in rows:
        marker = ""
        if row.note:
            notes.append(f"{row.metric} on {row.dataset}: {row.note}")
            marker = f" [{len(notes)}]"
        diff = f"{row.diff:.2e}" if math.isfinite(row.diff) else "-"
        print(f"{row.metric:28} {row.dataset:28} {_number(row.ours):>18} {_number(row.theirs):>18} {diff:>9}  {row.status}{marker}")
    print("\nNotes on rows:")
    for number, note in enumerate(notes, 1):
        print(f"  [{number}] {note}")
    print("Quirks of the references:")
    for note in NOTES:
        print(f"  - {note}")
    defined = [row for row in rows if row.defined]
    largest = max((row.diff for row in defined if math.isfinite(row.diff)), default=0.0)
    mismatches = sum(row.status == "MISMATCH" for row in rows)
    print(f"\n{len(rows)} cases, {len(defined)} with a defined reference, largest |diff| {largest:.3g} "
          f"(tolerance {TOLERANCE:g}), {mismatches} mismatches")


def main(argv: list[str] | None = None) -> int:
    """Run the cases, print the table; return 1 on any mismatch."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the fast test's subset only, no intervals")
    args = parser.parse_args(argv)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the references' warnings on one-class rows; each row says what happened
        rows = [run(case) for case in (QUICK if args.quick else CASES)]
        if not args.quick:
            rows += interval_rows()
    print_table(rows)
    return 1 if any(row.status == "MISMATCH" for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
