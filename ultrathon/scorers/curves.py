"""Calibration and decision curves of predicted probabilities: reliability diagrams and net benefit.

Reliability (Van Calster et al. 2019, BMC Med 17:230): rows are put in equal-count bins of the
predicted probability, and each bin's mean prediction is set against its observed event rate.
Net benefit (Vickers & Elkin 2006, Med Decis Making 26:565): treating everyone whose predicted
probability is at least pt gains NB(pt) = TP/n - FP/n * pt/(1 - pt).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

N_BINS = 10
# No figure rests on fewer rows than subgroups.MIN_GROUP_COUNT: a bin or a step of the decision
# curve over a few rows would show those patients' outcomes (a team can place any row alone by
# its prediction), and the leaderboard shows private curves to everyone after the close.
MIN_BIN_ROWS = 20
MAX_BINS = 20
THRESHOLDS = np.arange(1, 100) / 100  # 0.01 .. 0.99: pt = 0 and pt = 1 give no finite odds
MAX_THRESHOLDS = 100
Z_95 = 1.959963984540054  # the 97.5% normal quantile
DECIMALS = 6  # stored figures: far finer than any chart, and a few kilobytes per split


@dataclass(frozen=True)
class ReliabilityBin:
    """One bin of a reliability diagram: mean prediction, observed event rate with its 95% interval, rows."""

    mean_predicted: float
    observed: float
    low: float | None
    high: float | None
    n: int


def quantile_bins(predicted: np.ndarray, n_bins: int = N_BINS) -> np.ndarray:
    """Return each row's bin, 0 upwards: equal-count bins of the predictions, equal predictions in one bin."""
    predicted = np.asarray(predicted, dtype=np.float64)
    order = np.argsort(predicted, kind="stable")
    by_position = np.arange(predicted.size) * n_bins // max(predicted.size, 1)
    # A bin boundary inside a run of equal predictions would split rows the model cannot tell
    # apart: every equal value joins the bin of its first row, and emptied bins close up.
    values, first = np.unique(predicted[order], return_index=True)
    bin_of_value = by_position[first]
    _, dense = np.unique(bin_of_value, return_inverse=True)
    bins = np.empty(predicted.size, dtype=np.int64)
    bins[order] = dense[np.searchsorted(values, predicted[order])]
    return bins


def merge_small_bins(bins: np.ndarray, min_rows: int = MIN_BIN_ROWS) -> np.ndarray:
    """Return bins renumbered so each holds min_rows rows or more: a small bin joins the next, the last the one before."""
    counts = np.bincount(bins) if bins.size else np.zeros(0, dtype=np.int64)
    merged, current, filled = np.empty(counts.size, dtype=np.int64), 0, 0
    for b, count in enumerate(counts):
        merged[b], filled = current, filled + count
        if filled >= min_rows:
            current, filled = current + 1, 0
    if filled and current:  # a short tail joins the last full bin
        merged[merged == current] = current - 1
    return merged[bins]


def probability_bins(predicted: np.ndarray) -> np.ndarray:
    """Return each row's reliability bin: equal-count bins, none under MIN_BIN_ROWS rows (one bin on a small split)."""
    return merge_small_bins(quantile_bins(predicted, bin_count(np.asarray(predicted).size)))


def bin_count(n_rows: int) -> int:
    """Return how many bins a split of n_rows gets: N_BINS, fewer so each holds MIN_BIN_ROWS."""
    return max(1, min(N_BINS, n_rows // MIN_BIN_ROWS))


def wilson_interval(events: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """Return the Wilson score interval of a proportion events/n (n > 0)."""
    p = events / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    # At 0 or n events a bound is exactly 0 or 1; rounding would leave it a hair inside.
    return (0.0 if events == 0 else centre - half), (1.0 if events == n else centre + half)


def binary_reliability(y_true: np.ndarray, predicted: np.ndarray) -> list[ReliabilityBin]:
    """Return the reliability diagram of probabilities for a 0/1 outcome, with Wilson 95% intervals."""
    y_true = np.asarray(y_true, dtype=np.int64)
    predicted = np.asarray(predicted, dtype=np.float64)
    bins = probability_bins(predicted)
    out = []
    for b in range(int(bins.max()) + 1 if bins.size else 0):
        rows = bins == b
        n, events = int(rows.sum()), int(y_true[rows].sum())
        low, high = wilson_interval(events, n)
        out.append(ReliabilityBin(float(predicted[rows].mean()), events / n, low, high, n))
    return out


def kaplan_meier_tables(time: np.ndarray, event: np.ndarray, horizon: float, groups: np.ndarray,
                        n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Return each group's rows at risk and events (group by distinct event time up to horizon)."""
    time = np.asarray(time, dtype=np.float64)
    event = np.asarray(event, dtype=bool)
    groups = np.asarray(groups, dtype=np.int64)
    dies = event & (time <= horizon)
    times = np.unique(time[dies])
    # A row is at risk at every event time up to its own: it counts at risk from the last of them down.
    last = np.searchsorted(times, time, side="right") - 1
    seen = last >= 0
    size = n_groups * times.size
    leaving = np.bincount(groups[seen] * times.size + last[seen], minlength=size).reshape(n_groups, times.size)
    at_risk = np.cumsum(leaving[:, ::-1], axis=1)[:, ::-1]
    deaths = np.bincount(groups[dies] * times.size + last[dies], minlength=size).reshape(n_groups, times.size)
    return at_risk, deaths


def kaplan_meier_survival(at_risk: np.ndarray, deaths: np.ndarray) -> np.ndarray:
    """Return the Kaplan-Meier survival of each row of kaplan_meier_tables."""
    return (1 - deaths / np.maximum(at_risk, 1)).prod(axis=1)  # no one at risk: no death, a factor of 1


def greenwood_sum(at_risk: np.ndarray, deaths: np.ndarray) -> np.ndarray:
    """Return Greenwood's sum of d/(n(n - d)) for each row of kaplan_meier_tables (infinite once all at risk died)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(at_risk > deaths, deaths / (at_risk * (at_risk - deaths)), np.where(deaths > 0, np.inf, 0.0))
    return terms.sum(axis=1)


def loglog_interval(survival: float, greenwood: float, z: float = Z_95) -> tuple[float | None, float | None]:
    """Return the 95% interval of the event rate 1 - S by Greenwood on log(-log S) (None when S is 0 or 1)."""
    if survival <= 0 or survival >= 1 or not math.isfinite(greenwood):
        return None, None
    se = math.sqrt(greenwood) / abs(math.log(survival))
    lower_survival, upper_survival = survival ** math.exp(z * se), survival ** math.exp(-z * se)
    return 1 - upper_survival, 1 - lower_survival


def kaplan_meier_event_rate(time: np.ndarray, event: np.ndarray, horizon: float,
                            z: float = Z_95) -> tuple[float, float | None, float | None]:
    """Return 1 - S(horizon) by Kaplan-Meier, with a log(-log) Greenwood 95% interval (None when S is 0 or 1)."""
    time = np.asarray(time, dtype=np.float64)
    at_risk, deaths = kaplan_meier_tables(time, event, horizon, np.zeros(time.size, dtype=np.int64), 1)
    (survival,), (greenwood,) = kaplan_meier_survival(at_risk, deaths), greenwood_sum(at_risk, deaths)
    return (1 - float(survival), *loglog_interval(float(survival), float(greenwood), z))


def survival_reliability(event_probability: np.ndarray, time: np.ndarray, event: np.ndarray,
                         horizon: float) -> list[ReliabilityBin]:
    """Return the reliability diagram of predicted P(event by horizon), observed rates by Kaplan-Meier per bin."""
    # Censoring makes a bin's plain event share wrong; Kaplan-Meier within the bin is the observed risk.
    predicted = np.asarray(event_probability, dtype=np.float64)
    time, event = np.asarray(time, dtype=np.float64), np.asarray(event, dtype=bool)
    bins = probability_bins(predicted)
    n_bins = int(bins.max()) + 1 if bins.size else 0
    at_risk, deaths = kaplan_meier_tables(time, event, horizon, bins, n_bins)
    survival, greenwood = kaplan_meier_survival(at_risk, deaths), greenwood_sum(at_risk, deaths)
    counts = np.bincount(bins, minlength=n_bins)
    means = np.bincount(bins, weights=predicted, minlength=n_bins) / np.maximum(counts, 1)
    return [ReliabilityBin(float(means[b]), 1 - float(survival[b]), *loglog_interval(float(survival[b]), float(greenwood[b])),
                           int(counts[b])) for b in range(n_bins)]


def net_benefit(y_true: np.ndarray, predicted: np.ndarray, thresholds: np.ndarray = THRESHOLDS) -> np.ndarray:
    """Return the net benefit of treating rows predicted at or above each threshold pt."""
    y_true = np.asarray(y_true, dtype=bool)
    predicted = np.asarray(predicted, dtype=np.float64)
    n = predicted.size
    treated = predicted[None, :] >= np.asarray(thresholds)[:, None]
    true_positive = (treated & y_true[None, :]).sum(axis=1)
    false_positive = (treated & ~y_true[None, :]).sum(axis=1)
    odds = thresholds / (1 - thresholds)
    return true_positive / n - false_positive / n * odds


def disclosive_thresholds(predicted: np.ndarray, thresholds: np.ndarray = THRESHOLDS,
                          min_rows: int = MIN_BIN_ROWS) -> np.ndarray:
    """Return which thresholds to leave out so no row set the curves give away holds fewer than min_rows rows."""
    # Shown figures give away the outcomes of the rows between any two cuts of the sorted predictions:
    # shown thresholds, reliability bin edges, and both ends (treat-all is known from the prevalence).
    # A threshold is shown only if it lies on a cut or min_rows rows from the cuts on each side.
    predicted = np.sort(np.asarray(predicted, dtype=np.float64))
    edges = np.cumsum(np.bincount(probability_bins(predicted)))  # bins are in prediction order
    below = np.searchsorted(predicted, thresholds, side="left")  # rows not treated at each threshold
    hidden = np.ones(len(thresholds), dtype=bool)
    last_shown = 0
    for i, untreated in enumerate(below):
        previous = max(last_shown, int(edges[edges <= untreated].max(initial=0)))
        following = int(edges[edges >= untreated].min(initial=predicted.size))
        if all(gap == 0 or gap >= min_rows for gap in (untreated - previous, following - untreated)):
            hidden[i], last_shown = False, untreated
    return hidden


def treat_all_net_benefit(prevalence: float, thresholds: np.ndarray = THRESHOLDS) -> np.ndarray:
    """Return the net benefit of treating everyone: prevalence - (1 - prevalence) * pt/(1 - pt)."""
    return prevalence - (1 - prevalence) * thresholds / (1 - thresholds)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(float(value), DECIMALS)


def figure_dict(predicted: np.ndarray, prevalence: float, bins: list[ReliabilityBin], benefit: np.ndarray,
                **extra: float) -> dict:
    """Return one split's reliability bins and decision curve as JSON-ready data, disclosive thresholds left out."""
    return {
        "n": int(np.asarray(predicted).size),
        "prevalence": _rounded(prevalence),
        "binning": "quantile",
        "bins": [{k: _rounded(v) if k != "n" else v for k, v in asdict(b).items()} for b in bins],
        "thresholds": [_rounded(t) for t in THRESHOLDS],
        "net_benefit": [None if hide else _rounded(v) for v, hide in zip(benefit, disclosive_thresholds(predicted))],
        "treat_all": [_rounded(v) for v in treat_all_net_benefit(prevalence)],
        **{key: _rounded(value) for key, value in extra.items()},
    }


def binary_curves(y_true: np.ndarray, predicted: np.ndarray) -> dict | None:
    """Return the reliability bins and decision curve of one split as JSON-ready data (None with no rows)."""
    if not np.asarray(predicted).size:
        return None
    return figure_dict(predicted, float(np.mean(y_true)), binary_reliability(y_true, predicted),
                       net_benefit(y_true, predicted))


def _finite(value: object, optional: bool = False) -> float | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"a curve figure is {value!r}, not a finite number")
    return float(value)


def _series(value: object, length: int | None = None, gaps: bool = False) -> list[float | None]:
    if not isinstance(value, list) or not 0 < len(value) <= MAX_THRESHOLDS or (length is not None and len(value) != length):
        raise ValueError("a decision curve is not a list of at most 100 numbers, one per threshold")
    return [_finite(v, optional=gaps) for v in value]


def _bin(cell: object) -> dict:
    if not isinstance(cell, dict) or set(cell) != {f for f in ReliabilityBin.__dataclass_fields__}:
        raise ValueError("a reliability bin does not have the fields of one")
    n = cell["n"]
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError("a reliability bin's n is not a positive count")
    return {"mean_predicted": _finite(cell["mean_predicted"]), "observed": _finite(cell["observed"]),
            "low": _finite(cell["low"], optional=True), "high": _finite(cell["high"], optional=True), "n": n}


def _horizon(value: object) -> float:
    horizon = _finite(value)
    if horizon <= 0:
        raise ValueError(f"the curves' horizon is {value!r}, not a positive time")
    return horizon


def curves_from_dict(data: object) -> dict | None:
    """Return curves as binary_curves or survival_curves make them, checked field by field; raise ValueError if malformed."""
    if data is None:
        return None
    expected = {"n", "prevalence", "binning", "bins", "thresholds", "net_benefit", "treat_all"}
    if not isinstance(data, dict) or set(data) - {"horizon"} != expected or data["binning"] != "quantile":
        raise ValueError("the curves do not have the fields of binary_curves or survival_curves")
    if not isinstance(data["bins"], list) or not 0 < len(data["bins"]) <= MAX_BINS:
        raise ValueError("the reliability diagram does not have 1 to 20 bins")
    if isinstance(data["n"], bool) or not isinstance(data["n"], int) or data["n"] < 1:
        raise ValueError("the curves' n is not a positive count")
    thresholds = _series(data["thresholds"])
    return {
        "n": data["n"],
        "prevalence": _finite(data["prevalence"]),
        "binning": "quantile",
        "bins": [_bin(cell) for cell in data["bins"]],
        "thresholds": thresholds,
        "net_benefit": _series(data["net_benefit"], len(thresholds), gaps=True),
        "treat_all": _series(data["treat_all"], len(thresholds)),
        # survival_curves: the time the predicted and observed event probabilities are taken at
        **({"horizon": _horizon(data["horizon"])} if "horizon" in data else {}),
    }
