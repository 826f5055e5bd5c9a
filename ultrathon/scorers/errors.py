"""Errors the scoring library raises, with messages safe to show the people who receive them."""

from __future__ import annotations

from dataclasses import dataclass

SHOWN_PROBLEMS = 20
SCORING_FAILED = "scoring failed; the organisers have been told"


def time_limit_message(seconds: int) -> str:
    """Return what a team reads when scoring ran out of time."""
    return f"the challenge's scoring program exceeded its time limit of {seconds} s"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file: where (line of the file, column) and what."""

    row: int | None  # line number in the file, the header being line 1
    column: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"line {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class FileProblems(ValueError):
    """A CSV file that cannot be used, with every problem found in it."""

    what = "the file"

    def __init__(self, problems: list[Problem], omitted: int = 0):
        self.problems = list(problems)
        # Huge files can have millions of bad cells: list a capped number, count the rest.
        self.omitted = omitted
        super().__init__(self._render())

    @property
    def total(self) -> int:
        """Return how many problems were found, listed or not."""
        return len(self.problems) + self.omitted

    def _render(self) -> str:
        shown = self.problems[:SHOWN_PROBLEMS]
        lines = [str(p) for p in shown]
        rest = self.total - len(shown)
        if rest > 0:
            lines.append(f"and {rest:,} more problem{'s' if rest != 1 else ''}")
        if len(lines) == 1:
            return lines[0]
        return f"{self.total:,} problems in {self.what}:\n" + "\n".join(f"- {line}" for line in lines)

    def __str__(self) -> str:
        return self._render()


class SubmissionError(FileProblems):
    """A team's upload that cannot be scored; every message is safe to show the team."""

    what = "the submission"


class SolutionError(FileProblems):
    """An organiser's solution file that cannot be used; messages are for organisers only."""

    what = "the solution"


class ParticipantVisibleError(Exception):
    """Raise from a custom metric to show the team this exact message."""


class ScoringError(Exception):
    """Scoring that could not finish: the message is safe for the team, `detail` is for organisers."""

    def __init__(self, message: str = SCORING_FAILED, detail: str = ""):
        super().__init__(message)
        self.message = message
        self.detail = detail
