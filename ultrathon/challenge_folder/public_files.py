"""Checking the public files against the hidden solution: no leaked outcomes, a sample that fits it."""

from __future__ import annotations

from typing import Any

from ultrathon.spec import DataSpec, SubmissionSpec

from .problems import Problem, _RowProblems, _show
from .reading import _Checker, _column_missing, _normal, _number, _Table


def _check_leaks(check: _Checker, table: _Table, solution: _Table, data: DataSpec,
                 scored: list[bool], allowed: set[str]) -> None:
    """Refuse a public file that pairs hidden-test rows with their outcome."""
    if data.id_column not in table.header:
        return
    truth: dict[str, dict[str, Any]] = {}
    for column in data.target_columns:
        if column in solution.header:
            truth[column] = {
                i: _normal(v)
                for i, v, counts in zip(solution.column(data.id_column), solution.column(column), scored)
                if counts and v.strip()
            }
    hidden = set(solution.column(data.id_column))
    ids = table.column(data.id_column)
    shared = [r for r, i in enumerate(ids) if i in hidden]
    if not shared:
        return  # training rows: their outcomes are what teams learn from
    for column in table.header:
        if column == data.id_column:
            continue
        if column in data.target_columns and column not in allowed:
            check.problems.append(Problem(table.display, 1, column, f"is a target column, in a public file that holds {len(shared)} ids of the hidden solution; remove it"))
            continue
        values = table.column(column)
        for target, known in truth.items():
            pairs = [(_normal(values[r]), known[ids[r]]) for r in shared if ids[r] in known]
            if pairs and all(a == b for a, b in pairs):
                check.problems.append(Problem(table.display, 1, column, f"equals target {target!r} on the {len(pairs)} rows this public file shares with the hidden solution; remove it"))
                break


def _check_sample(check: _Checker, table: _Table, solution: _Table, data: DataSpec, submission: SubmissionSpec,
                  rows_of: str = "the solution") -> None:
    """Check the sample submission is a valid submission for exactly the solution's ids."""
    out = check.problems
    expected = [data.id_column, *submission.columns]
    for name in expected:
        if name not in table.header:
            by = "data.id_column" if name == data.id_column else "submission.columns"
            out.append(_column_missing(table, name, by))
    for name in table.header:
        if name not in expected:
            out.append(Problem(table.display, 1, name, f"unexpected column; a submission holds {', '.join(expected)}"))
    rows = _RowProblems(out)
    for name in submission.columns:
        if name in table.header:
            for value, line in zip(table.column(name), table.lines):
                if _number(value) is None:
                    rows.add((name, "value"), Problem(table.display, line, name, f"{_show(value)} should be a finite number"))
    if data.id_column in table.header:
        hidden = set(solution.column(data.id_column))
        first: dict[str, int] = {}
        for value, line in zip(table.column(data.id_column), table.lines):
            if value in first:
                rows.add((data.id_column, "dup"), Problem(table.display, line, data.id_column, f"duplicate id {value!r} (first on line {first[value]})"))
            elif value not in hidden:
                rows.add((data.id_column, "extra"), Problem(table.display, line, data.id_column, f"id {value!r} is not in {rows_of}"))
            first.setdefault(value, line)
        absent = [i for i in solution.column(data.id_column) if i not in first]
        if absent:
            many = f"{len(absent)} ids of {rows_of} are" if len(absent) > 1 else f"1 id of {rows_of} is"
            out.append(Problem(table.display, 1, data.id_column, f"{many} missing, e.g. {absent[0]!r}; list every solution id, Ignored ones too"))
    rows.close()
