"""How a submission's CSV is written: its delimiter and decimal mark, from the challenge or its header line.

Danish and Swedish spreadsheets write `;` between columns and a decimal comma (`0,734`). With
`submission.delimiter: auto` the header line tells the delimiter: `;` or a tab when it has one
and no comma, else `,`. With `submission.decimal: auto` a `;` or tab file may write decimal
commas, a `,` file writes decimal points. Cells whose decimal mark cannot be told for sure are
refused with how the file was read and how to fix it.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import numpy as np
import pandas as pd

from ultrathon.i18n import N_, gettext as _
from ultrathon.scorers.errors import FileProblems, Problem
from ultrathon.scorers.messages import ProblemCollector, file_line, quoted

# Marked here, translated where a message names them.
DELIMITER_NAMES = {",": N_("commas (,)"), ";": N_("semicolons (;)"), "\t": N_("tabs")}
DECIMAL_NAMES = {".": N_("decimal points (0.5)"), ",": N_("decimal commas (0,5)")}
# A comma after 1-3 digits (not a lone 0) and before exactly three: 1,234 may be 1.234 or 1234.
THOUSANDS_LIKE = re.compile(r"^[+-]?[1-9]\d{0,2},\d{3}$")


class Dialect(NamedTuple):
    """A file's delimiter and decimal mark, and whether the decimal mark was set by the challenge."""

    delimiter: str = ","
    decimal: str = "."
    decimal_set: bool = False

    def described(self) -> str:
        """Return how the file was read, for messages."""
        return _("separated by %(delimiter)s with %(decimal)s", delimiter=_(DELIMITER_NAMES[self.delimiter]),
                 decimal=_(DECIMAL_NAMES[self.decimal]))


COMMA = Dialect()


def choose_dialect(header: str, delimiter: str, decimal: str, error: type[FileProblems]) -> Dialect:
    """Return the dialect of a file from the challenge's settings and, where they say auto, its header line."""
    if delimiter == "auto":
        delimiter = ","
        if "," not in header or decimal == ",":
            delimiter = next((d for d in (";", "\t") if d in header), ",")
    if delimiter == "," and decimal == ",":
        # Only reached with delimiter auto: the spec refuses ',' with ','.
        raise error([Problem(1, None, _("the file is separated by commas (,), but this challenge writes decimal commas "
                                        "(submission.decimal: ','); separate the columns with semicolons (;)"))])
    if decimal == "auto":
        return Dialect(delimiter, "." if delimiter == "," else ",", False)
    return Dialect(delimiter, decimal, True)


def comma_decimals(text: pd.Series, column: str, dialect: Dialect, found: ProblemCollector) -> pd.Series:
    """Return a column's cells (stripped text) with decimal commas made points, reporting cells read ambiguously."""
    commas = text.str.contains(",", regex=False).to_numpy()
    if not commas.any():
        return text
    if not dialect.decimal_set:
        _ambiguity_problems(text, commas, column, dialect, found)
    return text.str.replace(",", ".", regex=False)


def _ambiguity_problems(text: pd.Series, commas: np.ndarray, column: str, dialect: Dialect, found: ProblemCollector) -> None:
    """Report a column mixing decimal points and commas, or whose every comma could group thousands."""
    first_comma = int(np.argmax(commas))
    points = np.flatnonzero(text.str.contains(".", regex=False).to_numpy() & ~commas)
    if points.size:
        row = int(points[0])
        found.add(f"mixed:{column}", Problem(file_line(row), column, _(
            "%(value)s has a decimal point, but line %(line)s writes %(other)s with a decimal comma; the file was "
            "read as %(dialect)s: write every decimal with a comma, or ask the organisers to set submission.decimal",
            value=quoted(text.iloc[row]), line=file_line(first_comma), other=quoted(text.iloc[first_comma]),
            dialect=dialect.described())))
        return
    if text[commas].str.match(THOUSANDS_LIKE).all():
        value = text.iloc[first_comma]
        whole, part = value.split(",")
        found.add(f"thousands:{column}", Problem(file_line(first_comma), column, _(
            "%(value)s could be %(decimal)s or %(thousands)s: the file was read as %(dialect)s, so it reads "
            "%(decimal)s; write thousands without a separator (%(thousands)s) or decimals with more or fewer digits "
            "(%(longer)s), or ask the organisers to set submission.decimal",
            value=quoted(value), decimal=whole + "." + part, thousands=whole + part, longer=value + "0",
            dialect=dialect.described())))
