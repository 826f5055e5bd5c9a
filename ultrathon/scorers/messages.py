"""Problem lists and the pieces of their messages: a file's line numbers, values quoted short."""

from __future__ import annotations

from typing import Callable

import numpy as np

from ultrathon.scorers.errors import FileProblems, Problem

MAX_LISTED = 100  # problems listed per kind; beyond that they are only counted
SHOWN_IDS = 5  # ids quoted as examples in one message


class ProblemCollector:
    """Gather problems, listing at most MAX_LISTED of each kind and counting the rest."""

    def __init__(self):
        self.problems: list[Problem] = []
        self.omitted = 0
        self._listed: dict[str, int] = {}

    def add(self, kind: str, problem: Problem) -> None:
        """Add a problem, or only count it once its kind has MAX_LISTED listed."""
        listed = self._listed.get(kind, 0)
        if listed < MAX_LISTED:
            self.problems.append(problem)
            self._listed[kind] = listed + 1
        else:
            self.omitted += 1

    def add_rows(self, kind: str, rows: np.ndarray, make: Callable[[int], Problem]) -> None:
        """Add one problem per row index (0-based data row), built only for the listed ones."""
        listed = self._listed.get(kind, 0)
        room = max(0, MAX_LISTED - listed)
        for row in rows[:room]:
            self.add(kind, make(int(row)))
        self.omitted += max(0, rows.size - room)

    def __bool__(self) -> bool:
        return bool(self.problems) or self.omitted > 0

    def raise_if_any(self, error: type[FileProblems]) -> None:
        """Raise the given error with every problem gathered, if there is any."""
        if self:
            raise error(self.problems, self.omitted)


def file_line(row: int) -> int:
    """Return the file line of a 0-based data row (the header is line 1)."""
    return row + 2


def shortened(value: object, limit: int = 40) -> str:
    """Return a value as text cut to a readable length."""
    text = str(value)
    return text[: limit - 1] + "…" if len(text) > limit else text


def quoted(value: object, limit: int = 40) -> str:
    """Return a value quoted for a message, cut to a readable length."""
    return repr(shortened(value, limit))
