"""Check the cells of a file: predictions as finite numbers (probabilities where the task says), outcomes by task."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ultrathon.scorers.dialect import COMMA, Dialect, comma_decimals
from ultrathon.i18n import N_, gettext as _
from ultrathon.scorers.errors import Problem
from ultrathon.scorers.messages import ProblemCollector, file_line, quoted

if TYPE_CHECKING:
    from ultrathon.spec import ChallengeSpec

PROBABILITY_TOLERANCE = 1e-6
CURVE_TOLERANCE = 1e-9  # a survival curve may rise by rounding only
MISSING_WORDS = {"nan", "-nan", "+nan", "na", "n/a", "#n/a", "null", "none", "<na>", "nat", "missing", "?"}


def is_number(text: str) -> bool:
    """Return True when the text reads as a number."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def _describe_bad_value(raw: object) -> str:
    """Return what is wrong with a cell that did not read as a finite number."""
    if raw is None or (isinstance(raw, float) and np.isnan(raw)):
        return _("empty value")
    text = str(raw).strip()
    if text == "":
        return _("empty value")
    if text.casefold() in MISSING_WORDS:
        return _("missing value %(value)s; every row needs a number", value=quoted(text))
    try:
        number = float(text)
    except ValueError:
        if is_number(text.replace(",", ".")):
            return _("not a number: %(value)s (use a dot as the decimal separator)", value=quoted(text))
        return _("not a number: %(value)s", value=quoted(text))
    if np.isinf(number):
        return _("infinite value %(value)s", value=quoted(text))
    return _("missing value %(value)s; every row needs a number", value=quoted(text))


def _raw_text(data: bytes, column: str, sep: str) -> pd.Series:
    """Return a column exactly as written (only for explaining bad values: it costs a re-read)."""
    return pd.read_csv(io.BytesIO(data), sep=sep, usecols=[column], dtype=str, keep_default_na=False, index_col=False, skip_blank_lines=False)[column]


def missing_cells(raw: pd.Series) -> np.ndarray:
    """Return which cells are left empty or say so ("NA", "nan"): missing, not wrong."""
    text = raw.astype(object).where(raw.notna(), "").astype(str).str.strip().str.casefold()
    return ((text == "") | text.isin(MISSING_WORDS)).to_numpy()


def numeric_column(frame: pd.DataFrame, column: str, data: bytes, found: ProblemCollector, *, allow_missing: bool = False,
                   dialect: Dialect = COMMA) -> np.ndarray:
    """Return a column as float64, reporting every value that is not a finite number (missing ones left NaN if allowed)."""
    values = frame[column]
    if pd.api.types.is_float_dtype(values) or pd.api.types.is_integer_dtype(values):
        array = values.to_numpy(dtype=np.float64)
        bad = np.flatnonzero(~np.isfinite(array))
        raw = _raw_text(data, column, dialect.delimiter) if bad.size else None
    else:
        text = values.astype(object).where(values.notna(), "").astype(str).str.strip()
        numbers = comma_decimals(text, column, dialect, found) if dialect.decimal == "," else text
        array = pd.to_numeric(numbers, errors="coerce").to_numpy(dtype=np.float64)
        bad = np.flatnonzero(~np.isfinite(array))
        raw = text
    if bad.size and allow_missing:
        bad = bad[~missing_cells(raw.iloc[bad])]
    if bad.size:
        found.add_rows(f"value:{column}", bad, lambda row: Problem(file_line(row), column, _describe_bad_value(raw.iloc[row])))
    return array


def probability_problems(array: np.ndarray, column: str, found: ProblemCollector) -> None:
    with np.errstate(invalid="ignore"):
        outside = np.flatnonzero(np.isfinite(array) & ((array < 0) | (array > 1)))
    found.add_rows(f"range:{column}", outside, lambda row: Problem(file_line(row), column, _("probability %(value)s is outside [0, 1]", value=format(array[row], ".6g"))))


def rising_curve_problems(matrix: np.ndarray, columns: list[str], found: ProblemCollector) -> None:
    """Report rows whose survival probability rises from one horizon to the next by more than CURVE_TOLERANCE."""
    with np.errstate(invalid="ignore"):
        rise = matrix[:, 1:] - matrix[:, :-1]
        rising = np.isfinite(rise) & (rise > CURVE_TOLERANCE)
    rows = np.flatnonzero(rising.any(axis=1))
    first = rising.argmax(axis=1)

    def problem(row: int) -> Problem:
        k = int(first[row])
        return Problem(file_line(row), columns[k + 1], _(
            "survival rises from %(before)s in %(earlier)s to %(after)s in %(later)s; a survival curve cannot rise with time",
            before=format(matrix[row, k], ".6g"), earlier=repr(columns[k]), after=format(matrix[row, k + 1], ".6g"), later=repr(columns[k + 1])))
    found.add_rows("rising", rows, problem)


def row_sum_problems(matrix: np.ndarray, found: ProblemCollector) -> None:
    with np.errstate(invalid="ignore"):
        valid = np.all(np.isfinite(matrix) & (matrix >= 0) & (matrix <= 1), axis=1)
        sums = matrix.sum(axis=1)
    off = np.flatnonzero(valid & (np.abs(sums - 1) > PROBABILITY_TOLERANCE))
    found.add_rows("sum", off, lambda row: Problem(file_line(row), None, _("the class probabilities sum to %(sum)s, not 1 (tolerance 1e-6); divide each by the row's sum", sum=format(sums[row], ".9g"))))


def outcomes(frame: pd.DataFrame, spec: ChallengeSpec, scored: np.ndarray, found: ProblemCollector) -> dict:
    """Return the outcome columns converted to their task's types, checking the scored rows."""
    def numbers(column: str) -> np.ndarray:
        values = frame[column]
        if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            return values.to_numpy(dtype=np.float64)
        text = values.astype(object).where(values.notna(), "").astype(str).str.strip()
        text = text.replace({"True": "1", "False": "0", "true": "1", "false": "0", "TRUE": "1", "FALSE": "0"})
        return pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64)

    def check(column: str, bad: np.ndarray, message: str, **params) -> None:
        # `message` is marked where it is given; each listed cell's value fills its %(value)s.
        rows = np.flatnonzero(bad & scored)
        found.add_rows(f"outcome:{column}", rows, lambda row: Problem(file_line(row), column, _(
            message, value=quoted(frame[column].iloc[row]), **params)))

    if spec.task == "survival":
        time_col, event_col = spec.data.target.time, spec.data.target.event
        time, event = numbers(time_col), numbers(event_col)
        with np.errstate(invalid="ignore"):
            check(time_col, ~(np.isfinite(time) & (time >= 0)), N_("%(value)s is not a time (a number >= 0)"))
            check(event_col, ~np.isin(event, [0.0, 1.0]), N_("%(value)s is not an event indicator (0 or 1)"))
        return {time_col: time, event_col: event}
    column = spec.data.target
    if spec.task == "binary":
        values = numbers(column)
        check(column, ~np.isin(values, [0.0, 1.0]), N_("%(value)s is not a binary outcome (0 or 1)"))
        return {column: values}
    if spec.task == "regression":
        values = numbers(column)
        check(column, ~np.isfinite(values), N_("%(value)s is not a finite number"))
        return {column: values}
    classes = [str(c) for c in spec.data.classes]
    labels = frame[column].map(label_text)
    check(column, ~labels.isin(classes).to_numpy(), N_("%(value)s is not one of the classes: %(classes)s"),
          classes=", ".join(classes))
    return {column: labels}


def label_text(value: object) -> str:
    """Return a cell as a class or group name: whole numbers without ".0", missing as ""."""
    # A class column of numbers is parsed as floats (1.0) while the YAML names the class "1".
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value).strip()
