"""Parse checked CSV text into a frame, turning malformed lines into problems with their line numbers."""

from __future__ import annotations

import csv
import io
import warnings

import numpy as np
import pandas as pd

from ultrathon.scorers.dialect import COMMA, Dialect
from ultrathon.i18n import gettext as _
from ultrathon.scorers.errors import SHOWN_PROBLEMS, FileProblems, Problem, shown_count
from ultrathon.scorers.messages import ProblemCollector

FIELD_SLACK = 1000  # a line this many fields longer than the header cannot be a row of it, quotes or not



def _field_count_problems(data: bytes, n_fields: int, error: type[FileProblems], sep: str) -> None:
    """Raise with the lines pandas could not parse: wrong field counts, unclosed quotes."""
    found = ProblemCollector()
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""), delimiter=sep)
    start = 1
    try:
        for row in reader:
            if any("\n" in field or "\r" in field for field in row):
                found.add("fields", Problem(start, None, _("a quote opened on this line is not closed")))
            elif row and len(row) != n_fields:
                found.add("fields", Problem(reader.line_num, None, _field_count_message(len(row), n_fields, sep)))
            start = reader.line_num + 1
    except csv.Error as exc:
        found.add("fields", Problem(reader.line_num, None, _("the line cannot be read as CSV (%(reason)s)", reason=exc)))
    if not found:
        found.add("fields", Problem(None, None, _("the file cannot be read as CSV; check quotes and delimiters")))
    found.raise_if_any(error)


def _field_count_message(fields: int, n_fields: int, sep: str) -> str:
    """Return what is wrong with a line of the wrong length, with a hint for the file's delimiter."""
    counts = {"fields": fields, "expected": n_fields}
    if sep == ",":
        return _("%(fields)s fields where the header has %(expected)s (quote values that contain commas; use a dot "
                 "for decimals)", **counts)
    if sep == ";":
        return _("%(fields)s fields where the header has %(expected)s (quote values that contain semicolons)", **counts)
    return _("%(fields)s fields where the header has %(expected)s", **counts)


def _refuse_overlong_lines(data: bytes, n_fields: int, error: type[FileProblems], sep: str) -> None:
    """Refuse lines with far more fields than the header before the CSV parser spends time on them."""
    raw = np.frombuffer(data, dtype=np.uint8)
    starts = np.concatenate(([0], np.flatnonzero(raw == ord("\n")) + 1))
    starts = starts[starts < raw.size]
    if not starts.size:
        return
    fields = np.add.reduceat(raw == ord(sep), starts, dtype=np.int64) + 1
    overlong = np.flatnonzero(fields > n_fields + FIELD_SLACK)
    if overlong.size:
        shown = [Problem(int(i) + 1, None, _("%(fields)s fields where the header has %(expected)s",
                                             fields=shown_count(int(fields[i])), expected=n_fields))
                 for i in overlong[:SHOWN_PROBLEMS]]
        raise error(shown, omitted=int(overlong.size) - len(shown))


def parse_csv(data: bytes, n_fields: int, error: type[FileProblems], dialect: Dialect = COMMA,
              text_columns: list[str] | None = None) -> pd.DataFrame:
    """Parse checked CSV bytes into a frame, turning malformed lines into problems."""
    # text_columns are kept as written: a decimal comma is converted, and checked, cell by cell.
    sep = dialect.delimiter
    _refuse_overlong_lines(data, n_fields, error, sep)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", pd.errors.ParserWarning)
        try:
            frame = pd.read_csv(
                io.BytesIO(data),
                sep=sep,
                dtype=dict.fromkeys(text_columns, str) if text_columns else None,
                encoding="utf-8",
                keep_default_na=False,  # "NA" may be a real id; only an empty cell is missing
                na_values=[""],
                skipinitialspace=True,
                index_col=False,
                skip_blank_lines=False,
            )
        except (pd.errors.ParserError, ValueError):
            _field_count_problems(data, n_fields, error, sep)
            raise  # unreachable: _field_count_problems always raises
    if any(issubclass(w.category, pd.errors.ParserWarning) for w in caught):
        _field_count_problems(data, n_fields, error, sep)
    # Blank lines at the end of a file are harmless; drop them.
    end = len(frame)
    while end and frame.iloc[end - 1].isna().all():
        end -= 1
    return frame.iloc[:end] if end < len(frame) else frame
