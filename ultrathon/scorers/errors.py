"""Errors the scoring library raises, with messages safe to show the people who receive them."""

from __future__ import annotations

from dataclasses import dataclass

from babel.numbers import format_decimal

from ultrathon.i18n import N_, current_language, gettext as _, ngettext

SHOWN_PROBLEMS = 20
# Marked, not translated, here: it is compared with stored messages and read in the reader's language.
SCORING_FAILED = N_("scoring failed; the organisers have been told")


def scoring_failed() -> str:
    """Return SCORING_FAILED in the current language."""
    return _(SCORING_FAILED)


def time_limit_message(seconds: int) -> str:
    """Return what a team reads when scoring ran out of time."""
    return _("the challenge's scoring program exceeded its time limit of %(seconds)s s", seconds=seconds)


def shown_count(number: int) -> str:
    """Return a count with the current language's digit grouping (1,234; 1.234; 1 234)."""
    return format_decimal(number, locale=current_language())


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file: where (line of the file, column) and what."""

    row: int | None  # line number in the file, the header being line 1
    column: str | None
    message: str

    def __str__(self) -> str:
        column = repr(self.column)
        if self.row is not None and self.column is not None:
            return _("line %(row)s, column %(column)s: %(problem)s", row=self.row, column=column, problem=self.message)
        if self.row is not None:
            return _("line %(row)s: %(problem)s", row=self.row, problem=self.message)
        if self.column is not None:
            return _("column %(column)s: %(problem)s", column=column, problem=self.message)
        return self.message


class FileProblems(ValueError):
    """A CSV file that cannot be used, with every problem found in it."""

    what = N_("%(count)s problems in the file:")  # the heading of a list of problems

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
            lines.append(ngettext("and %(count)s more problem", "and %(count)s more problems", rest, count=shown_count(rest)))
        if len(lines) == 1:
            return lines[0]
        return _(self.what, count=shown_count(self.total)) + "\n" + "\n".join(f"- {line}" for line in lines)

    def __str__(self) -> str:
        return self._render()


class SubmissionError(FileProblems):
    """A team's upload that cannot be scored; every message is safe to show the team."""

    what = N_("%(count)s problems in the submission:")


class SolutionError(FileProblems):
    """An organiser's solution file that cannot be used; messages are for organisers only."""

    what = N_("%(count)s problems in the solution:")


class ParticipantVisibleError(Exception):
    """Raise from a custom metric to show the team this exact message."""


class ScoringError(Exception):
    """Scoring that could not finish: the message is safe for the team, `detail` is for organisers."""

    def __init__(self, message: str | None = None, detail: str = ""):
        message = scoring_failed() if message is None or message == SCORING_FAILED else message
        super().__init__(message)
        self.message = message
        self.detail = detail
