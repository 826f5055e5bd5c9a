"""Checking the public files against the hidden solution: no leaked outcomes, a sample that fits it."""

from __future__ import annotations

from typing import Any

from ultrathon.i18n import gettext as _, ngettext
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
            check.problems.append(Problem(table.display, 1, column, ngettext(
                "is a target column, in a public file that holds %(num)s id of the hidden solution; remove it",
                "is a target column, in a public file that holds %(num)s ids of the hidden solution; remove it",
                len(shared))))
            continue
        values = table.column(column)
        for target, known in truth.items():
            pairs = [(_normal(values[r]), known[ids[r]]) for r in shared if ids[r] in known]
            if pairs and all(a == b for a, b in pairs):
                check.problems.append(Problem(table.display, 1, column, ngettext(
                    "equals target %(target)s on the %(num)s row this public file shares with the hidden solution; "
                    "remove it",
                    "equals target %(target)s on the %(num)s rows this public file shares with the hidden solution; "
                    "remove it", len(pairs), target=repr(target))))
                break


def _check_sample(check: _Checker, table: _Table, solution: _Table, data: DataSpec, submission: SubmissionSpec,
                  phase: str | None = None) -> None:
    """Check the sample submission is a valid submission for exactly the solution's ids (of one phase's rows)."""
    out = check.problems
    expected = [data.id_column, *submission.columns]
    for name in expected:
        if name not in table.header:
            by = "data.id_column" if name == data.id_column else "submission.columns"
            out.append(_column_missing(table, name, by))
    for name in table.header:
        if name not in expected:
            out.append(Problem(table.display, 1, name, _("unexpected column; a submission holds %(columns)s",
                                                         columns=", ".join(expected))))
    rows = _RowProblems(out)
    for name in submission.columns:
        if name in table.header:
            for value, line in zip(table.column(name), table.lines):
                if _number(value) is None:
                    rows.add((name, "value"), Problem(table.display, line, name, _("%(value)s should be a finite number",
                                                                                   value=_show(value))))
    if data.id_column in table.header:
        _check_sample_ids(check, table, solution, data.id_column, rows, phase)
    rows.close()


def _check_sample_ids(check: _Checker, table: _Table, solution: _Table, id_column: str, rows: _RowProblems,
                      phase: str | None) -> None:
    """Report the sample's repeated ids, ids the solution (or the phase's rows) lacks, and the solution's it lacks."""
    hidden = set(solution.column(id_column))
    first: dict[str, int] = {}
    for value, line in zip(table.column(id_column), table.lines):
        if value in first:
            rows.add((id_column, "dup"), Problem(table.display, line, id_column, _(
                "duplicate id %(id)s (first on line %(line)s)", id=repr(value), line=first[value])))
        elif value not in hidden:
            rows.add((id_column, "extra"), Problem(table.display, line, id_column, _(
                "id %(id)s is not in the solution rows of phase %(phase)s", id=repr(value), phase=repr(phase)) if phase
                else _("id %(id)s is not in the solution", id=repr(value))))
        first.setdefault(value, line)
    absent = [i for i in solution.column(id_column) if i not in first]
    if not absent:
        return
    facts = {"example": repr(absent[0]), "phase": repr(phase)}
    check.problems.append(Problem(table.display, 1, id_column, ngettext(
        "%(num)s id of the solution rows of phase %(phase)s is missing, e.g. %(example)s; list every solution id, "
        "Ignored ones too",
        "%(num)s ids of the solution rows of phase %(phase)s are missing, e.g. %(example)s; list every solution id, "
        "Ignored ones too", len(absent), **facts) if phase else ngettext(
        "%(num)s id of the solution is missing, e.g. %(example)s; list every solution id, Ignored ones too",
        "%(num)s ids of the solution are missing, e.g. %(example)s; list every solution id, Ignored ones too",
        len(absent), **facts)))
