"""Reading a challenge folder: its files once each, challenge.yaml with line numbers, CSV files as tables."""

from __future__ import annotations

import csv
import difflib
import io
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ultrathon.i18n import gettext as _
from ultrathon.spec import dotted_key

from .problems import HEADER, ROW, SYNTAX, WHOLE_FILE, Problem, _RowProblems

YAML_NAME = "challenge.yaml"
MAX_YAML_BYTES = 1_000_000


def _decode(data: bytes, display: str) -> tuple[str, Problem | None]:
    if data.startswith(b"\xef\xbb\xbf"):  # the byte-order mark Excel writes
        data = data[3:]
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        byte = data[error.start]
        return "", Problem(display, line, WHOLE_FILE, _("is not UTF-8 text (byte 0x%(byte)s); save it as UTF-8",
                                                        byte=format(byte, "02x")))


@dataclass
class _Yaml:
    display: str
    raw: Any = None
    lines: dict[tuple, int] = field(default_factory=dict)

    def line(self, path: tuple) -> int:
        """Return the line of the longest prefix of path that the file spells out."""
        key = tuple(p if isinstance(p, int) else str(p) for p in path)
        while key and key not in self.lines:
            key = key[:-1]
        return self.lines.get(key, 1)


def _read_yaml(path: Path, doc: _Yaml) -> list[Problem]:
    data = path.read_bytes()
    if len(data) > MAX_YAML_BYTES:
        return [Problem(doc.display, 1, WHOLE_FILE, _("is larger than %(size)s kB; a challenge.yaml is a page of settings",
                                                      size=MAX_YAML_BYTES // 1000))]
    text, problem = _decode(data, doc.display)
    if problem:
        return [problem]
    loader = None
    try:
        loader = yaml.SafeLoader(text)
        node = loader.get_single_node()
        if node is None:
            return [Problem(doc.display, 1, WHOLE_FILE, _("is empty; see docs/challenge-format.md for an example"))]
        problems = _map_lines(node, (), doc)
        if problems:
            return problems
        doc.raw = loader.construct_document(node)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        return [Problem(doc.display, line, SYNTAX, _("not valid YAML: %(reason)s", reason=_yaml_reason(error)))]
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        return [Problem(doc.display, line, SYNTAX, _("not valid YAML: character #x%(code)s is not allowed",
                                                         code=format(error.character, "04x")))]
    except yaml.YAMLError as error:
        return [Problem(doc.display, 1, SYNTAX, _("not valid YAML: %(reason)s", reason=error))]
    finally:
        if loader is not None:
            loader.dispose()
    return []


def _yaml_reason(error: yaml.MarkedYAMLError) -> str:
    """Return what the YAML parser could not read, with the line of what it was reading (its words are its own)."""
    what = error.problem or _("unreadable")
    if not error.context:
        return what
    if error.context_mark:
        return _("%(context)s (line %(line)s): %(problem)s", context=error.context, line=error.context_mark.line + 1,
                 problem=what)
    return f"{error.context}: {what}"


def _map_lines(node: yaml.Node, path: tuple, doc: _Yaml, seen: set[int] | None = None) -> list[Problem]:
    """Record the line of every key and list item; refuse aliases and keys given twice."""
    seen = set() if seen is None else seen
    if id(node) in seen:
        # An alias: harmless here, but a chain of them expands exponentially (billion laughs).
        return [Problem(doc.display, doc.lines.get(path, node.start_mark.line + 1), dotted_key(path),
                        _("anchors and aliases (&name, *name) are not supported; write the value out"))]
    seen.add(id(node))
    problems: list[Problem] = []
    if isinstance(node, yaml.MappingNode):
        first: dict[str, int] = {}
        for key_node, value_node in node.value:
            name = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else repr(key_node.value)
            line = key_node.start_mark.line + 1
            if name in first:
                problems.append(Problem(doc.display, line, dotted_key(path + (name,)),
                                        _("given twice (first on line %(line)s)", line=first[name])))
                continue
            first[name] = line
            doc.lines[path + (name,)] = line
            problems += _map_lines(value_node, path + (name,), doc, seen)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            doc.lines[path + (i,)] = item.start_mark.line + 1
            problems += _map_lines(item, path + (i,), doc, seen)
    return problems


@dataclass
class _Table:
    display: str
    header: list[str]
    rows: list[list[str]]
    lines: list[int]

    def column(self, name: str) -> list[str]:
        """Return a column's values, in row order."""
        i = self.header.index(name)
        return [row[i] for row in self.rows]


def _read_csv(data: bytes, display: str, out: list[Problem]) -> _Table | None:
    """Return CSV bytes as a table, or None after reporting why they cannot be one."""
    text, problem = _decode(data, display)
    if problem:
        out.append(problem)
        return None
    if not text.strip():
        out.append(Problem(display, 1, WHOLE_FILE, _("is empty; it needs a header line and rows")))
        return None
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[list[str]] = []
    lines: list[int] = []
    try:
        header = next(reader)
        for row in reader:
            if row:  # blank lines carry no row
                rows.append(row)
                lines.append(reader.line_num)
    except csv.Error as error:
        out.append(Problem(display, reader.line_num, WHOLE_FILE, _("is not a readable CSV file: %(reason)s", reason=error)))
        return None
    before = len(out)
    if len(header) == 1 and any(sep in header[0] for sep in ";\t"):
        out.append(Problem(display, 1, WHOLE_FILE, _("uses ';' between columns; use ','") if ";" in header[0]
                           else _("uses a tab between columns; use ','")))
        return None
    for name, count in Counter(header).items():
        if not name.strip():
            out.append(Problem(display, 1, HEADER, _("a column has no name")))
        elif count > 1:
            out.append(Problem(display, 1, name, _("column appears %(count)s times in the header", count=count)))
    ragged = _RowProblems(out)
    for row, line in zip(rows, lines):
        if len(row) != len(header):
            ragged.add((ROW, display), Problem(display, line, ROW, _("has %(fields)s fields; the header has %(header)s",
                                                                               fields=len(row), header=len(header))))
    ragged.close()
    if not rows:
        out.append(Problem(display, 1, WHOLE_FILE, _("has a header but no rows")))
    if len(out) > before:
        return None
    return _Table(display, header, rows, lines)


def _column_missing(table: _Table, name: str, named_by: str) -> Problem:
    close = difflib.get_close_matches(name, table.header, n=1, cutoff=0.6)
    listed = ", ".join(table.header[:12]) + (" ..." if len(table.header) > 12 else "")
    hint = _("did you mean %(name)s?", name=repr(close[0])) if close else _("columns: %(columns)s", columns=listed)
    return Problem(table.display, 1, name, _("no such column (named by %(key)s); %(hint)s", key=named_by, hint=hint))


def _number(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


_EVENT_VALUES = {"0": 0, "1": 1, "0.0": 0, "1.0": 1, "false": 0, "true": 1}


def _normal(value: str) -> Any:
    """Return a value in a form where 1, 1.0 and true compare equal."""
    text = value.strip()
    if text.lower() in _EVENT_VALUES:
        return float(_EVENT_VALUES[text.lower()])
    number = _number(text)
    return number if number is not None else text


class _Checker:
    """Collects every problem of one challenge folder."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.root = folder.resolve()
        self.doc = _Yaml(str(folder / YAML_NAME))
        self.problems: list[Problem] = []
        self.files: dict[str, bytes] = {}
        self.unreadable: set[str] = set()
        self.holder = False  # the data holder's own folder (validate_folder(holder=True))

    def at_yaml(self, path: tuple, message: str) -> None:
        """Report a problem at a key of challenge.yaml."""
        self.problems.append(Problem(self.doc.display, self.doc.line(path), dotted_key(path), message))

    def display(self, name: str) -> str:
        """Return how a file of the folder is named in messages."""
        return str(self.folder / name)

    def existing(self, name: Any, path: tuple) -> Path | None:
        """Return a named file inside the folder, or report why it cannot be used."""
        if not isinstance(name, str) or not name:
            return None
        candidate = self.folder / name
        try:
            resolved = candidate.resolve(strict=True)
        except (OSError, RuntimeError):
            present = sorted(p.name for p in self.folder.iterdir() if p.is_file()) if self.folder.is_dir() else []
            close = difflib.get_close_matches(name, present, n=1, cutoff=0.8)
            self.at_yaml(path, _("file %(name)s not found in the challenge folder; did you mean %(close)s?",
                                 name=repr(name), close=repr(close[0])) if close
                         else _("file %(name)s not found in the challenge folder", name=repr(name)))
            return None
        if not resolved.is_relative_to(self.root):
            self.at_yaml(path, _("file %(name)s points outside the challenge folder", name=repr(name)))
            return None
        if not resolved.is_file():
            self.at_yaml(path, _("%(name)s is not a file", name=repr(name)))
            return None
        return resolved

    def read(self, name: Any, path: tuple) -> bytes | None:
        """Return a named file's bytes, once, or None when it cannot be read."""
        if name in self.files or name in self.unreadable:
            return self.files.get(name)
        resolved = self.existing(name, path)
        if resolved is None:
            self.unreadable.add(name)
            return None
        self.files[name] = resolved.read_bytes()
        return self.files[name]

    def text(self, name: Any, path: tuple) -> str | None:
        """Return a named file as UTF-8 text, or None after reporting why not."""
        data = self.read(name, path)
        if data is None:
            return None
        text, problem = _decode(data, self.display(name))
        if problem:
            self.problems.append(problem)
            return None
        return text

    def table(self, name: Any, path: tuple) -> _Table | None:
        """Return a named CSV file as a table, or None after reporting why not."""
        # The bytes checked are the bytes stored: the file is read from disk once.
        data = self.read(name, path)
        if data is None:
            return None
        return _read_csv(data, self.display(name), self.problems)
