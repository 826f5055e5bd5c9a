"""Survival metrics under B weightings at once: Harrell's C, Uno's C and the time-dependent AUC.

Uno's C and the cumulative/dynamic AUC weight each event by the inverse of the Kaplan-Meier
survival of censoring G at its time, estimated on the scored rows themselves, as scikit-survival
does (its concordance_index_ipcw and cumulative_dynamic_auc, train = test): at a time, events
leave the censoring risk set before censorings, and G(t) includes the censorings at t. G is 0
only at the last time, when an event ties a censoring there; such an event, whose weight would
be 1/0, is left out (scikit-survival raises instead). Risks enter by rank only: equal risks tie,
so any strictly increasing transform of the risks gives the same scores.
"""

from __future__ import annotations

import numpy as np

from ultrathon.scorers.ranking import (
    CACHE_CELLS,
    _as_weight_matrix,
    _divide,
    _group_sums,
    _harrell_order,
    _merge_levels,
    harrell_c_counts,
    tie_group_starts,
)

QUARTILES = (25.0, 50.0, 75.0)  # td_auc's horizons when a challenge sets none: of the event times


def harrell_c_batch(y_true, y_pred, weights=None) -> np.ndarray:
    """Return Harrell's C (higher risk should mean an earlier event) under each weighting."""
    return harrell_c_counts(y_true["time"], y_true["event"], y_pred, weights)


def _running_weight(w: np.ndarray) -> np.ndarray:
    """Return the running sums of multiplicities, a 0 column first: cum[:, k] is the weight of rows before k."""
    # A resample's multiplicities sum to its rows, so 32 bits suffice.
    cum = np.zeros((w.shape[0], w.shape[1] + 1), dtype=np.int32)
    np.cumsum(w, axis=1, out=cum[:, 1:])
    return cum


def _censoring_survival(time: np.ndarray, event: np.ndarray, cum: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Return the Kaplan-Meier survival of censoring at the times of rows `at`, per weighting.

    Rows are in time order, events before censorings at a time; cum is their _running_weight.
    """
    return censoring_survival_at(time, event, cum, time[at])


def censoring_survival_at(time: np.ndarray, event: np.ndarray, cum: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Return the Kaplan-Meier survival of censoring G(t) at each of `times` (censorings at t included), per weighting.

    Rows are in time order, events before censorings at a time; cum is their _running_weight.
    """
    starts = tie_group_starts(time)
    # The first censored row of each time with censorings: before it, that time's events.
    censored_from = np.flatnonzero(~event & np.r_[True, (time[1:] != time[:-1]) | event[:-1]])
    group = np.searchsorted(starts, censored_from, side="right") - 1
    before = cum[:, starts[group]]
    events = cum[:, censored_from] - before
    censored = cum[:, np.append(starts, time.size)[group + 1]] - cum[:, censored_from]
    at_risk = cum[:, -1:] - before
    # scikit-survival's arithmetic, so G is the same to the bit: c / (at risk - events), 0 when c
    # is (a time whose censored rows are not drawn); times without censorings multiply by 1.
    # With c > 0 the divisor is at least c, so flooring it at 1 changes only the 0 / 0 cells, and
    # a plain division is ten times faster than np.divide's masked one.
    ratio = censored / np.maximum(at_risk - events, 1)
    survival = np.ones((cum.shape[0], censored_from.size + 1))
    np.cumprod(1.0 - ratio, axis=1, out=survival[:, 1:])
    return survival[:, np.searchsorted(time[censored_from], np.asarray(times, dtype=np.float64), side="right")]


def _inverse(survival: np.ndarray) -> np.ndarray:
    """Return 1/G, and 0 where G is 0 (the event left out)."""
    # 1 / inf is 0: a plain division, much faster than np.divide's masked one.
    return 1.0 / np.where(survival > 0, survival, np.inf)


def uno_c_batch(y_true, y_pred, weights=None, tau: float | None = None) -> np.ndarray:
    """Return Uno's C up to tau (no truncation when None) under each weighting."""
    # C = sum_i W_i sum_{j comparable to i} [r_j < r_i] + [r_j = r_i]/2, over sum_i W_i #comparable,
    # W_i = w_i / G(T_i)^2 for events before tau; comparable as in Harrell's C (harrell_c_counts).
    time = np.asarray(y_true["time"], dtype=np.float64)
    event = np.asarray(y_true["event"], dtype=bool)
    w_all = _as_weight_matrix(weights, time.size)
    if time.size < 2 or not event.any():
        return np.full(w_all.shape[0], np.nan)
    order, t, e, rank = _harrell_order(time, event, np.asarray(y_pred, dtype=np.float64))
    w = np.ascontiguousarray(w_all[:, order], dtype=np.int32)
    events_at = np.flatnonzero(e)
    cum = _running_weight(w)
    inverse = _inverse(_censoring_survival(t, e, cum, events_at))  # Harrell order: by time, events first
    counted = t[events_at] < tau if tau is not None else np.ones(events_at.size, dtype=bool)
    # W_i per unit of multiplicity: 1/G(T_i)^2 (scikit-survival squares 1/G), 0 for events not counted.
    unit = np.where(counted, np.square(inverse), 0.0)
    event_weight = w[:, events_at] * unit
    denominator = (event_weight * _weight_after_group(t, e, cum, events_at)).sum(axis=1)
    twice_numerator = _twice_weighted_merge_count(w, event_weight, events_at, rank, e)
    twice_numerator -= _twice_same_time_pairs(t[events_at], rank[events_at], w[:, events_at], unit)
    return _divide(twice_numerator, 2 * denominator)


def _weight_after_group(t: np.ndarray, e: np.ndarray, cum: np.ndarray, events_at: np.ndarray) -> np.ndarray:
    """Return, for each event, the weight of the rows after its (time, event) group: its comparable rows."""
    new_group = np.r_[True, (t[1:] != t[:-1]) | (e[1:] != e[:-1])]
    group_end = np.append(np.flatnonzero(new_group)[1:], t.size)
    end_of_event = group_end[(np.cumsum(new_group) - 1)[events_at]]
    return cum[:, -1:] - cum[:, end_of_event]


def _twice_weighted_merge_count(w, event_weight, events_at, rank, e) -> np.ndarray:
    """Return sum over events i of W_i (2 #later rows of lower risk + #later rows of equal risk)."""
    n = rank.size
    weight_of_row = np.zeros((w.shape[0], n))
    weight_of_row[:, events_at] = event_weight
    out = np.zeros(w.shape[0])
    sub_chunk = max(1, CACHE_CELLS // n)
    for right_rows, query_rows, base, lower_end, tied_end in _merge_levels(rank, e):
        for first in range(0, w.shape[0], sub_chunk):
            part = w[first : first + sub_chunk]
            right_cum = np.zeros((part.shape[0], right_rows.size + 1), dtype=np.int32)
            np.cumsum(part[:, right_rows], axis=1, out=right_cum[:, 1:])
            at_base = right_cum[:, base]
            lower_or_tied = (right_cum[:, lower_end] - at_base) + (right_cum[:, tied_end] - at_base)
            query_weight = weight_of_row[first : first + sub_chunk, query_rows]
            out[first : first + sub_chunk] += np.einsum("ij,ij->i", query_weight, lower_or_tied.astype(np.float64))
    return out


def _twice_same_time_pairs(t_ev, r_ev, w_ev, unit) -> np.ndarray:
    """Return what the merge count added for pairs of events at one time, which are not comparable."""
    # Events of one time share 1/G, and come in descending risk: a pair counted 2 W_i w_j, or
    # W_i w_j when tied. Per time: (S1^2 - S2) - (pairs of tied risk), S1, S2 the sums of w, w^2.
    first_at_time = np.flatnonzero(np.r_[True, t_ev[1:] != t_ev[:-1]])
    size = np.diff(np.append(first_at_time, t_ev.size))
    shared = np.repeat(size > 1, size)  # events alone at their time form no pair
    if not shared.any():
        return np.zeros(w_ev.shape[0])
    t_ev, r_ev, w_ev, unit = t_ev[shared], r_ev[shared], w_ev[:, shared].astype(np.int64), unit[:, shared]
    same_time = np.flatnonzero(np.r_[True, t_ev[1:] != t_ev[:-1]])
    pairs = _group_sums(w_ev, same_time) ** 2 - _group_sums(w_ev * w_ev, same_time)
    same_risk = np.flatnonzero(np.r_[True, (t_ev[1:] != t_ev[:-1]) | (r_ev[1:] != r_ev[:-1])])
    tied = (_group_sums(w_ev, same_risk) ** 2 - _group_sums(w_ev * w_ev, same_risk)) // 2
    time_of_risk_group = np.searchsorted(same_time, same_risk, side="right") - 1
    pairs -= _group_sums(tied, tie_group_starts(time_of_risk_group))
    return (unit[:, same_time] * pairs).sum(axis=1)


def td_auc_batch(y_true, y_pred, weights=None, horizons=None) -> np.ndarray:
    """Return the mean cumulative/dynamic AUC over the horizons under each weighting (NaN if one lies outside follow-up)."""
    time = np.asarray(y_true["time"], dtype=np.float64)
    event = np.asarray(y_true["event"], dtype=bool)
    risk = np.asarray(y_pred, dtype=np.float64)
    w_all = _as_weight_matrix(weights, time.size)
    if not event.any():
        return np.full(w_all.shape[0], np.nan)
    by_time = np.lexsort((~event, time))  # time order, events first, as _censoring_survival wants
    t, e = time[by_time], event[by_time]
    w = np.ascontiguousarray(w_all[:, by_time], dtype=np.int32)
    times = _horizons(t, e, w, horizons)
    cum = _running_weight(w)
    first = t[np.argmax(cum[:, 1:] > 0, axis=1)]
    last = t[np.argmax(cum[:, 1:] == cum[:, -1:], axis=1)]
    outside = (times[:, 0] < first) | (times[:, -1] >= last)
    # The rows that can be cases (an event by the last horizon), in risk order; the weight of a
    # case is w/G, and G > 0 before the last time, where cases lie.
    by_risk = np.argsort(risk, kind="stable")
    cases = np.flatnonzero(event[by_risk] & (time[by_risk] <= times.max()))
    time_position = np.empty(time.size, dtype=np.intp)
    time_position[by_time] = np.arange(time.size)
    unit = _inverse(_censoring_survival(t, e, cum, time_position[by_risk[cases]]))
    del cum
    w = np.ascontiguousarray(w_all[:, by_risk], dtype=np.int32)
    aucs = np.column_stack([
        _cumulative_dynamic_auc(time[by_risk], risk[by_risk], w, cases, w[:, cases] * unit, times[:, h : h + 1])
        for h in range(times.shape[1])
    ])
    # scikit-survival scores each distinct horizon once.
    repeated = np.zeros(times.shape, dtype=bool)
    repeated[:, 1:] = times[:, 1:] == times[:, :-1]
    mean = np.where(repeated, 0.0, aucs).sum(axis=1) / (~repeated).sum(axis=1)
    return np.where(outside, np.nan, mean)


def _cumulative_dynamic_auc(t, risk, w, cases, case_weight, horizon) -> np.ndarray:
    """Return the AUC at each weighting's horizon (rows in risk order; cases: the rows that can be cases)."""
    # AUC(t) = sum_{i case} sum_{j control} w_i/G(T_i) w_j ([r_i > r_j] + [r_i = r_j]/2), over the
    # product of the weighted cases and controls; cases had their event by t, controls T > t.
    if np.all(horizon == horizon[0]):
        # One horizon for every weighting: sum over the controls alone, a fraction of the rows.
        controls = np.flatnonzero(t > horizon[0, 0])
        cum, control_risk = _running_weight(w[:, controls]), risk[controls]
    else:
        cum, control_risk = _running_weight(np.where(t > horizon, w, 0)), risk
    # Controls of lower risk, plus those of lower or equal risk: twice the wins, ties counting half.
    lower = np.searchsorted(control_risk, risk[cases], side="left")
    lower_or_tied = np.searchsorted(control_risk, risk[cases], side="right")
    twice_wins = (cum[:, lower] + cum[:, lower_or_tied]).astype(np.float64)
    case_weight = np.where(t[cases] <= horizon, case_weight, 0.0)
    numerator = np.einsum("ij,ij->i", case_weight, twice_wins)
    return _divide(numerator, 2 * case_weight.sum(axis=1) * cum[:, -1])


def _horizons(t: np.ndarray, e: np.ndarray, w: np.ndarray, horizons) -> np.ndarray:
    """Return each weighting's horizons, sorted: the given ones, or the quartiles of its event times."""
    if horizons is not None:
        given = np.sort(np.atleast_1d(np.asarray(horizons, dtype=np.float64)))
        return np.broadcast_to(given, (w.shape[0], given.size))
    # np.percentile's linear rule on the event times repeated by multiplicity.
    event_times, cum = t[e], np.cumsum(w[:, e], axis=1)
    total = cum[:, -1]
    out = np.empty((w.shape[0], len(QUARTILES)))
    for k, q in enumerate(QUARTILES):
        position = (total - 1) * (q / 100)
        below = np.floor(position)
        gamma = position - below
        value_at = [event_times[np.minimum((cum <= i[:, None]).sum(axis=1), event_times.size - 1)]
                    for i in (below, np.minimum(below + 1, total - 1))]
        low, high = value_at
        diff = high - low
        out[:, k] = np.where(gamma >= 0.5, high - diff * (1 - gamma), low + diff * gamma)
    return out
