"""BCa intervals beside scipy.stats.bootstrap(method='BCa') on the same resamples.

Ours: `score` with leaderboard.ci_method bca, which stores the primary metric's replicates. scipy
is handed those replicates (the finite ones, as ours keeps) as a previous bootstrap_result with no
new resamples, so it draws nothing itself: it computes its own jackknife (with the reference
metric, not ours), acceleration, bias correction and percentiles.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Callable

import numpy as np

from bench import reference_data as data
from bench.reference_cases import Row, frames, spec_for, verdict
from ultrathon.scorers import score

RESAMPLES = 1000
LEVEL = 0.95


def _auroc(y, p):
    """AUROC as the Mann-Whitney U over n1 n0: exact counts, one rounding.

    Not roc_auc_score: its trapezoids land an ulp off U / (n1 n0), and AUROC replicates can equal
    the estimate exactly, where BCa's bias correction counts them half: an ulp moves z0.
    """
    from scipy.stats import mannwhitneyu

    positives, negatives = p[y == 1], p[y == 0]
    return mannwhitneyu(positives, negatives).statistic / (positives.size * negatives.size)


def _rmse(y, p):
    from sklearn.metrics import root_mean_squared_error

    return root_mean_squared_error(y, p)


def _harrell(time, event, risk):
    from sksurv.metrics import concordance_index_censored

    return concordance_index_censored(event.astype(bool), time, risk, tied_tol=0)[0]


def _columns(case: data.Scored) -> tuple[np.ndarray, ...]:
    """Return the case as the paired samples the reference statistic takes."""
    if case.task == "survival":
        return case.y_true["time"], case.y_true["event"].astype(np.float64), case.y_pred
    return case.y_true, case.y_pred


def _td_auc(time, event, risk):
    from sksurv.metrics import cumulative_dynamic_auc
    from sksurv.util import Surv

    y = Surv.from_arrays(event.astype(bool), time)
    times = np.unique(np.percentile(time[event == 1], [25, 50, 75]))
    return np.mean(cumulative_dynamic_auc(y, y, risk, times, tied_tol=0)[0])


# (metric, dataset, reference statistic on the paired samples)
BCA_CASES: list[tuple[str, Callable[[], data.Scored], Callable[..., float]]] = [
    ("roc_auc", data.breast_cancer, _auroc),
    ("rmse", data.diabetes, _rmse),
    ("harrell_c", lambda: data.survival("whas500"), _harrell),
    ("td_auc", lambda: data.survival("veterans"), _td_auc),
]


def bca_rows(metric: str, dataset: Callable[[], data.Scored], statistic: Callable[..., float]) -> list[Row]:
    """Return the rows comparing our BCa interval's two ends with scipy's."""
    from scipy.stats import bootstrap

    case = dataset()
    solution, submission, _ = frames(case)
    split = score(submission, solution, spec_for(case, [metric], bootstrap=RESAMPLES, ci_method="bca")).splits["public"]
    finite = split.replicates[np.isfinite(split.replicates)]
    theirs = bootstrap(_columns(case), statistic, n_resamples=0, paired=True, vectorized=False, method="BCa",
                       confidence_level=LEVEL, bootstrap_result=SimpleNamespace(bootstrap_distribution=finite))
    note = f"{finite.size} of {split.replicates.size} resamples finite"
    ends = (("low", split.ci_low, theirs.confidence_interval.low), ("high", split.ci_high, theirs.confidence_interval.high))
    return [
        Row(f"{metric} BCa {end}", case.name, "scipy.stats.bootstrap BCa", float(ours), float(ref), verdict(float(ours), float(ref)), note)
        for end, ours, ref in ends
    ]


def interval_rows() -> list[Row]:
    """Return the BCa rows of every interval case."""
    return [row for args in BCA_CASES for row in bca_rows(*args)]
