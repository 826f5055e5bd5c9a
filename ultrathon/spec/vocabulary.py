"""The words of the challenge schema: tasks, key paths and the phrasing every problem shares."""

from __future__ import annotations

import difflib
import re
import typing
from datetime import datetime
from typing import Annotated, Literal, Union

from pydantic import AfterValidator

from ultrathon.i18n import gettext as _

TaskType = Literal["binary", "multiclass", "regression", "survival"]
TASKS: tuple[str, ...] = typing.get_args(TaskType)
CiMethod = Literal["percentile", "bca"]  # how a score's bootstrap interval is read off its replicates
CI_METHODS: tuple[str, ...] = typing.get_args(CiMethod)
RankingScheme = Literal["primary", "mean_rank", "rank_then_aggregate", "significance"]  # ranking.scheme
RANKING_SCHEMES: tuple[str, ...] = typing.get_args(RankingScheme)
USAGE_VALUES = ("Public", "Private", "Ignored")
ZONE_EXAMPLE = "2027-01-04T09:00:00+01:00"
SLUG_RULE = r"[a-z0-9][a-z0-9-]{1,62}[a-z0-9]"  # lower-case letters, digits and hyphens; 3-64 long
CUSTOM_FUNCTION = "score"  # the function a custom reference names when it names only the file
_FILE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$")


def plain_file_name(value: str) -> str:
    """Return value if it names a file directly inside the challenge folder, else raise ValueError."""
    if not _FILE_NAME.match(value) or value.endswith(".") or ".." in value:
        raise ValueError(_("%(name)s is not a plain file name in the challenge folder "
                           "(letters, digits, '.', '_', '-'; no folders)", name=repr(value)))
    return value


FileName = Annotated[str, AfterValidator(plain_file_name)]


def zoned_time(value: datetime) -> datetime:
    """Return a time that carries a zone, else raise ValueError: "09:00" is a different instant for each reader."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(_("a time must carry a zone, e.g. %(example)s", example=ZONE_EXAMPLE))
    return value



def custom_reference_parts(reference: str) -> tuple[str, str]:
    """Return the file and the function a metrics.custom reference names ("scorer.py:score")."""
    file_name, _, function = reference.partition(":")
    return file_name, function or CUSTOM_FUNCTION


Path = tuple[Union[str, int], ...]  # a key path in challenge.yaml, e.g. ("data", "public", 1)


def dotted_key(path: Path) -> str:
    """Return a key path as the organiser would write it, e.g. data.public[1]."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(file)"


def closest(word: str, choices: list[str]) -> str | None:
    """Return the choice a misspelt word most likely means, if one is close enough."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(word: str, choices: list[str]) -> str:
    """Return a hint naming the choice closest to a misspelt word, or every choice."""
    close = closest(word, choices)
    if close:
        return _("did you mean %(name)s?", name=repr(close))
    return _("known: %(choices)s", choices=", ".join(choices))
