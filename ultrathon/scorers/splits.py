"""Public and private leaderboard rows: from the solution's Usage column, or a seeded stratified split."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ultrathon.scorers.ids import normalise_ids

if TYPE_CHECKING:
    from ultrathon.spec import ChallengeSpec

PUBLIC, PRIVATE, IGNORED = "Public", "Private", "Ignored"
USAGE_VALUES = (PUBLIC, PRIVATE, IGNORED)
REGRESSION_STRATA = 5  # quintiles of the outcome


def usage_column(solution: pd.DataFrame, spec: ChallengeSpec) -> str | None:
    """Return the solution's Usage column name when the solution has one."""
    name = spec.split.usage_column
    return name if name and name in solution.columns else None


def normalise_usage(values: pd.Series) -> pd.Series:
    """Return Usage values spelled Public/Private/Ignored whatever their case and spacing."""
    lookup = {v.lower(): v for v in USAGE_VALUES}
    # Spelled out once per distinct value, not once per row.
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    spelling = np.array([lookup.get(str(v).strip().lower()) for v in uniques], dtype=object)
    return pd.Series(spelling[codes], index=values.index, name=values.name)


def _id_keys(solution: pd.DataFrame, spec: ChallengeSpec) -> np.ndarray:
    """Return each row's place in the seeded order: BLAKE2b-128 of "seed:id", as two uint64 columns."""
    # Ids as read_solution normalises them (17, 17.0 and "17" are one id). A function of the
    # seed and the id alone, stable across processes and Python versions (never hash()): the
    # same ids get the same split however the solution's rows are ordered.
    ids, _ = normalise_ids(solution[spec.data.id_column])
    prefix = hashlib.blake2b(f"{int(spec.split.seed)}:".encode(), digest_size=16)

    def digest(id_text: str) -> bytes:
        h = prefix.copy()
        h.update(id_text.encode())
        return h.digest()

    return np.frombuffer(b"".join(map(digest, map(str, ids))), dtype=">u8").reshape(-1, 2).astype(np.uint64)


def _in_key_order(keys: np.ndarray, *first: np.ndarray) -> np.ndarray:
    """Return row positions sorted by the given columns, ties broken by the id keys."""
    return np.lexsort((keys[:, 1], keys[:, 0], *reversed(first)))


def missing_leaderboards(usage: pd.Series) -> list[str]:
    """Return which of Public and Private the normalised Usage values lack: each leaderboard needs rows."""
    present = set(usage.dropna().unique())
    return [label for label in (PUBLIC, PRIVATE) if label not in present]


def outcome_strata(solution: pd.DataFrame, spec: ChallengeSpec, keys: np.ndarray) -> np.ndarray:
    """Return one stratum per row: the class, the event, or the outcome's quintile."""
    if spec.task == "survival":
        return _as_codes(solution[spec.data.target.event])
    target = solution[spec.data.target]
    if spec.task in ("binary", "multiclass"):
        return _as_codes(target)
    values = pd.to_numeric(target, errors="coerce").to_numpy(dtype=np.float64)
    strata = np.zeros(values.size, dtype=np.int64)
    finite = np.isfinite(values)
    if finite.sum() >= REGRESSION_STRATA:
        # Ranks, not values, so that ties cannot empty a quantile bin; tied values are ranked
        # by their id keys, not by where they sit in the file.
        order = _in_key_order(keys[finite], values[finite])
        ranks = np.empty(order.size, dtype=np.int64)
        ranks[order] = np.arange(order.size)
        strata[finite] = np.minimum(ranks * REGRESSION_STRATA // order.size, REGRESSION_STRATA - 1)
    return strata


def _as_codes(values: pd.Series) -> np.ndarray:
    """Return integer codes of a column's distinct values (1, 1.0 and True share one code)."""
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        _, codes = np.unique(values.to_numpy(dtype=np.float64), return_inverse=True)
        return codes.ravel()
    text = values.map(lambda v: "1" if v is True else "0" if v is False else str(v).strip())
    numeric = pd.to_numeric(text, errors="coerce")
    text = text.where(numeric.isna(), numeric.map(lambda v: repr(float(v))))
    _, codes = np.unique(text.to_numpy(dtype=str), return_inverse=True)
    return codes.ravel()


def _largest_remainder(sizes: np.ndarray, fraction: float) -> np.ndarray:
    """Return per-stratum public counts proportional to sizes that add up to round(fraction * n)."""
    quota = sizes * fraction
    counts = np.floor(quota).astype(np.int64)
    short = int(round(fraction * sizes.sum())) - int(counts.sum())
    if short > 0:
        # Largest remainders first; the stable sort breaks ties by stratum order.
        order = np.argsort(-(quota - counts), kind="stable")
        counts[order[:short]] += 1
    return counts


def assign_splits(solution: pd.DataFrame, spec: ChallengeSpec) -> pd.Series:
    """Return "Public", "Private" or "Ignored" for each solution row, aligned to its index."""
    column = usage_column(solution, spec)
    if column is not None:
        values = solution[column].to_numpy(dtype=object)
        known = (values == PUBLIC) | (values == PRIVATE) | (values == IGNORED)
        if known.all():  # read_solution has spelled them already: the usual case, and fast
            return pd.Series(values, index=solution.index, name="split")
        usage = normalise_usage(solution[column])
        if usage.isna().any():
            raise ValueError(f"the {column} column may only hold {', '.join(USAGE_VALUES)}")
        return usage.rename("split")
    return pd.Series(_seeded_split(solution, spec), index=solution.index, name="split")


def _seeded_split(solution: pd.DataFrame, spec: ChallengeSpec) -> np.ndarray:
    """Return Public or Private per row: in each stratum, the first rows in id-key order are public."""
    # Stratified, so each split keeps the outcome's distribution (prevalence, event rate,
    # classes); ordered by a hash of the seed and each id, so the split depends on them
    # alone, never on the order of the solution's rows.
    keys = _id_keys(solution, spec)
    stratum_values, codes = np.unique(outcome_strata(solution, spec, keys), return_inverse=True)
    codes = codes.ravel()
    public_counts = _largest_remainder(np.bincount(codes, minlength=stratum_values.size), spec.split.public_fraction)
    order = _in_key_order(keys, codes)  # by stratum, then by key within it
    starts = np.searchsorted(codes[order], np.arange(stratum_values.size))
    rank_in_stratum = np.empty(codes.size, dtype=np.int64)
    rank_in_stratum[order] = np.arange(codes.size) - starts[codes[order]]
    return np.where(rank_in_stratum < public_counts[codes], PUBLIC, PRIVATE).astype(object)
