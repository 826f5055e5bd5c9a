"""Rank-based metrics as weighted pair counts, for one weighting or many bootstrap resamples at once.

A bootstrap resample is a vector of multiplicities w (how often each row was drawn). A pair
metric on the resample counts each pair of distinct rows (i, j) w_i * w_j times, so every
resample can be scored from one sort of the data: the sort is shared, only the weights differ.
Weights are integers and the counts are kept in integers, so results do not depend on the
order of summation and are bit-identical run to run.
"""

from __future__ import annotations

import numpy as np

__all__ = ["roc_auc_counts", "average_precision_counts", "harrell_c_counts", "tie_group_starts"]


def _as_weight_matrix(weights: np.ndarray | None, n: int) -> np.ndarray:
    if weights is None:
        return np.ones((1, n), dtype=np.int64)
    weights = np.asarray(weights)
    if weights.ndim == 1:
        weights = weights[None, :]
    return weights


def tie_group_starts(sorted_values: np.ndarray) -> np.ndarray:
    """Return the index where each run of equal values starts in a sorted array."""
    if sorted_values.size == 0:
        return np.zeros(0, dtype=np.intp)
    change = np.flatnonzero(sorted_values[1:] != sorted_values[:-1]) + 1
    return np.concatenate(([0], change))


def _group_sums(matrix: np.ndarray, starts: np.ndarray) -> np.ndarray:
    if starts.size == matrix.shape[-1]:
        return matrix  # no ties: every element is its own group
    return np.add.reduceat(matrix, starts, axis=-1)


def _divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    out = np.full(numerator.shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def roc_auc_counts(positive: np.ndarray, score: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Return the AUROC under each row of multiplicities (one value when weights is None)."""
    # A positive outranking a negative counts 1, a tie 1/2; NaN when a class is absent.
    positive = np.asarray(positive, dtype=bool)
    score = np.asarray(score, dtype=np.float64)
    # Any sort will do: tied scores are grouped below, so their order never matters.
    order = np.argsort(score)
    starts = tie_group_starts(score[order])
    if weights is None:
        pos = positive[order].astype(np.int64)[None, :]
        neg = 1 - pos
    else:
        w_sorted = _as_weight_matrix(weights, score.size)[:, order].astype(np.int64, copy=False)
        pos = w_sorted * positive[order]
        neg = w_sorted - pos
    pos_g = _group_sums(pos, starts)
    neg_g = _group_sums(neg, starts)
    neg_below = np.cumsum(neg_g, axis=1) - neg_g
    # Doubled so that the half-count of ties stays an integer.
    twice_numerator = (pos_g * (2 * neg_below + neg_g)).sum(axis=1)
    twice_denominator = 2 * pos_g.sum(axis=1) * neg_g.sum(axis=1)
    return _divide(twice_numerator, twice_denominator)


def average_precision_counts(
    positive: np.ndarray, score: np.ndarray, weights: np.ndarray | None = None
) -> np.ndarray:
    """Return the average precision (step-wise area under precision-recall) under each weighting."""
    positive = np.asarray(positive, dtype=bool)
    score = np.asarray(score, dtype=np.float64)
    w = _as_weight_matrix(weights, score.size)
    order = np.argsort(-score)
    starts = tie_group_starts(score[order])
    w_sorted = w[:, order].astype(np.int64, copy=False)
    pos = w_sorted * positive[order]
    pos_g = _group_sums(pos, starts)
    all_g = _group_sums(w_sorted, starts)
    true_pos = np.cumsum(pos_g, axis=1)
    flagged = np.cumsum(all_g, axis=1)
    precision = _divide(true_pos, flagged)
    precision[np.isnan(precision)] = 0.0  # thresholds that flag nobody carry no recall gain
    total_pos = pos_g.sum(axis=1)
    return _divide((pos_g * precision).sum(axis=1), total_pos)


def _dense_rank(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Return 0-based ranks with ties sharing a rank, and the number of distinct values."""
    order = np.argsort(values)
    sorted_values = values[order]
    new = np.empty(values.size, dtype=bool)
    new[:1] = True
    np.not_equal(sorted_values[1:], sorted_values[:-1], out=new[1:])
    rank = np.empty(values.size, dtype=np.int64)
    rank[order] = np.cumsum(new) - 1
    return rank, int(rank.max()) + 1 if values.size else 0


def _harrell_order(time: np.ndarray, event: np.ndarray, risk: np.ndarray):
    # Time ascending; at one time events before censored rows (a censored row at the event's
    # time still counts as surviving longer); then risk descending, which makes the pairs of
    # tied-time events countable in closed form (see _twice_same_time_event_pairs). One integer
    # key sorts faster than a lexsort of three; rows with equal keys are interchangeable.
    time_rank, _ = _dense_rank(time)
    risk_rank, m = _dense_rank(risk)
    key = (time_rank * 2 + ~event) * m + (m - 1 - risk_rank)
    order = np.argsort(key)
    return order, time[order], event[order], risk_rank[order]


def _stable_order_by_block(block: np.ndarray) -> np.ndarray:
    """Return the stable sorting order of non-negative block numbers, by 16-bit radix passes."""
    # numpy sorts 16-bit integers stably by radix, in linear time; wider keys take one
    # least-significant-first pass per 16 bits.
    order = np.argsort((block & 0xFFFF).astype(np.uint16), kind="stable")
    high = block >> 16
    while high.any():
        order = order[np.argsort((high[order] & 0xFFFF).astype(np.uint16), kind="stable")]
        high = high >> 16
    return order


def _merge_levels(risk_rank: np.ndarray, event: np.ndarray):
    """Yield, per merge-sort level, the index arrays that count later rows of lower risk rank."""
    # At level L, positions split into blocks of 2**(L+1), each a left and a right half. Every
    # pair of positions p < q is split between halves at exactly one level. For each event in a
    # left half we need the weight of right-half rows in its block with a lower rank, and with a
    # rank no higher: differences of a running sum over the block's right half in rank order.
    # Yields (right rows in rank order, query events, and for each query three indices into the
    # running sum of right weights: its block's start, the end of lower ranks, of equal ranks).
    n = risk_rank.size
    by_rank = np.argsort(risk_rank, kind="stable")  # positions in rank order
    level = 0
    while (1 << level) < n:
        shift = level + 1
        # Positions sorted by (block, rank): the rank order, stably regrouped by block.
        perm = by_rank[_stable_order_by_block(by_rank >> shift)]
        right_sorted = ((perm >> level) & 1).astype(bool)
        query = np.flatnonzero(~right_sorted & event[perm])
        if query.size:
            block_sorted = perm >> shift
            rank_sorted = risk_rank[perm]
            new_run = np.empty(n, dtype=bool)
            new_run[0] = True
            np.not_equal(rank_sorted[1:], rank_sorted[:-1], out=new_run[1:])
            new_run[1:] |= block_sorted[1:] != block_sorted[:-1]
            if new_run.all():  # no tied risks within a block: each row is its own run
                lower_start, lower_end = query, query + 1
            else:
                run_start = np.flatnonzero(new_run)
                q_run = (np.cumsum(new_run) - 1)[query]
                lower_start = run_start[q_run]
                lower_end = np.append(run_start[1:], n)[q_run]
            # A block holds positions [b * 2**shift, (b+1) * 2**shift); sorted by block first,
            # it fills the same range of sorted indices.
            block_first = block_sorted[query] << shift
            # Index k of the sorted order -> how many right-half rows come before it.
            rights_before = np.concatenate(([0], np.cumsum(right_sorted)))
            yield (
                perm[right_sorted],
                perm[query],
                rights_before[block_first],
                rights_before[lower_start],
                rights_before[lower_end],
            )
        level += 1


CACHE_CELLS = 1 << 18  # resamples x rows counted together: about 1 MB of running sums, in cache


def harrell_c_counts(
    time: np.ndarray, event: np.ndarray, risk: np.ndarray, weights: np.ndarray | None = None
) -> np.ndarray:
    """Return Harrell's C under each row of multiplicities, counting pairs as scikit-survival does."""
    # A pair (i, j) is comparable when i had an event and j was observed longer, or j was
    # censored at i's event time; it is concordant when i has the higher risk; tied risks count
    # 1/2. Risks tie only when equal (scikit-survival also ties risks closer than 1e-8).
    # O(n log n) per weighting: a bottom-up merge count of later rows with lower risk.
    time = np.asarray(time, dtype=np.float64)
    event = np.asarray(event, dtype=bool)
    risk = np.asarray(risk, dtype=np.float64)
    n = time.size
    w_all = _as_weight_matrix(weights, n)
    n_weightings = w_all.shape[0]
    if n < 2 or not event.any():
        return np.full(n_weightings, np.nan)
    order, t, e, rank = _harrell_order(time, event, risk)
    # Multiplicities and their running sums stay below n, so 32 bits suffice.
    w = np.ascontiguousarray(w_all[:, order], dtype=np.int32)

    # Denominator: for each event, the weight of rows after its (time, event) group.
    new_group = np.r_[True, (t[1:] != t[:-1]) | (e[1:] != e[:-1])]
    group_end = np.append(np.flatnonzero(new_group)[1:], n)
    events_at = np.flatnonzero(e)
    end_of_event = group_end[(np.cumsum(new_group) - 1)[events_at]]
    cum = np.zeros((n_weightings, n + 1), dtype=np.int64)
    np.cumsum(w, axis=1, out=cum[:, 1:])
    after = cum[:, -1:] - cum[:, end_of_event]
    denominator = (w[:, events_at] * after).sum(axis=1)
    del cum, after

    # Numerator, doubled: all (event, later row) pairs ...
    twice_numerator = np.zeros(n_weightings, dtype=np.int64)
    sub_chunk = max(1, CACHE_CELLS // n)
    for right_rows, query_rows, base, lower_end, tied_end in _merge_levels(rank, e):
        for first in range(0, n_weightings, sub_chunk):
            part = w[first : first + sub_chunk]
            right_cum = np.zeros((part.shape[0], right_rows.size + 1), dtype=np.int32)
            np.cumsum(part[:, right_rows], axis=1, out=right_cum[:, 1:])
            at_base = right_cum[:, base]
            lower_or_tied = (right_cum[:, lower_end] - at_base) + (right_cum[:, tied_end] - at_base)
            twice_numerator[first : first + sub_chunk] += np.einsum(
                "ij,ij->i", part[:, query_rows].astype(np.int64), lower_or_tied.astype(np.int64)
            )

    # ... minus the pairs of events at the same time, which are not comparable.
    w_ev = w[:, events_at].astype(np.int64)
    twice_numerator -= _twice_same_time_event_pairs(t[events_at], rank[events_at], w_ev)
    return _divide(twice_numerator, 2 * denominator)


def _twice_same_time_event_pairs(t_ev: np.ndarray, r_ev: np.ndarray, w_ev: np.ndarray) -> np.ndarray:
    """Return what the merge count added for pairs of events at one time (events in (time, risk) order)."""
    # Within such a group risks descend, so each earlier/later pair counted 2 (higher risk
    # first) or 1 (tie): sum over pairs = (S1^2 - S2) - (tied pairs), S1, S2 the sums of w, w^2.
    same_time = np.flatnonzero(np.r_[True, t_ev[1:] != t_ev[:-1]])
    if same_time.size == t_ev.size:
        return np.zeros(w_ev.shape[0], dtype=np.int64)
    same_time_risk = np.flatnonzero(np.r_[True, (t_ev[1:] != t_ev[:-1]) | (r_ev[1:] != r_ev[:-1])])
    s1 = _group_sums(w_ev, same_time)
    s2 = _group_sums(w_ev * w_ev, same_time)
    pairs = (s1 * s1 - s2).sum(axis=1)
    s1 = _group_sums(w_ev, same_time_risk)
    s2 = _group_sums(w_ev * w_ev, same_time_risk)
    return pairs - ((s1 * s1 - s2) // 2).sum(axis=1)
