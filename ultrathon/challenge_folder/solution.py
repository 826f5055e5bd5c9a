"""Checking the hidden solution: its columns, ids, usage split, outcomes, and td_auc and curve horizons."""

from __future__ import annotations

from typing import Any

from ultrathon.i18n import gettext as _
from ultrathon.spec import USAGE_VALUES, DataSpec, MetricsSpec, SplitSpec, SubmissionSpec, SurvivalTarget

from .problems import Problem, _RowProblems, _show
from .reading import _Checker, _column_missing, _number, _Table


def _missing_columns(check: _Checker, table: _Table, data: DataSpec, split: SplitSpec | None,
                     subgroups: list, raw_split: Any) -> set[str]:
    """Report each column challenge.yaml names that the solution lacks; return their names."""
    named = [(data.id_column, "data.id_column")]
    if isinstance(data.target, str):
        named.append((data.target, "data.target"))
    else:
        named += [(data.target.time, "data.target.time"), (data.target.event, "data.target.event")]
    # The default column is optional (without it the split is seeded); a column named on purpose is not.
    usage_named = isinstance(raw_split, dict) and raw_split.get("usage_column") is not None
    if split and split.usage_column and (usage_named or split.usage_column in table.header):
        named.append((split.usage_column, "split.usage_column"))
    named += [(name, f"subgroups[{i}]") for i, name in enumerate(subgroups) if isinstance(name, str)]
    missing = {name for name, _key in named if name not in table.header}
    for name, by in named:
        if name in missing:
            check.problems.append(_column_missing(table, name, by))
    return missing


def _check_solution(check: _Checker, table: _Table, data: DataSpec, task: str,
                    split: SplitSpec | None, subgroups: list, raw_split: Any) -> list[bool] | None:
    """Check the hidden solution; return which rows are scored, or None if its ids are unusable."""
    missing = _missing_columns(check, table, data, split, subgroups, raw_split)
    if data.id_column in missing:
        return None
    out = check.problems
    rows = _RowProblems(out)

    first: dict[str, int] = {}
    for value, line in zip(table.column(data.id_column), table.lines):
        if not value.strip():
            rows.add((data.id_column, "empty"), Problem(table.display, line, data.id_column, _("empty id")))
        elif value in first:
            rows.add((data.id_column, "dup"), Problem(table.display, line, data.id_column, _(
                "duplicate id %(id)s (first on line %(line)s)", id=repr(value), line=first[value])))
        else:
            first[value] = line

    scored = [True] * len(table.rows)
    if split and split.usage_column and split.usage_column in table.header:
        usage = table.column(split.usage_column)
        for i, (value, line) in enumerate(zip(usage, table.lines)):
            if value not in USAGE_VALUES:
                rows.add((split.usage_column, "value"), Problem(table.display, line, split.usage_column, _(
                    "%(value)s should be one of %(values)s", value=_show(value), values=", ".join(USAGE_VALUES))))
            scored[i] = value != "Ignored"
        for needed in ("Public", "Private"):
            if needed not in usage:
                out.append(Problem(table.display, 1, split.usage_column, _(
                    "no %(usage)s rows: each leaderboard needs some", usage=needed)))

    for column, kind in _target_kinds(data, task):
        if column in missing:
            continue
        values = table.column(column)
        seen: set = set()
        for value, line, counts in zip(values, table.lines, scored):
            if not counts:
                continue  # Ignored rows are never scored, so they may hold placeholders
            problem, normal = _check_value(value, kind, data.classes)
            if problem:
                rows.add((column, "value"), Problem(table.display, line, column, problem))
            else:
                seen.add(normal)
        if kind == "binary" and len(seen) == 1:
            out.append(Problem(table.display, 1, column, _("every scored row has the same outcome; both 0 and 1 are needed")))
        if kind == "event" and seen == {0.0}:
            out.append(Problem(table.display, 1, column, _("no scored row has an event; survival metrics need some")))
    rows.close()
    return scored


def _target_kinds(data: DataSpec, task: str) -> list[tuple[str, str]]:
    if isinstance(data.target, str):
        return [(data.target, task)]
    return [(data.target.time, "time"), (data.target.event, "event")]


def _check_value(value: str, kind: str, classes: list[str] | None) -> tuple[str | None, Any]:
    """Return (problem, normalised value) for one target cell."""
    text = value.strip()
    if not text:
        return _("empty; every scored row needs an outcome"), None
    if kind in ("binary", "event"):
        allowed = {"0": 0.0, "1": 1.0, "0.0": 0.0, "1.0": 1.0}
        if kind == "event":
            allowed |= {"false": 0.0, "true": 1.0}
        normal = allowed.get(text.lower())
        if normal is None:
            return (_("%(value)s should be 0 or 1", value=_show(value)) if kind == "binary"
                    else _("%(value)s should be 0/1 or true/false", value=_show(value))), None
        return None, normal
    if kind in ("regression", "time"):
        number = _number(text)
        if number is None:
            return _("%(value)s should be a finite number", value=_show(value)), None
        if kind == "time" and number < 0:
            return _("%(value)s is a negative time", value=_show(value)), None
        return None, number
    if classes is not None and text not in classes:
        return _("%(value)s is not one of data.classes (%(classes)s)", value=_show(value), classes=", ".join(classes)), None
    return None, text


def _horizon_lists(metrics: MetricsSpec | None, submission: SubmissionSpec | None) -> list[tuple[tuple, list, str]]:
    """Return the horizons challenge.yaml names, each list with its key and what needs it."""
    lists = []
    if metrics is not None and "td_auc" in metrics.all and isinstance(metrics.options.get("horizons"), list):
        lists.append((("metrics", "options", "horizons"), metrics.options["horizons"], _("td_auc needs horizons inside it")))
    if submission is not None and submission.curves and submission.horizons:
        lists.append((("submission", "horizons"), submission.horizons,
                      _("survival curves are scored at horizons inside it")))
    return lists


def _check_horizons(check: _Checker, metrics: MetricsSpec | None, table: _Table, data: DataSpec,
                    split: SplitSpec | None, scored: list[bool], submission: SubmissionSpec | None = None) -> None:
    """Refuse td_auc and curve horizons outside the follow-up of a leaderboard's rows: they cannot be scored there."""
    lists = _horizon_lists(metrics, submission)
    if not lists or not isinstance(data.target, SurvivalTarget) or data.target.time not in table.header:
        return
    times = [_number(v) for v in table.column(data.target.time)]
    usage = table.column(split.usage_column) if split and split.usage_column in table.header else ["all"] * len(times)
    for part in ("Public", "Private", "all"):
        part_times = [t for t, u, counts in zip(times, usage, scored) if u == part and counts and t is not None]
        if not part_times:
            continue
        low, high = min(part_times), max(part_times)
        for key, horizons, why in lists:
            for i, horizon in enumerate(horizons):
                if isinstance(horizon, (int, float)) and not (low <= horizon < high):
                    facts = {"horizon": f"{horizon:g}", "usage": part, "low": f"{low:g}", "high": f"{high:g}", "why": why}
                    check.at_yaml((*key, i), _(
                        "%(horizon)s lies outside the follow-up of the scored rows (%(low)s to %(high)s); %(why)s", **facts)
                        if part == "all" else _("%(horizon)s lies outside the follow-up of the %(usage)s rows "
                                                "(%(low)s to %(high)s); %(why)s", **facts))
