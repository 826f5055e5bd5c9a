"""Challenge folders: read challenge.yaml and its files, report every problem, bundle the result."""

from __future__ import annotations

import ast
import csv
import difflib
import hashlib
import io
import json
import math
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, TextIO

import yaml
from pydantic import ConfigDict, TypeAdapter, ValidationError

from ultrathon.spec import (
    TASKS,
    USAGE_VALUES,
    ChallengeSpec,
    DataSpec,
    FileName,
    MetricsSpec,
    SplitSpec,
    SubmissionSpec,
    CUSTOM_FUNCTION,
    SurvivalTarget,
    dotted_key,
    schema_problems,
)

# Names as the schema reads them (a number is a name too), for checking files before the spec is whole.
_FILE_NAME = TypeAdapter(FileName, config=ConfigDict(coerce_numbers_to_str=True))
YAML_NAME = "challenge.yaml"
MAX_YAML_BYTES = 1_000_000
ROW_PROBLEMS_SHOWN = 5  # per file and kind: enough to fix the pattern without drowning the rest
WHOLE_FILE = "(file)"


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a challenge folder: where it is and what to do."""

    file: str
    line: int
    key: str
    message: str

    def render(self) -> str:
        """Return the problem as `path:line: key: message`."""
        return f"{self.file}:{self.line}: {self.key}: {self.message}"

    __str__ = render


class ChallengeInvalid(Exception):
    """A challenge folder that cannot be loaded, with every problem found."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(p.render() for p in self.problems))


@dataclass(frozen=True)
class ValidatedChallenge:
    """A challenge that passed every check, with the bytes the platform stores."""

    spec: ChallengeSpec
    folder: Path
    readme: str
    public_files: dict[str, bytes]
    solution: bytes
    scorer_source: str | None
    scoring_hash: str

    @property
    def slug(self) -> str:
        """Return the challenge's slug."""
        return self.spec.slug


def scoring_hash(spec: ChallengeSpec, solution: bytes, scorer_source: str | None) -> str:
    """Return a digest of everything that decides a submission's stored scores."""
    decisive = {
        "task": spec.task,
        "id_column": spec.data.id_column,
        "target": spec.data.model_dump(mode="json")["target"],
        "classes": spec.data.classes,
        "columns": spec.submission.columns,
        "metrics": spec.metrics.model_dump(mode="json"),
        "split": spec.split.model_dump(mode="json"),
        "subgroups": spec.subgroups,
        "bootstrap": spec.leaderboard.bootstrap,
    }
    digest = hashlib.sha256(json.dumps(decisive, sort_keys=True).encode())
    digest.update(hashlib.sha256(solution).digest())
    digest.update(hashlib.sha256((scorer_source or "").encode()).digest())
    return digest.hexdigest()


# --- YAML with line numbers ------------------------------------------------------------------

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
        return [Problem(doc.display, 1, WHOLE_FILE, f"is larger than {MAX_YAML_BYTES // 1000} kB; a challenge.yaml is a page of settings")]
    text, problem = _decode(data, doc.display)
    if problem:
        return [problem]
    loader = None
    try:
        loader = yaml.SafeLoader(text)
        node = loader.get_single_node()
        if node is None:
            return [Problem(doc.display, 1, WHOLE_FILE, "is empty; see docs/challenge-format.md for an example")]
        problems = _map_lines(node, (), doc)
        if problems:
            return problems
        doc.raw = loader.construct_document(node)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        what = error.problem or "unreadable"
        if error.context:
            where = f" (line {error.context_mark.line + 1})" if error.context_mark else ""
            what = f"{error.context}{where}: {what}"
        return [Problem(doc.display, line, "(syntax)", f"not valid YAML: {what}")]
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        return [Problem(doc.display, line, "(syntax)", f"not valid YAML: character #x{error.character:04x} is not allowed")]
    except yaml.YAMLError as error:
        return [Problem(doc.display, 1, "(syntax)", f"not valid YAML: {error}")]
    finally:
        if loader is not None:
            loader.dispose()
    return []


def _map_lines(node: yaml.Node, path: tuple, doc: _Yaml, seen: set[int] | None = None) -> list[Problem]:
    """Record the line of every key and list item; refuse aliases and keys given twice."""
    seen = set() if seen is None else seen
    if id(node) in seen:
        # An alias: harmless here, but a chain of them expands exponentially (billion laughs).
        return [Problem(doc.display, doc.lines.get(path, node.start_mark.line + 1), dotted_key(path), "anchors and aliases (&name, *name) are not supported; write the value out")]
    seen.add(id(node))
    problems: list[Problem] = []
    if isinstance(node, yaml.MappingNode):
        first: dict[str, int] = {}
        for key_node, value_node in node.value:
            name = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else repr(key_node.value)
            line = key_node.start_mark.line + 1
            if name in first:
                problems.append(Problem(doc.display, line, dotted_key(path + (name,)), f"given twice (first on line {first[name]})"))
                continue
            first[name] = line
            doc.lines[path + (name,)] = line
            problems += _map_lines(value_node, path + (name,), doc, seen)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            doc.lines[path + (i,)] = item.start_mark.line + 1
            problems += _map_lines(item, path + (i,), doc, seen)
    return problems


# --- CSV files -------------------------------------------------------------------------------

def _decode(data: bytes, display: str) -> tuple[str, Problem | None]:
    if data.startswith(b"\xef\xbb\xbf"):  # the byte-order mark Excel writes
        data = data[3:]
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        byte = data[error.start]
        return "", Problem(display, line, WHOLE_FILE, f"is not UTF-8 text (byte 0x{byte:02x}); save it as UTF-8")


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
            self.out.append(Problem(problem.file, problem.line, problem.key, f"and {more} more rows with the same kind of problem, from this line on"))


def _read_csv(data: bytes, display: str, out: list[Problem]) -> _Table | None:
    """Return CSV bytes as a table, or None after reporting why they cannot be one."""
    text, problem = _decode(data, display)
    if problem:
        out.append(problem)
        return None
    if not text.strip():
        out.append(Problem(display, 1, WHOLE_FILE, "is empty; it needs a header line and rows"))
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
        out.append(Problem(display, reader.line_num, WHOLE_FILE, f"is not a readable CSV file: {error}"))
        return None
    before = len(out)
    if len(header) == 1 and any(sep in header[0] for sep in ";\t"):
        sep = "';'" if ";" in header[0] else "a tab"
        out.append(Problem(display, 1, WHOLE_FILE, f"uses {sep} between columns; use ','"))
        return None
    for name, count in Counter(header).items():
        if not name.strip():
            out.append(Problem(display, 1, "(header)", "a column has no name"))
        elif count > 1:
            out.append(Problem(display, 1, name, f"column appears {count} times in the header"))
    ragged = _RowProblems(out)
    for row, line in zip(rows, lines):
        if len(row) != len(header):
            ragged.add(("(row)", display), Problem(display, line, "(row)", f"has {len(row)} fields; the header has {len(header)}"))
    ragged.close()
    if not rows:
        out.append(Problem(display, 1, WHOLE_FILE, "has a header but no rows"))
    if len(out) > before:
        return None
    return _Table(display, header, rows, lines)


def _column_missing(table: _Table, name: str, named_by: str) -> Problem:
    close = difflib.get_close_matches(name, table.header, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}?" if close else "columns: " + ", ".join(table.header[:12]) + (" ..." if len(table.header) > 12 else "")
    return Problem(table.display, 1, name, f"no such column (named by {named_by}); {hint}")


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


# --- The folder ------------------------------------------------------------------------------

class _Checker:
    """Collects every problem of one challenge folder."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.root = folder.resolve()
        self.doc = _Yaml(str(folder / YAML_NAME))
        self.problems: list[Problem] = []
        self.files: dict[str, bytes] = {}
        self.unreadable: set[str] = set()

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
            hint = f"; did you mean {close[0]!r}?" if close else ""
            self.at_yaml(path, f"file {name!r} not found in the challenge folder{hint}")
            return None
        if not resolved.is_relative_to(self.root):
            self.at_yaml(path, f"file {name!r} points outside the challenge folder")
            return None
        if not resolved.is_file():
            self.at_yaml(path, f"{name!r} is not a file")
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


def validate_folder(folder: str | Path) -> ValidatedChallenge:
    """Check a challenge folder; return it ready to store, or raise ChallengeInvalid with every problem."""
    folder = Path(folder)
    check = _Checker(folder)
    if not folder.is_dir():
        raise ChallengeInvalid([Problem(str(folder), 1, WHOLE_FILE, "no such challenge folder")])
    yaml_path = folder / YAML_NAME
    if not yaml_path.is_file():
        raise ChallengeInvalid([Problem(check.doc.display, 1, WHOLE_FILE, f"not found; a challenge folder holds {YAML_NAME} and its files")])
    syntax = _read_yaml(yaml_path, check.doc)
    if syntax:
        raise ChallengeInvalid(syntax)
    raw = check.doc.raw
    schema = schema_problems(raw)
    for problem in schema:
        check.at_yaml(problem.path, problem.message)
    if not isinstance(raw, dict):
        raise ChallengeInvalid(check.problems)
    # A section the schema already faults is not used to judge the files: its problems would echo.
    flagged = {p.path[:1] for p in schema}
    readme = _check_files(check, raw)
    _check_tables(check, raw, flagged)
    scorer = _check_scorer(check, raw, flagged)
    if check.problems:
        raise ChallengeInvalid(_in_order(check.problems, check.doc.display))

    spec = ChallengeSpec.model_validate(raw, context={"cross_checks": False})
    solution = check.files[spec.data.solution]
    _check_with_scorer(check, spec)
    if not check.problems and scorer is not None:
        _dry_run_custom_metric(check, spec, scorer)
    if check.problems:
        raise ChallengeInvalid(check.problems)
    return ValidatedChallenge(
        spec=spec,
        folder=folder,
        readme=readme or "",
        public_files={name: check.files[name] for name in spec.data.public},
        solution=solution,
        scorer_source=scorer,
        scoring_hash=scoring_hash(spec, solution, scorer),
    )


def _check_with_scorer(check: _Checker, spec: ChallengeSpec) -> None:
    """Read the solution and sample submission as the workers will, so they cannot disagree."""
    from ultrathon.scorers import read_solution, read_submission
    from ultrathon.scorers.errors import FileProblems

    def report(name: str, error: Exception) -> None:
        if isinstance(error, FileProblems):
            for problem in error.problems:
                check.problems.append(Problem(check.display(name), problem.row or 1, problem.column or WHOLE_FILE, problem.message))
            if error.omitted:
                check.problems.append(Problem(check.display(name), 1, WHOLE_FILE, f"and {error.omitted} more problems"))
        else:  # a reader's own failure: still a message, never a traceback
            check.problems.append(Problem(check.display(name), 1, WHOLE_FILE, f"the scorer cannot read it ({type(error).__name__}: {error})"))

    try:
        solution = read_solution(check.files[spec.data.solution], spec)
    except Exception as error:  # noqa: BLE001 - reported as a problem of the file
        report(spec.data.solution, error)
        return
    sample = spec.data.sample_submission
    if sample:
        try:
            read_submission(check.files[sample], spec, solution_ids=solution[spec.data.id_column])
        except Exception as error:  # noqa: BLE001 - reported as a problem of the file
            report(sample, error)


def _in_order(problems: list[Problem], yaml_display: str) -> list[Problem]:
    """Return challenge.yaml's problems first, then each file's, each file's by line."""
    files = list(dict.fromkeys([yaml_display] + [p.file for p in problems]))
    return sorted(problems, key=lambda p: (files.index(p.file), p.line))


def _plain_names(raw: dict) -> tuple[str, list[tuple[tuple, str]], str]:
    """Return the description, public and solution file names that passed the schema."""
    def plain(value: Any) -> str | None:
        try:
            return _FILE_NAME.validate_python(value)
        except ValidationError:
            return None

    data = raw.get("data") if isinstance(raw.get("data"), dict) else {}
    public = data.get("public") if isinstance(data.get("public"), list) else []
    named = [(("data", "public", i), plain(n)) for i, n in enumerate(public) if plain(n)]
    return plain(raw.get("description", "README.md")), named, plain(data.get("solution", "solution.csv"))


def _check_files(check: _Checker, raw: dict) -> str | None:
    """Read the README, the solution and the public files that are not CSV; return the README."""
    description, public, solution = _plain_names(raw)
    readme = check.text(description, ("description",)) if description else None
    for path, name in public:
        if not name.lower().endswith(".csv"):
            check.read(name, path)
    if solution:
        check.read(solution, ("data", "solution"))
    return readme


def _section(raw: dict, key: str, model: type, flagged: set) -> Any:
    """Return one section of the YAML as its model, if the schema found nothing wrong in it."""
    if (key,) in flagged:
        return None
    try:
        return model.model_validate(raw.get(key, {}))
    except ValidationError:
        return None


def _check_tables(check: _Checker, raw: dict, flagged: set) -> None:
    """Check the solution, the public CSV files and the sample submission against each other."""
    description, public, solution_name = _plain_names(raw)
    task = raw.get("task") if raw.get("task") in TASKS and ("task",) not in flagged else None
    data: DataSpec | None = _section(raw, "data", DataSpec, flagged)
    split: SplitSpec | None = _section(raw, "split", SplitSpec, flagged)
    submission: SubmissionSpec | None = _section(raw, "submission", SubmissionSpec, flagged)
    subgroups = raw.get("subgroups") if isinstance(raw.get("subgroups"), list) and ("subgroups",) not in flagged else []

    tables: dict[str, _Table] = {}
    solution = check.table(solution_name, ("data", "solution")) if solution_name else None
    for path, name in public:
        if name.lower().endswith(".csv"):
            table = check.table(name, path)
            if table is not None:
                tables[name] = table
    if solution is None or data is None or task is None:
        return
    scored = _check_solution(check, solution, data, task, split, subgroups, raw.get("split"))
    if scored is None:
        return
    if task == "survival":
        _check_horizons(check, _section(raw, "metrics", MetricsSpec, flagged), solution, data, split, scored)
    sample_name = data.sample_submission
    for name, table in tables.items():
        allowed = set(submission.columns) if submission and name == sample_name else set()
        _check_leaks(check, table, solution, data, scored, allowed)
    if sample_name in tables and submission is not None:
        _check_sample(check, tables[sample_name], solution, data, submission)


def _check_solution(check: _Checker, table: _Table, data: DataSpec, task: str,
                    split: SplitSpec | None, subgroups: list, raw_split: Any) -> list[bool] | None:
    """Check the hidden solution; return which rows are scored, or None if its ids are unusable."""
    out = check.problems
    rows = _RowProblems(out)
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
    missing = {name for name, _ in named if name not in table.header}
    for name, by in named:
        if name in missing:
            out.append(_column_missing(table, name, by))
    if data.id_column in missing:
        return None

    first: dict[str, int] = {}
    for value, line in zip(table.column(data.id_column), table.lines):
        if not value.strip():
            rows.add((data.id_column, "empty"), Problem(table.display, line, data.id_column, "empty id"))
        elif value in first:
            rows.add((data.id_column, "dup"), Problem(table.display, line, data.id_column, f"duplicate id {value!r} (first on line {first[value]})"))
        else:
            first[value] = line

    scored = [True] * len(table.rows)
    if split and split.usage_column and split.usage_column in table.header:
        usage = table.column(split.usage_column)
        for i, (value, line) in enumerate(zip(usage, table.lines)):
            if value not in USAGE_VALUES:
                rows.add((split.usage_column, "value"), Problem(table.display, line, split.usage_column, f"{_show(value)} should be one of {', '.join(USAGE_VALUES)}"))
            scored[i] = value != "Ignored"
        for needed in ("Public", "Private"):
            if needed not in usage:
                out.append(Problem(table.display, 1, split.usage_column, f"no {needed} rows: each leaderboard needs some"))

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
            out.append(Problem(table.display, 1, column, "every scored row has the same outcome; both 0 and 1 are needed"))
        if kind == "event" and seen == {0.0}:
            out.append(Problem(table.display, 1, column, "no scored row has an event; survival metrics need some"))
    rows.close()
    return scored


def _check_horizons(check: _Checker, metrics: MetricsSpec | None, table: _Table, data: DataSpec,
                    split: SplitSpec | None, scored: list[bool]) -> None:
    """Refuse td_auc horizons outside the follow-up of a leaderboard's rows: it cannot score there."""
    if metrics is None or "td_auc" not in metrics.all or not isinstance(data.target, SurvivalTarget):
        return
    horizons = metrics.options.get("horizons")
    if not isinstance(horizons, list):
        return
    if data.target.time not in table.header:
        return
    times = [_number(v) for v in table.column(data.target.time)]
    usage = table.column(split.usage_column) if split and split.usage_column in table.header else ["all"] * len(times)
    for part in ("Public", "Private", "all"):
        part_times = [t for t, u, counts in zip(times, usage, scored) if u == part and counts and t is not None]
        if not part_times:
            continue
        low, high = min(part_times), max(part_times)
        rows = f"{part} rows" if part != "all" else "scored rows"
        for i, horizon in enumerate(horizons):
            if isinstance(horizon, (int, float)) and not (low <= horizon < high):
                check.at_yaml(("metrics", "options", "horizons", i),
                              f"{horizon:g} lies outside the follow-up of the {rows} ({low:g} to {high:g}); td_auc needs horizons inside it")


def _target_kinds(data: DataSpec, task: str) -> list[tuple[str, str]]:
    if isinstance(data.target, str):
        return [(data.target, task)]
    return [(data.target.time, "time"), (data.target.event, "event")]


def _show(value: str) -> str:
    return repr(value) if len(value) <= 30 else repr(value[:27] + "...")


def _check_value(value: str, kind: str, classes: list[str] | None) -> tuple[str | None, Any]:
    """Return (problem, normalised value) for one target cell."""
    text = value.strip()
    if not text:
        return "empty; every scored row needs an outcome", None
    if kind in ("binary", "event"):
        allowed = {"0": 0.0, "1": 1.0, "0.0": 0.0, "1.0": 1.0}
        if kind == "event":
            allowed |= {"false": 0.0, "true": 1.0}
        normal = allowed.get(text.lower())
        if normal is None:
            return f"{_show(value)} should be " + ("0 or 1" if kind == "binary" else "0/1 or true/false"), None
        return None, normal
    if kind in ("regression", "time"):
        number = _number(text)
        if number is None:
            return f"{_show(value)} should be a finite number", None
        if kind == "time" and number < 0:
            return f"{_show(value)} is a negative time", None
        return None, number
    if classes is not None and text not in classes:
        return f"{_show(value)} is not one of data.classes ({', '.join(classes)})", None
    return None, text


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
            check.problems.append(Problem(table.display, 1, column, f"is a target column, in a public file that holds {len(shared)} ids of the hidden solution; remove it"))
            continue
        values = table.column(column)
        for target, known in truth.items():
            pairs = [(_normal(values[r]), known[ids[r]]) for r in shared if ids[r] in known]
            if pairs and all(a == b for a, b in pairs):
                check.problems.append(Problem(table.display, 1, column, f"equals target {target!r} on the {len(pairs)} rows this public file shares with the hidden solution; remove it"))
                break


def _check_sample(check: _Checker, table: _Table, solution: _Table, data: DataSpec, submission: SubmissionSpec) -> None:
    """Check the sample submission is a valid submission for exactly the solution's ids."""
    out = check.problems
    expected = [data.id_column, *submission.columns]
    for name in expected:
        if name not in table.header:
            by = "data.id_column" if name == data.id_column else "submission.columns"
            out.append(_column_missing(table, name, by))
    for name in table.header:
        if name not in expected:
            out.append(Problem(table.display, 1, name, f"unexpected column; a submission holds {', '.join(expected)}"))
    rows = _RowProblems(out)
    for name in submission.columns:
        if name in table.header:
            for value, line in zip(table.column(name), table.lines):
                if _number(value) is None:
                    rows.add((name, "value"), Problem(table.display, line, name, f"{_show(value)} should be a finite number"))
    if data.id_column in table.header:
        hidden = set(solution.column(data.id_column))
        first: dict[str, int] = {}
        for value, line in zip(table.column(data.id_column), table.lines):
            if value in first:
                rows.add((data.id_column, "dup"), Problem(table.display, line, data.id_column, f"duplicate id {value!r} (first on line {first[value]})"))
            elif value not in hidden:
                rows.add((data.id_column, "extra"), Problem(table.display, line, data.id_column, f"id {value!r} is not in the solution"))
            first.setdefault(value, line)
        absent = [i for i in solution.column(data.id_column) if i not in first]
        if absent:
            many = f"{len(absent)} ids of the solution are" if len(absent) > 1 else "1 id of the solution is"
            out.append(Problem(table.display, 1, data.id_column, f"{many} missing, e.g. {absent[0]!r}; list every solution id, Ignored ones too"))
    rows.close()


def _dry_run_custom_metric(check: _Checker, spec: ChallengeSpec, source: str) -> None:
    """Score the sample submission with the custom metric, sealed as the workers will run it."""
    from ultrathon.scorers.errors import SCORING_FAILED, ScoringError, SubmissionError
    from ultrathon.sealed import default_scorer, score_sealed

    sample = spec.data.sample_submission
    if not sample or sample not in check.files:
        return
    try:
        score_sealed(spec, check.files[sample], check.files[spec.data.solution], source, bootstrap=False,
                     scorer=default_scorer())
    except SubmissionError as error:
        check.problems.append(Problem(check.display(sample), 1, WHOLE_FILE, f"the custom metric cannot score it: {error}"))
    except ScoringError as error:
        # Organisers read their own metric's error, not the plain message their teams would.
        detail = error.detail.strip().splitlines()
        what = detail[-1] if error.message == SCORING_FAILED and detail else error.message
        check.problems.append(Problem(check.display(spec.metrics.custom_file), 1, WHOLE_FILE,
                                      f"the custom metric failed on {sample}: {what}"))


def _check_scorer(check: _Checker, raw: dict, flagged: set) -> str | None:
    """Check the custom scorer file parses and defines its function; return its source."""
    metrics = raw.get("metrics")
    if not isinstance(metrics, dict) or ("metrics",) in flagged or not isinstance(metrics.get("custom"), str):
        return None
    file_name, _, function = metrics["custom"].partition(":")
    function = function or CUSTOM_FUNCTION
    source = check.text(file_name, ("metrics", "custom"))
    if source is None:
        return None
    try:
        tree = ast.parse(source, filename=file_name)
    except SyntaxError as error:
        check.problems.append(Problem(check.display(file_name), error.lineno or 1, WHOLE_FILE, f"is not valid Python: {error.msg}"))
        return None
    defined = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    if function not in defined:
        check.at_yaml(("metrics", "custom"), f"{file_name} defines no top-level function {function!r}")
        return None
    return source


# --- Commands --------------------------------------------------------------------------------

def validate_command(dirs: Iterable[str | Path], out: TextIO | None = None) -> int:
    """Validate challenge folders, print every problem; return 1 if any, else 0."""
    out = out or sys.stdout
    failed = 0
    for folder in dirs:
        try:
            challenge = validate_folder(folder)
        except ChallengeInvalid as invalid:
            failed += 1
            for problem in invalid.problems:
                print(problem.render(), file=out)
        else:
            print(f"{folder}: ok ({challenge.slug})", file=out)
    return 1 if failed else 0


@dataclass(frozen=True)
class FolderSummary:
    """One challenge folder as `challenges list` shows it."""

    folder: Path
    slug: str | None
    title: str | None
    task: str | None
    opens: str | None
    closes: str | None
    problems: int


def list_folders(root: str | Path = "challenges") -> list[FolderSummary]:
    """Return every challenge folder under root, each validated."""
    found = []
    root = Path(root)
    for folder in sorted(p for p in root.iterdir() if (p / YAML_NAME).is_file()) if root.is_dir() else []:
        try:
            challenge = validate_folder(folder)
        except ChallengeInvalid as invalid:
            found.append(FolderSummary(folder, None, None, None, None, None, len(invalid.problems)))
        else:
            spec = challenge.spec
            found.append(FolderSummary(folder, spec.slug, spec.title, spec.task, spec.opens.isoformat(), spec.closes.isoformat(), 0))
    return found


def list_command(root: str | Path = "challenges", out: TextIO | None = None) -> int:
    """Print the challenge folders under root; return 1 if any is invalid."""
    out = out or sys.stdout
    summaries = list_folders(root)
    if not summaries:
        print(f"no challenge folders under {root}", file=out)
    for s in summaries:
        if s.problems:
            print(f"{s.folder}  INVALID ({s.problems} problems; run `ultrathon challenges validate {s.folder}`)", file=out)
        else:
            print(f"{s.slug}  {s.task}  {s.opens} -> {s.closes}  {s.title}", file=out)
    return 1 if any(s.problems for s in summaries) else 0
