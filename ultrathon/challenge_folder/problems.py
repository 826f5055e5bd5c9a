"""Problems found in a challenge folder, and how they are counted and ordered for the organiser."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Iterable

from ultrathon.i18n import N_, gettext as _, ngettext

ROW_PROBLEMS_SHOWN = 5  # per file and kind: enough to fix the pattern without drowning the rest
WHOLE_FILE = "(file)"
SYNTAX, HEADER, ROW = "(syntax)", "(header)", "(row)"
# Keys that name a part of a file, not a key anyone wrote: kept as they are, said in the reader's language when shown.
PART_KEYS = {WHOLE_FILE: N_("(file)"), SYNTAX: N_("(syntax)"), HEADER: N_("(header)"), ROW: N_("(row)")}


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a challenge folder: where it is and what to do."""

    file: str
    line: int
    key: str
    message: str

    def render(self) -> str:
        """Return the problem as `path:line: key: message`."""
        key = _(PART_KEYS[self.key]) if self.key in PART_KEYS else self.key
        return f"{self.file}:{self.line}: {key}: {self.message}"

    __str__ = render


class ChallengeInvalid(Exception):
    """A challenge folder that cannot be loaded, with every problem found."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(p.render() for p in self.problems))


class _RowProblems:
    """Row problems, at most a few of each kind, then a count of the rest."""

    def __init__(self, out: list[Problem]):
        self.out = out
        self.counts: Counter = Counter()
        self.hidden: dict[tuple, Problem] = {}

    def add(self, kind: tuple, problem: Problem) -> None:
        """Keep the problem if few of its kind are shown yet, else count it."""
        self.counts[kind] += 1
        if self.counts[kind] <= ROW_PROBLEMS_SHOWN:
            self.out.append(problem)
        else:
            self.hidden.setdefault(kind, problem)

    def close(self) -> None:
        """Report how many rows of each kind were counted but not shown."""
        for kind, problem in self.hidden.items():
            more = self.counts[kind] - ROW_PROBLEMS_SHOWN
            self.out.append(Problem(problem.file, problem.line, problem.key, ngettext(
                "and %(num)s more row with the same kind of problem, from this line on",
                "and %(num)s more rows with the same kind of problem, from this line on", more)))


def _in_order(problems: list[Problem], yaml_display: str) -> list[Problem]:
    """Return challenge.yaml's problems first, then each file's, each file's by line."""
    files = list(dict.fromkeys([yaml_display] + [p.file for p in problems]))
    return sorted(problems, key=lambda p: (files.index(p.file), p.line))


def _show(value: str) -> str:
    return repr(value) if len(value) <= 30 else repr(value[:27] + "...")
