"""Read an upload's header from the start of the file alone, and check it names the expected columns."""

from __future__ import annotations

import csv
import difflib
import re

from ultrathon.scorers.cell_values import is_number
from ultrathon.scorers.dialect import COMMA, DELIMITER_NAMES, Dialect, choose_dialect
from ultrathon.scorers.decoding import HEAD_BYTES, UTF8_BOM, check_kind, check_utf8, lf_line_ends, text_chunks
from ultrathon.i18n import N_, gettext as _
from ultrathon.scorers.errors import FileProblems, Problem, shown_count
from ultrathon.scorers.messages import ProblemCollector, quoted, shortened

MAX_HEADER_BYTES = 256 * 1024  # the longest first line read as a header
HEADER_SLACK = 20  # fields beyond a submission's columns still listed one by one
MAX_HEADER_FIELDS = 10_000  # the most fields any header may have
MAX_SUGGESTIONS = 10  # "did you mean" lookups per header
OTHER_DELIMITERS = {**DELIMITER_NAMES, "|": N_("vertical bars (|)")}


def _start_of_text(data: bytes, max_bytes: int, error: type[FileProblems]) -> bytes:
    """Return the start of an upload's text: its kind and first line, at most MAX_HEADER_BYTES + 1 bytes."""
    start = bytearray()
    for chunk in text_chunks(data, max_bytes, error):
        start += chunk[: MAX_HEADER_BYTES + 1 - len(start)]
        if len(start) > MAX_HEADER_BYTES or (len(start) >= HEAD_BYTES and b"\n" in start):
            break
    return bytes(start)


def read_header(data: bytes, max_bytes: int, expected: list[str], error: type[FileProblems], *, extra_allowed: bool = False,
                settings: tuple[str, str] = (",", ".")) -> tuple[list[str], Dialect]:
    """Return the fields of an upload's header and the file's dialect, read from the start of the file alone, or raise error."""
    # However long the file or far it expands, only MAX_HEADER_BYTES of its first line are read,
    # and its fields counted (as delimiters, quotes aside) before anything splits them.
    # settings are the challenge's (delimiter, decimal), either of them "auto".
    if not data:
        raise error([Problem(None, None, _("the file is empty"))])
    start = lf_line_ends(_start_of_text(data, max_bytes, error))
    if not start.strip() and len(start) < HEAD_BYTES:
        raise error([Problem(None, None, _("the file is empty"))])
    check_kind(start[:HEAD_BYTES], error)
    wanted = ", ".join(expected)
    max_fields = MAX_HEADER_FIELDS if extra_allowed else min(len(expected) + HEADER_SLACK, MAX_HEADER_FIELDS)
    end = start.find(b"\n")
    line = start if end < 0 else start[:end]
    dialect = COMMA if settings == (",", ".") else choose_dialect(line.decode("utf-8", "replace"), *settings, error)
    commas = line.count(dialect.delimiter.encode())
    if len(line) > MAX_HEADER_BYTES:
        if commas >= max_fields:
            raise error([_too_many_fields(commas, max_fields, expected, extra_allowed, more=True)])
        raise error([Problem(1, None, _("the first line is longer than %(size)s KB, too long for a header; it must name "
                                        "the columns: %(columns)s", size=MAX_HEADER_BYTES // 1024, columns=wanted))])
    if commas + 1 > max_fields:
        raise error([_too_many_fields(commas + 1, max_fields, expected, extra_allowed, more=False)])
    line = line.removeprefix(UTF8_BOM).rstrip(b"\r")
    check_utf8(line, error)
    return next(csv.reader([line.decode("utf-8")], delimiter=dialect.delimiter), []), dialect


def _too_many_fields(fields: int, max_fields: int, expected: list[str], extra_allowed: bool, *, more: bool) -> Problem:
    """Return the problem of a header with too many fields, saying how many the file may have."""
    counts = {"fields": shown_count(fields), "most": shown_count(max_fields), "count": len(expected),
              "columns": ", ".join(expected)}
    if extra_allowed:
        message = (_("the header has more than %(fields)s fields; a file may have at most %(most)s", **counts) if more
                   else _("the header has %(fields)s fields; a file may have at most %(most)s", **counts))
    else:
        message = (_("the header has more than %(fields)s fields; this challenge takes %(count)s columns: %(columns)s",
                     **counts) if more
                   else _("the header has %(fields)s fields; this challenge takes %(count)s columns: %(columns)s", **counts))
    return Problem(1, None, message)


def _simplified(name: str) -> str:
    return re.sub(r"[\s_\-.]+", "", name).casefold()


def check_header(fields: list[str], expected: list[str], error: type[FileProblems], *, extra_allowed: bool = False,
                 delimiter: str = ",") -> None:
    """Raise unless the header names the expected columns (exactly, or at least), suggesting near misses."""
    found = ProblemCollector()
    wanted = ", ".join(expected)
    if not any(f.strip() for f in fields):
        raise error([Problem(1, None, _("the first line is empty; it must be the header: %(columns)s", columns=wanted))])
    if len(fields) == 1 and len(expected) > 1:
        for other, name in OTHER_DELIMITERS.items():
            if other != delimiter and other in fields[0]:
                raise error([Problem(1, None, _("the file is separated by %(found)s; separate the columns with %(wanted)s",
                                                found=_(name), wanted=_(DELIMITER_NAMES[delimiter])))])
    present = set(fields)
    if not present & set(expected) and any(is_number(f) for f in fields):
        raise error([Problem(1, None, _("the first line must be a header naming the columns: %(columns)s", columns=wanted))])
    seen: set[str] = set()
    for name in fields:
        if name in seen:
            found.add("header", Problem(1, shortened(name), _("column %(name)s appears more than once in the header", name=quoted(name))))
        seen.add(name)
    missing = [e for e in expected if e not in present]
    simplified = {e: _simplified(e) for e in missing}
    # difflib compares a name with each missing one, character by character: a few names only,
    # and none too long to be a near miss (a ratio of 0.6 needs at most 7/3 the length).
    suggestions = MAX_SUGGESTIONS
    longest = max(map(len, expected), default=0)
    for name in dict.fromkeys(fields):
        if name in expected:
            continue
        near = [e for e in missing if simplified[e] == _simplified(name)]
        if near:
            found.add("header", Problem(1, shortened(name), _("column %(name)s should be named %(expected)s", name=quoted(name), expected=repr(near[0]))))
            missing.remove(near[0])
            continue
        close = []
        if missing and suggestions and 3 * len(name) <= 7 * longest:
            suggestions -= 1
            close = difflib.get_close_matches(name, missing, n=1, cutoff=0.6)
        if close:
            found.add("header", Problem(1, shortened(name), _("unexpected column %(name)s; did you mean %(expected)s?", name=quoted(name), expected=repr(close[0]))))
            missing.remove(close[0])
        elif not extra_allowed:
            found.add("header", Problem(1, shortened(name), _("unexpected column %(name)s", name=quoted(name))))
    for name in missing:
        found.add("header", Problem(1, name, _("missing column %(name)s", name=repr(name))))
    if found:
        found.add("header", Problem(1, None, _("the header must name exactly these columns: %(columns)s", columns=wanted)
                                    if not extra_allowed else _("the header must include these columns: %(columns)s", columns=wanted)))
    found.raise_if_any(error)
