"""Calibration and decision curves of predicted event probabilities by a horizon, observed by Kaplan-Meier.

Reliability: the bins of curves.probability_bins, each bin's observed risk 1 - KM(horizon) within it
(censoring makes the plain share of events wrong), with a log(-log) Greenwood 95% interval.
Net benefit (Vickers et al. 2008, BMC Med Inform Decis Mak 8:53): treating the rows predicted at or
above pt gains NB(pt) = (1 - KM_treated(h)) P(treated) - KM_treated(h) P(treated) pt/(1 - pt).
"""

from __future__ import annotations

import numpy as np

from ultrathon.scorers.curves import (
    MIN_BIN_ROWS,
    THRESHOLDS,
    figure_dict,
    kaplan_meier_event_rate,
    kaplan_meier_survival,
    kaplan_meier_tables,
    survival_reliability,
)


def survival_net_benefit(time: np.ndarray, event: np.ndarray, event_probability: np.ndarray, horizon: float,
                         thresholds: np.ndarray = THRESHOLDS) -> np.ndarray:
    """Return the net benefit by the horizon of treating rows whose predicted event probability is at least each threshold."""
    predicted = np.asarray(event_probability, dtype=np.float64)
    thresholds = np.asarray(thresholds, dtype=np.float64)
    # Rows of group g are treated at the first g thresholds; the treated set at threshold k is groups k+1 upwards.
    groups = np.searchsorted(thresholds, predicted, side="right")
    at_risk, deaths = kaplan_meier_tables(time, event, horizon, groups, thresholds.size + 1)
    treated_at_risk = np.cumsum(at_risk[::-1], axis=0)[::-1][1:]
    treated_deaths = np.cumsum(deaths[::-1], axis=0)[::-1][1:]
    survival = kaplan_meier_survival(treated_at_risk, treated_deaths)
    share = np.cumsum(np.bincount(groups, minlength=thresholds.size + 1)[::-1])[::-1][1:] / max(predicted.size, 1)
    # No one treated: S is the empty product 1 and the share 0, so the net benefit is 0, as for treat-none.
    return (1 - survival) * share - survival * share * thresholds / (1 - thresholds)


def survival_curves(time: np.ndarray, event: np.ndarray, event_probability: np.ndarray, horizon: float) -> dict | None:
    """Return one split's reliability bins and decision curve at the horizon as JSON-ready data (None under 20 rows)."""
    predicted = np.asarray(event_probability, dtype=np.float64)
    if predicted.size < MIN_BIN_ROWS:  # one bin of a few rows would show their outcomes
        return None
    time, event = np.asarray(time, dtype=np.float64), np.asarray(event, dtype=bool)
    event_rate, _, _ = kaplan_meier_event_rate(time, event, horizon)
    # Treat-all is the whole split's Kaplan-Meier risk: the binary formula with that risk as prevalence.
    return figure_dict(predicted, event_rate, survival_reliability(predicted, time, event, horizon),
                       survival_net_benefit(time, event, predicted, horizon), horizon=float(horizon))
