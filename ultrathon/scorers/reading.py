"""Read and validate uploaded CSV files: a team's submission and an organiser's solution.

Every problem found is reported with the file's line (the header is line 1) and column. Messages
about a submission only ever quote the team's own file (and the challenge's ids, which teams
have); nothing is read from the solution's outcome columns while checking a submission.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ultrathon.i18n import N_, gettext as _
from ultrathon.scorers.cell_values import (
    numeric_column,
    outcomes,
    probability_problems,
    rising_curve_problems,
    row_sum_problems,
)
from ultrathon.scorers.csv_parsing import parse_csv
from ultrathon.scorers.decoding import MB, decode_upload
from ultrathon.scorers.dialect import COMMA, Dialect
from ultrathon.scorers.errors import FileProblems, Problem, SolutionError, SubmissionError
from ultrathon.scorers.header import check_header, read_header
from ultrathon.scorers.ids import duplicate_problems, id_problems, normalise_ids, read_ids
from ultrathon.scorers.messages import ProblemCollector, file_line, quoted
from ultrathon.scorers.splits import IGNORED, USAGE_VALUES, missing_leaderboards, normalise_usage, usage_column

if TYPE_CHECKING:
    from ultrathon.spec import ChallengeSpec

GZIP_EXPANSION = 4  # a .csv.gz may hold this many times the challenge's upload limit of CSV


def _max_bytes(spec: ChallengeSpec) -> int:
    # CSV of ids and numbers gzips 3-5x: a .csv.gz at the upload limit may hold a few times it.
    return int(spec.submission.max_mb * MB * GZIP_EXPANSION)


NO_DATA_ROWS = {"file": N_("the file has a header but no data rows"), "solution": N_("the solution has a header but no data rows")}


def _data_rows(data: bytes, max_bytes: int, n_fields: int, error: type[FileProblems], what: str,
               dialect: Dialect = COMMA, text_columns: list[str] | None = None) -> tuple[bytes, pd.DataFrame]:
    """Return an upload's CSV text and its rows as a frame; raise error when it has a header but no rows."""
    text = decode_upload(data, max_bytes, error)
    frame = parse_csv(text, n_fields, error, dialect, text_columns)
    if len(frame) == 0:
        raise error([Problem(None, None, _(NO_DATA_ROWS[what]))])
    return text, frame


def read_submission(data: bytes, spec: ChallengeSpec, solution_ids=None) -> pd.DataFrame:
    """Return a team's predictions (id + prediction columns, in solution order) or raise SubmissionError."""
    # Without solution_ids (a quick check at upload) ids are only checked for repeats.
    id_column = spec.data.id_column
    columns = list(spec.submission.columns)
    expected = [id_column, *columns]
    data, max_bytes = bytes(data), _max_bytes(spec)
    # The header first, from the first line alone: a wrong file is told apart before it is unzipped whole.
    settings = (spec.submission.delimiter, spec.submission.decimal)
    fields, dialect = read_header(data, max_bytes, expected, SubmissionError, settings=settings)
    if spec.task == "multiclass" and len(fields) == 2 and id_column in fields and not set(fields) & set(columns):
        raise SubmissionError([Problem(1, None, _("this challenge takes one probability column per class (%(columns)s), "
                                                  "not a column of labels", columns=", ".join(columns)))])
    check_header(fields, expected, SubmissionError, delimiter=dialect.delimiter)
    # Decimal commas are converted cell by cell, so pandas keeps those columns as text.
    text_columns = columns if dialect.decimal == "," else None
    text, frame = _data_rows(data, max_bytes, len(expected), SubmissionError, "file", dialect, text_columns)
    found = ProblemCollector()
    ids, empty_ids = read_ids(frame[id_column], id_column, found)

    # Multiclass takes one probability column per class (named as data.classes), never a
    # label column: probabilities are what log loss and AUROC need.
    allow_missing = spec.submission.missing != "refuse"
    out = {}
    for column in columns:
        out[column] = numeric_column(frame, column, text, found, allow_missing=allow_missing, dialect=dialect)
        if spec.task in ("binary", "multiclass") or spec.submission.curves:
            probability_problems(out[column], column, found)
    if spec.task == "multiclass":
        row_sum_problems(np.column_stack([out[c] for c in columns]), found)
    if spec.submission.curves:
        rising_curve_problems(np.column_stack([out[c] for c in columns]), columns, found)
    if allow_missing:
        _partly_missing_problems(out, found, curves=spec.submission.curves)

    position = None
    if solution_ids is not None:
        position = id_problems(ids, empty_ids, np.asarray(solution_ids), id_column, found, allow_missing=allow_missing)
    else:
        duplicated = pd.Index(ids).duplicated(keep="first") & ~empty_ids
        duplicate_problems(ids, duplicated, id_column, found)
    found.raise_if_any(SubmissionError)

    result = pd.DataFrame({id_column: ids, **out})
    if position is None or np.array_equal(position, np.arange(len(solution_ids))):
        return result
    if position.size == len(solution_ids):
        return result.iloc[np.argsort(position)].reset_index(drop=True)  # every id once: rows reordered
    # Ids without a row (allowed by submission.missing) are rows of NaN, filled when scored.
    placed = np.full((len(solution_ids), len(columns)), np.nan)
    placed[position] = result[columns].to_numpy(dtype=np.float64)
    return pd.DataFrame({id_column: normalise_ids(solution_ids)[0], **dict(zip(columns, placed.T))})


def _rows_of_phase(frame: pd.DataFrame, spec: ChallengeSpec, phase: str | None, found: ProblemCollector) -> pd.DataFrame:
    """Return the solution rows of one phase (all with phase None), reporting rows that name no phase."""
    column = spec.data.phase_column
    if not column:
        return frame
    slugs = [p.slug for p in spec.phase_list]
    values = frame[column].astype(str).str.strip()
    bad = np.flatnonzero(~values.isin(slugs).to_numpy())
    found.add_rows("phase", bad, lambda row: Problem(file_line(row), column, _(
        "%(value)s is not a phase; this column holds each row's phase: %(phases)s",
        value=quoted(frame[column].iloc[row]), phases=", ".join(slugs))))
    if phase is None:
        return frame
    return frame[(values == phase).to_numpy()].reset_index(drop=True)


def _partly_missing_problems(out: dict[str, np.ndarray], found: ProblemCollector, *, curves: bool) -> None:
    """Report rows with some prediction cells empty and others not, and a file with none filled."""
    empty = np.column_stack([np.isnan(values) for values in out.values()])
    if empty.all():
        found.add("no predictions", Problem(None, None, _("every prediction is empty; a submission needs at least one")))
    partly = (_("empty value; leave every survival probability of a row empty, or none") if curves
              else _("empty value; leave every class probability of a row empty, or none"))
    for column, gaps in zip(out, empty.T):
        rows = np.flatnonzero(gaps & ~empty.all(axis=1))
        found.add_rows(f"partly:{column}", rows, lambda row: Problem(file_line(row), column, partly))


def read_solution(data: bytes, spec: ChallengeSpec, phase: str | None = None) -> pd.DataFrame:
    """Return an organiser's solution with normalised ids, outcomes and Usage, or raise SolutionError.

    `phase`: only the rows data.phase_column gives to that phase (every row when there is no such column).
    """
    id_column = spec.data.id_column
    required = [id_column, *spec.target_columns, *[s for s in spec.subgroups if s not in spec.target_columns]]
    required += [spec.data.phase_column] if spec.data.phase_column else []
    data, max_bytes = bytes(data), 2**34
    fields, _dialect = read_header(data, max_bytes, required, SolutionError, extra_allowed=True)
    check_header(fields, required, SolutionError, extra_allowed=True)
    _text, frame = _data_rows(data, max_bytes, len(fields), SolutionError, "solution")
    found = ProblemCollector()
    frame = _rows_of_phase(frame, spec, phase, found)
    ids, empty = read_ids(frame[id_column], id_column, found)
    duplicate_problems(ids, pd.Index(ids).duplicated(keep="first") & ~empty, id_column, found)
    frame[id_column] = ids

    scored = np.ones(len(frame), dtype=bool)
    usage = usage_column(frame, spec)
    if usage is not None:
        values = normalise_usage(frame[usage])
        bad = np.flatnonzero(values.isna().to_numpy())
        raw = frame[usage]
        found.add_rows("usage", bad, lambda row: Problem(file_line(row), usage, _("%(value)s is not one of %(values)s", value=quoted(raw.iloc[row]),
                                                                                     values=", ".join(USAGE_VALUES))))
        for label in missing_leaderboards(values):
            found.add("usage missing", Problem(None, usage, _("no %(label)s rows: each leaderboard needs some", label=label)))
        frame[usage] = values
        scored = (values != IGNORED).to_numpy()

    for column, converted in outcomes(frame, spec, scored, found).items():
        frame[column] = converted
    found.raise_if_any(SolutionError)
    return frame
