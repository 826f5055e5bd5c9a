"""Normalise ids and match a file's ids against the challenge's: empty, repeated, unknown and missing ids."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ultrathon.i18n import gettext as _, ngettext
from ultrathon.scorers.errors import Problem, shown_count
from ultrathon.scorers.messages import SHOWN_IDS, ProblemCollector, file_line, quoted


def normalise_ids(values) -> tuple[np.ndarray, np.ndarray]:
    """Return ids as int64 when all are whole numbers, else as text; and which are empty."""
    values = pd.Series(values) if not isinstance(values, pd.Series) else values
    if pd.api.types.is_integer_dtype(values):
        return values.to_numpy(dtype=np.int64), np.zeros(len(values), dtype=bool)
    if pd.api.types.is_float_dtype(values):
        array = values.to_numpy(dtype=np.float64)
        empty = np.isnan(array)
        whole = array[~empty]
        if np.all(np.isfinite(whole)) and np.all(whole == np.round(whole)) and np.all(np.abs(whole) < 2**53):
            out = np.zeros(array.size, dtype=np.int64)
            out[~empty] = whole.astype(np.int64)
            return out, empty
        text = values.astype(str).to_numpy(dtype=object)
        text[empty] = ""
        return text, empty
    array = values.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(array, skipna=False) == "string":
        return array, array == ""  # all text, none missing: the usual case, and fast
    missing = pd.isna(array)
    # Missing cells, or numbers mixed with text: compare them all as text.
    array = np.array(["" if gone else str(v) for v, gone in zip(array, missing)], dtype=object)
    return array, array == ""


def read_ids(column: pd.Series, id_column: str, found: ProblemCollector) -> tuple[np.ndarray, np.ndarray]:
    """Return a file's ids normalised and which are empty, listing each empty one as a problem."""
    ids, empty = normalise_ids(column)
    found.add_rows("empty id", np.flatnonzero(empty), lambda row: Problem(file_line(row), id_column, _("empty id")))
    return ids, empty


def _comparable_ids(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return both id arrays in one type: integers when both are, text otherwise."""
    if left.dtype.kind == "i" and right.dtype.kind == "i":
        return left, right
    as_text = lambda a: a.astype(str).astype(object) if a.dtype.kind == "i" else a  # noqa: E731
    return as_text(left), as_text(right)


def _stripped(ids: np.ndarray) -> np.ndarray:
    return ids if ids.dtype.kind == "i" else np.array([str(v).strip() for v in ids], dtype=object)


def locate_ids(expected: np.ndarray, given: np.ndarray) -> np.ndarray:
    """Return, for each given id, its position among the expected ids (-1 when unknown)."""
    expected, given = _comparable_ids(np.asarray(expected), np.asarray(given))
    if expected.shape == given.shape and np.array_equal(expected, given):
        return np.arange(given.size)  # the usual case: rows in the sample submission's order
    position = pd.Index(expected).get_indexer(given)
    if (position < 0).any() and given.dtype.kind != "i":
        # Spaces around an id are a spreadsheet's doing, not a different id; stripping a
        # million ids costs a second, so only when exact matching has left some unmatched.
        position = pd.Index(_stripped(expected)).get_indexer(_stripped(given))
    return position


def duplicate_problems(ids: np.ndarray, duplicated: np.ndarray, id_column: str, found: ProblemCollector, same=None) -> None:
    """Report each repeated id with the line where it first appeared (`same`: what makes ids equal)."""
    rows = np.flatnonzero(duplicated)
    if not rows.size:
        return
    first_row = pd.Series(np.arange(ids.size)).groupby(ids if same is None else same).transform("min").to_numpy()
    found.add_rows("duplicate id", rows, lambda row: Problem(file_line(row), id_column, _("duplicate id %(id)s, first on line %(line)s", id=quoted(ids[row]), line=file_line(int(first_row[row])))))


def id_problems(ids, empty_ids, solution_ids, id_column, found: ProblemCollector, *, allow_missing: bool = False) -> np.ndarray | None:
    """Report duplicate, unknown and (unless allowed) missing ids; return each row's position among the solution's ids."""
    solution_ids, _empty = normalise_ids(solution_ids)
    position = locate_ids(solution_ids, ids)
    if position.size == solution_ids.size and np.array_equal(position, np.arange(position.size)):
        return position
    known = position >= 0
    unknown = np.flatnonzero(~known & ~empty_ids)
    found.add_rows("unknown id", unknown, lambda row: Problem(file_line(row), id_column, _("unknown id %(id)s: not one of the challenge's ids", id=quoted(ids[row]))))
    counts = np.bincount(position[known], minlength=solution_ids.size)
    if counts.max(initial=0) > 1:
        duplicated = np.zeros(ids.size, dtype=bool)
        known_rows = np.flatnonzero(known)
        seen_order = np.argsort(position[known_rows], kind="stable")
        sorted_positions = position[known_rows][seen_order]
        repeat = np.r_[False, sorted_positions[1:] == sorted_positions[:-1]]
        duplicated[known_rows[seen_order][repeat]] = True
        duplicate_problems(ids, duplicated, id_column, found, same=position)
    missing = np.flatnonzero(counts == 0)
    if missing.size and not allow_missing:
        examples = ", ".join(quoted(solution_ids[i]) for i in missing[:SHOWN_IDS])
        examples += ", …" if missing.size > SHOWN_IDS else ""
        found.add("missing id", Problem(None, id_column, ngettext(
            "%(count)s of the challenge's id has no row: %(examples)s", "%(count)s of the challenge's ids have no row: %(examples)s",
            int(missing.size), count=shown_count(int(missing.size)), examples=examples)))
    return None if found else position
