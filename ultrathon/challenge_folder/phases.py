"""Checking a challenge folder's phases: each phase's public files, solution rows and sample submission."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from ultrathon.i18n import gettext as _
from ultrathon.spec import ChallengeSpec, PhaseSpec

from .problems import Problem, _RowProblems, _show
from .reading import _Checker, _column_missing, _Table


def raw_phase_files(raw: dict) -> list[tuple[tuple, Any]]:
    """Return each phase's public file names as the YAML writes them, with their key paths."""
    phases = raw.get("phases")
    if not isinstance(phases, list):
        return []
    return [(("phases", i, "public", j), name)
            for i, phase in enumerate(phases) if isinstance(phase, dict) and isinstance(phase.get("public"), list)
            for j, name in enumerate(phase["public"])]


def raw_phases(raw: dict, flagged: set) -> list[PhaseSpec]:
    """Return the phases as the YAML writes them, once they parse; none otherwise."""
    phases = raw.get("phases")
    if ("phases",) in flagged or not isinstance(phases, list):
        return []
    try:
        return [PhaseSpec.model_validate(phase) for phase in phases]
    except ValidationError:
        return []


def raw_phase_samples(raw: dict, phases: list[PhaseSpec]) -> list[tuple[str, str]]:
    """Return (phase slug, sample file) of each phase that offers a sample."""
    data = raw.get("data") if isinstance(raw.get("data"), dict) else {}
    default = data.get("sample_submission", "sample_submission.csv")
    out = []
    for phase in phases:
        sample = phase.sample_submission
        if sample is None and (phase.public is None or default in phase.public):
            sample = default
        if isinstance(sample, str):
            out.append((phase.slug, sample))
    return out


def check_phase_column(check: _Checker, solution: _Table, column: str, phases: list[PhaseSpec]) -> None:
    """Report solution rows whose phase column names no phase, and phases no row names."""
    if column not in solution.header:
        check.problems.append(_column_missing(solution, column, "data.phase_column"))
        return
    slugs = [p.slug for p in phases]
    rows = _RowProblems(check.problems)
    values = [v.strip() for v in solution.column(column)]
    for value, line in zip(values, solution.lines):
        if value not in slugs:
            rows.add((column, "phase"), Problem(solution.display, line, column, _(
                "%(value)s is not a phase; this column holds each row's phase: %(phases)s",
                value=_show(value), phases=", ".join(slugs))))
    rows.close()
    for slug in slugs:
        if slug not in values:
            check.problems.append(Problem(solution.display, 1, column, _(
                "no row names phase %(phase)s; each phase needs solution rows", phase=repr(slug))))


def phase_rows(solution: _Table, column: str, slug: str) -> _Table:
    """Return the solution's rows whose phase column names this phase."""
    i = solution.header.index(column)
    kept = [(row, line) for row, line in zip(solution.rows, solution.lines) if row[i].strip() == slug]
    return _Table(solution.display, solution.header, [r for r, _line in kept], [line for _row, line in kept])


def check_phase_rows(check: _Checker, spec: ChallengeSpec, report) -> None:
    """Read each phase's solution rows and sample as the scorer will: rows, a public and a private board."""
    from ultrathon.scorers import assign_splits, read_solution, read_submission

    name = spec.data.solution
    solution = check.files[name]
    for phase in spec.phase_list:
        try:
            rows = read_solution(solution, spec, phase=phase.slug)
        except Exception as error:  # noqa: BLE001 - reported as a problem of the file, naming the phase
            report(name, error, lambda message: _("phase %(phase)s: %(problem)s", phase=repr(phase.slug), problem=message))
            continue
        if rows.empty:
            check.problems.append(Problem(check.display(name), 1, spec.data.phase_column, _(
                "no row names phase %(phase)s; each phase needs solution rows", phase=repr(phase.slug))))
            continue
        splits = set(assign_splits(rows, spec))
        for needed in ("Public", "Private"):
            if needed not in splits:
                check.problems.append(Problem(check.display(name), 1, spec.data.phase_column, _(
                    "phase %(phase)s has no %(usage)s rows: each of its leaderboards needs some",
                    phase=repr(phase.slug), usage=needed)))
        sample = phase.sample_submission
        if sample and sample in check.files:
            try:
                read_submission(check.files[sample], spec, solution_ids=rows[spec.data.id_column])
            except Exception as error:  # noqa: BLE001 - reported as a problem of the file
                report(sample, error, lambda message: _("as phase %(phase)s's sample: %(problem)s",
                                                        phase=repr(phase.slug), problem=message))

