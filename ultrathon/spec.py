"""The challenge YAML schema: the one place that knows what a challenge.yaml may say."""

from __future__ import annotations

import difflib
import math
import re
import typing
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ultrathon.metric_catalogue import CATALOGUE, CUSTOM, MetricFacts

TaskType = Literal["binary", "multiclass", "regression", "survival"]
TASKS: tuple[str, ...] = typing.get_args(TaskType)
USAGE_VALUES = ("Public", "Private", "Ignored")
ZONE_EXAMPLE = "2027-01-04T09:00:00+01:00"
SLUG_RULE = r"[a-z0-9][a-z0-9-]{1,62}[a-z0-9]"  # lower-case letters, digits and hyphens; 3-64 long

# Plain names only: files are served by name at /files/<name> and read from inside the folder,
# so a name with a separator or a leading dot could reach outside it or hide in a listing.
_FILE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$")
_CUSTOM_REF = re.compile(r"^(?P<file>[^:]+\.py)(:(?P<function>[A-Za-z_][A-Za-z0-9_]*))?$")
CUSTOM_FUNCTION = "score"  # the function a custom reference names when it names only the file
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def plain_file_name(value: str) -> str:
    """Return value if it names a file directly inside the challenge folder, else raise ValueError."""
    if not _FILE_NAME.match(value) or value.endswith(".") or ".." in value:
        raise ValueError(
            f"{value!r} is not a plain file name in the challenge folder "
            "(letters, digits, '.', '_', '-'; no folders)"
        )
    return value


def _column_name(value: str) -> str:
    if not value.strip():
        raise ValueError("a column name cannot be empty")
    return value


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not an e-mail address")
    return value


def _custom_ref(value: str) -> str:
    match = _CUSTOM_REF.match(value)
    if not match:
        raise ValueError(f"{value!r} should name FILE.py or FILE.py:FUNCTION, e.g. scorer.py:score")
    plain_file_name(match["file"])
    return value


FileName = Annotated[str, AfterValidator(plain_file_name)]
ColumnName = Annotated[str, AfterValidator(_column_name)]


class StrictModel(BaseModel):
    """A schema node that refuses keys it does not know."""

    # Numbers become text where text is expected: `version: 1` and `classes: [1, 2, 3]` mean
    # what they say; booleans still fail, since `classes: [no, yes]` has lost its spelling.
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


class SurvivalTarget(StrictModel):
    """The time and event columns of a survival outcome."""

    time: ColumnName
    event: ColumnName


def _target_kind(value: Any) -> str:
    return "survival" if isinstance(value, (dict, SurvivalTarget)) else "column"


Target = Annotated[
    Union[Annotated[ColumnName, Tag("column")], Annotated[SurvivalTarget, Tag("survival")]],
    Discriminator(_target_kind),
]


class DataSpec(StrictModel):
    """Where the data live and which columns are the outcome."""

    id_column: ColumnName
    public: list[FileName] = Field(default_factory=list)
    solution: FileName = "solution.csv"
    sample_submission: FileName | None = "sample_submission.csv"
    target: Target
    classes: list[ColumnName] | None = None

    @property
    def target_columns(self) -> list[str]:
        """Return the solution columns that hold the outcome."""
        if isinstance(self.target, SurvivalTarget):
            return [self.target.time, self.target.event]
        return [self.target]


class SubmissionSpec(StrictModel):
    """What a team uploads."""

    columns: list[ColumnName] = Field(min_length=1)
    max_mb: float = Field(default=20, gt=0, le=500)


class SplitSpec(StrictModel):
    """How solution rows divide into the public and private leaderboards."""

    usage_column: ColumnName | None = "Usage"
    public_fraction: float = Field(default=0.3, gt=0, lt=1)
    seed: int = 0


class MetricsSpec(StrictModel):
    """Which metrics score a submission; the primary one ranks."""

    primary: str
    secondary: list[str] = Field(default_factory=list)
    options: dict[str, Any] = Field(default_factory=dict)
    custom: Annotated[str, AfterValidator(_custom_ref)] | None = None  # "scorer.py:score" or "scorer.py"
    custom_higher_is_better: bool = True

    @property
    def all(self) -> list[str]:
        """Return the primary metric followed by the secondary ones."""
        return [self.primary, *[m for m in self.secondary if m != self.primary]]

    @property
    def custom_file(self) -> str | None:
        """Return the file that holds the custom scorer, if any."""
        return self.custom.split(":", 1)[0] if self.custom else None

    @property
    def custom_function(self) -> str | None:
        """Return the name of the custom scoring function, if any."""
        if not self.custom:
            return None
        return self.custom.split(":", 1)[1] if ":" in self.custom else CUSTOM_FUNCTION

    def facts(self, name: str | None = None) -> MetricFacts:
        """Return what the metric `name` (the primary by default) is: label, description, direction."""
        name = name or self.primary
        if name == CUSTOM:
            return MetricFacts(CUSTOM, "Custom metric", frozenset(), self.custom_higher_is_better,
                               "A metric written by the organisers; see the description.")
        return CATALOGUE[name]


class LeaderboardSpec(StrictModel):
    """How the leaderboard shows scores."""

    decimals: int = Field(default=4, ge=0, le=10)
    bootstrap: int = Field(default=1000, ge=0, le=10000)
    top_k: int = Field(default=20, ge=1, le=200)


class LimitsSpec(StrictModel):
    """Submission quotas per team."""

    per_day: int = Field(default=5, ge=1)
    total: int | None = Field(default=None, ge=1)
    final_selections: int = Field(default=2, ge=1)


class TeamsSpec(StrictModel):
    """Team rules."""

    max_size: int = Field(default=5, ge=1)


class ScoringSpec(StrictModel):
    """The limits of the sealed process that scores each submission."""

    timeout_s: int = Field(default=600, ge=5, le=86400)  # CPU and wall-clock seconds
    memory_mb: int = Field(default=2048, ge=256, le=65536)  # address space
    max_processes: int = Field(default=0, ge=0, le=64)  # processes or threads it may start
    max_output_mb: int = Field(default=16, ge=1, le=1024)  # its report, and files it writes


class TermsSpec(StrictModel):
    """The data-use terms every team accepts before it sees the data."""

    version: str = "1"
    text: str = (
        "The data are de-identified patient data provided for this challenge only. "
        "Do not attempt to re-identify anyone, do not share the data outside your team, "
        "and delete them when the challenge ends."
    )


class ChallengeSpec(StrictModel):
    """A whole challenge.yaml."""

    slug: str = Field(pattern=f"^{SLUG_RULE}$")
    title: str = Field(min_length=1, max_length=200)
    summary: str = Field(default="", max_length=500)
    description: FileName = "README.md"
    task: TaskType
    opens: datetime
    closes: datetime
    organisers: list[Annotated[str, AfterValidator(_email)]] = Field(default_factory=list)
    data: DataSpec
    submission: SubmissionSpec
    split: SplitSpec = Field(default_factory=SplitSpec)
    metrics: MetricsSpec
    leaderboard: LeaderboardSpec = Field(default_factory=LeaderboardSpec)
    limits: LimitsSpec = Field(default_factory=LimitsSpec)
    teams: TeamsSpec = Field(default_factory=TeamsSpec)
    scoring: ScoringSpec = Field(default_factory=ScoringSpec)
    terms: TermsSpec = Field(default_factory=TermsSpec)
    subgroups: list[ColumnName] = Field(default_factory=list)

    @field_validator("opens", "closes")
    @classmethod
    def _carries_zone(cls, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"a time must carry a zone, e.g. {ZONE_EXAMPLE}")
        return value

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> ChallengeSpec:
        # schema_problems() runs these checks itself, on the raw YAML, so that they are
        # reported with their own keys and alongside every per-field problem.
        if info.context and info.context.get("cross_checks") is False:
            return self
        problems = cross_problems(self.model_dump(mode="python"))
        if problems:
            raise ValueError("; ".join(f"{dotted_key(path)}: {message}" for path, message in problems))
        return self

    @property
    def target_columns(self) -> list[str]:
        """Return the solution columns that hold the outcome."""
        return self.data.target_columns


# --- Problems with their YAML key paths -------------------------------------------------------

Path = tuple[Union[str, int], ...]


@dataclass(frozen=True)
class SchemaProblem:
    """One thing wrong in challenge.yaml, at a key path such as ("data", "public", 1)."""

    path: Path
    message: str

    @property
    def key(self) -> str:
        """Return the dotted key, e.g. data.public[1]."""
        return dotted_key(self.path)


def dotted_key(path: Path) -> str:
    """Return a key path as the organiser would write it, e.g. data.public[1]."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(file)"


def schema_problems(raw: Any) -> list[SchemaProblem]:
    """Return every problem of a parsed challenge.yaml: field by field, then across fields."""
    if not isinstance(raw, dict):
        kind = "empty" if raw is None else f"a {_kind(raw)}"
        return [SchemaProblem((), f"challenge.yaml should be a mapping of keys, but it is {kind}")]
    problems: list[SchemaProblem] = []
    try:
        ChallengeSpec.model_validate(raw, context={"cross_checks": False})
    except ValidationError as error:
        for detail in error.errors(include_url=False):
            path = _raw_path(raw, detail["loc"], detail["type"])
            problems.append(SchemaProblem(path, _message(detail, path)))
    # "missing: target" beside "unknown key 'targte'; did you mean 'target'?" says one thing twice.
    meant = {p.path[:-1] + (p.message.split("'")[-2],) for p in problems if "did you mean" in p.message}
    problems = [p for p in problems if not (p.message.startswith("missing:") and p.path in meant)]
    # Options are judged against the chosen metrics, which a faulty metrics section may misstate.
    metrics_faulty = any(p.path[:1] == ("metrics",) for p in problems)
    problems.extend(SchemaProblem(path, message) for path, message in cross_problems(raw, options=not metrics_faulty))
    return problems


def parse_spec(raw: Any) -> ChallengeSpec:
    """Return the ChallengeSpec of a parsed challenge.yaml, or raise ValueError listing every problem."""
    problems = schema_problems(raw)
    if problems:
        raise ValueError("\n".join(f"{p.key}: {p.message}" for p in problems))
    return ChallengeSpec.model_validate(raw, context={"cross_checks": False})


def _raw_path(raw: Any, loc: tuple, error_type: str) -> Path:
    """Map a pydantic error location onto the keys the organiser wrote, dropping union tags."""
    path: list[str | int] = []
    node = raw
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(node, dict) and part in node:
            path.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path.append(part)
            node = node[part]
        elif isinstance(node, dict) and last and error_type == "missing":
            path.append(part)
        # Anything else is a pydantic union tag such as "survival": not a key anyone wrote.
    return tuple(path)


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "mapping"
    if isinstance(value, list):
        return "list"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "text"
    if value is None:
        return "null"
    return type(value).__name__


def _model_at(path: Path) -> type[BaseModel] | None:
    """Return the schema model that describes the mapping at a key path."""
    model: type[BaseModel] | None = ChallengeSpec
    for part in path:
        if model is None or not isinstance(part, str) or part not in model.model_fields:
            return None
        model = _first_model(model.model_fields[part].annotation)
    return model


def _first_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _first_model(arg)
        if found is not None:
            return found
    return None


def _did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]!r}?"
    return "known: " + ", ".join(choices)


_TYPE_MESSAGES = {
    "string_type": "should be text",
    "int_type": "should be a whole number",
    "int_parsing": "should be a whole number",
    "int_from_float": "should be a whole number",
    "float_type": "should be a number",
    "float_parsing": "should be a number",
    "bool_type": "should be true or false",
    "bool_parsing": "should be true or false",
    "list_type": "should be a list, e.g. [a, b]",
    "dict_type": "should be a mapping of keys",
    "model_type": "should be a mapping of keys",
    "model_attributes_type": "should be a mapping of keys",
    "datetime_type": f"should be a date and time with a zone, e.g. {ZONE_EXAMPLE}",
    "datetime_parsing": f"should be a date and time with a zone, e.g. {ZONE_EXAMPLE}",
    "datetime_from_date_parsing": f"should be a date and time with a zone, e.g. {ZONE_EXAMPLE}",
}


def _message(detail: dict, path: Path) -> str:
    kind, given = detail["type"], detail.get("input")
    if kind == "missing":
        return "missing: this key is required"
    if kind == "extra_forbidden":
        model = _model_at(path[:-1])
        known = list(model.model_fields) if model else []
        return f"unknown key {path[-1]!r}; " + _did_you_mean(str(path[-1]), known)
    if kind == "literal_error" and path == ("task",):
        hint = _did_you_mean(str(given), list(TASKS))
        return f"unknown task {given!r}; " + (hint if "did you" in hint else "one of " + ", ".join(TASKS))
    if kind == "string_pattern_mismatch" and path == ("slug",):
        return "should be 3-64 lowercase letters, digits and hyphens, e.g. flchain-survival"
    if kind in _TYPE_MESSAGES:
        return f"{_TYPE_MESSAGES[kind]}, got {_kind(given)} {_short(given)}"
    message = detail["msg"]
    for prefix in ("Value error, ", "Input "):
        if message.startswith(prefix):
            message = message[len(prefix):]
    return message[:1].lower() + message[1:]


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# --- Checks across fields, on the raw YAML so they run even when other keys are wrong --------

_MISSING = object()


def _at(raw: Any, *path: str) -> Any:
    node = raw
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return _MISSING
        node = node[part]
    return node


def _aware_time(value: Any) -> datetime | None:
    try:
        parsed = TypeAdapter(datetime).validate_python(value)
    except ValidationError:
        return None
    return parsed if parsed.utcoffset() is not None else None


def _strings(value: Any) -> list[str] | None:
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value):
        return [str(v) for v in value]
    return None


def _positive_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0


def _check_tau(value: Any) -> str | None:
    return None if _positive_number(value) else "tau should be a positive time, in the unit of the time column"


def _check_horizons(value: Any) -> str | None:
    if isinstance(value, list) and value and all(_positive_number(v) for v in value):
        return None
    return "horizons should be a list of positive times, e.g. [365, 730]"


def _check_specificity(value: Any) -> str | None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < 1
    return None if ok else "specificity should be a number between 0 and 1, e.g. 0.9"


# Values the registry's options must take; an option the registry adds later passes unchecked.
OPTION_CHECKS = {"tau": _check_tau, "horizons": _check_horizons, "specificity": _check_specificity}


def cross_problems(raw: dict, options: bool = True) -> list[tuple[Path, str]]:
    """Return the problems that involve more than one key (dates, task, metrics, columns)."""
    out: list[tuple[Path, str]] = []
    opens, closes = _aware_time(raw.get("opens")), _aware_time(raw.get("closes"))
    if opens and closes and opens >= closes:
        out.append((("closes",), f"must be after opens ({opens.isoformat()})"))

    task = raw.get("task") if raw.get("task") in TASKS else None
    target = _at(raw, "data", "target")
    classes = _strings(_at(raw, "data", "classes"))
    if task and target is not _MISSING:
        if task == "survival" and not isinstance(target, dict):
            out.append((("data", "target"), "a survival task takes target: {time: COLUMN, event: COLUMN}"))
        elif task != "survival" and isinstance(target, dict):
            out.append((("data", "target"), f"a {task} task takes target: COLUMN; {{time, event}} is for survival"))
    if task == "multiclass" and (classes is None or len(classes) < 2):
        out.append((("data", "classes") if classes is not None else ("data",), "a multiclass task needs data.classes: at least two class names"))
    if task and task != "multiclass" and _at(raw, "data", "classes") not in (_MISSING, None):
        out.append((("data", "classes"), "classes apply to a multiclass task only"))
    if classes and len(set(classes)) != len(classes):
        out.append((("data", "classes"), "a class is listed twice"))

    out += _column_problems(raw, task, target, classes)
    out += _file_name_problems(raw)
    out += _metric_problems(raw, task, options)
    return out


def _column_problems(raw: dict, task: str | None, target: Any, classes: list[str] | None) -> list[tuple[Path, str]]:
    out: list[tuple[Path, str]] = []
    id_column = _at(raw, "data", "id_column")
    id_column = id_column if isinstance(id_column, str) else None
    targets = [v for v in (target.values() if isinstance(target, dict) else [target]) if isinstance(v, str)]
    if id_column and id_column in targets:
        out.append((("data", "id_column"), "the id column cannot also be a target column"))
    columns = _strings(_at(raw, "submission", "columns"))
    if columns:
        if len(set(columns)) != len(columns):
            out.append((("submission", "columns"), "a column is listed twice"))
        if id_column in columns:
            out.append((("submission", "columns"), f"lists the id column {id_column!r}; name the prediction columns only"))
        if task == "multiclass" and classes and sorted(set(columns)) != sorted(set(classes)):
            out.append((("submission", "columns"), "a multiclass task takes one probability column per class, named as data.classes: " + ", ".join(classes)))
        if task in ("binary", "regression", "survival") and len(columns) != 1:
            example = {"binary": "probability", "regression": "prediction", "survival": "risk"}[task]
            out.append((("submission", "columns"), f"a {task} task takes one prediction column, e.g. [{example}]"))
    usage = _at(raw, "split", "usage_column")
    if isinstance(usage, str) and (usage == id_column or usage in targets):
        out.append((("split", "usage_column"), "must be a column of its own, not the id or a target column"))
    subgroups = _at(raw, "subgroups")
    if isinstance(subgroups, list):
        seen: set[str] = set()
        for i, name in enumerate(subgroups):
            if not isinstance(name, str):
                continue
            if name in seen:
                out.append((("subgroups", i), f"{name!r} is listed twice"))
            elif name == id_column or name in targets:
                out.append((("subgroups", i), f"{name!r} is the id or a target column; subgroups are other solution columns"))
            seen.add(name)
    return out


def _file_name_problems(raw: dict) -> list[tuple[Path, str]]:
    out: list[tuple[Path, str]] = []
    public = _at(raw, "data", "public")
    public = public if isinstance(public, list) else []
    seen: set[Any] = set()
    for i, name in enumerate(public):
        if isinstance(name, str) and name in seen:
            out.append((("data", "public", i), f"{name!r} is listed twice"))
        seen.add(name if isinstance(name, str) else None)
    solution = _at(raw, "data", "solution")
    solution = "solution.csv" if solution is _MISSING else solution
    if isinstance(solution, str) and solution in public:
        out.append((("data", "public", public.index(solution)), f"{solution!r} is the hidden solution; it cannot be public"))
    sample = _at(raw, "data", "sample_submission")
    sample_path: Path = ("data", "sample_submission")
    if sample is _MISSING:
        sample, sample_path = "sample_submission.csv", ("data", "public")
    if isinstance(sample, str) and isinstance(_at(raw, "data", "public"), list) and sample not in public:
        out.append((sample_path, f"the sample submission {sample!r} must be one of data.public"))
    return out


def _metric_problems(raw: dict, task: str | None, check_options: bool) -> list[tuple[Path, str]]:
    out: list[tuple[Path, str]] = []
    metrics = raw.get("metrics")
    if not isinstance(metrics, dict):
        return out
    named: list[tuple[Path, str]] = []
    if isinstance(metrics.get("primary"), str):
        named.append((("metrics", "primary"), metrics["primary"]))
    if isinstance(metrics.get("secondary"), list):
        named += [(("metrics", "secondary", i), m) for i, m in enumerate(metrics["secondary"]) if isinstance(m, str)]
    fitting = [n for n, m in CATALOGUE.items() if task is None or task in m.tasks]
    chosen: list[str] = []
    for path, name in named:
        if name in chosen:
            out.append((path, f"{name!r} is already named"))
            continue
        chosen.append(name)
        if name == CUSTOM:
            continue
        if name not in CATALOGUE:
            hint = _did_you_mean(name, fitting + [CUSTOM])
            out.append((path, f"unknown metric {name!r}; {hint}"))
        elif task and task not in CATALOGUE[name].tasks:
            out.append((path, f"{name!r} does not fit a {task} task; metrics for {task}: " + ", ".join(fitting)))
        elif path == ("metrics", "primary") and not CATALOGUE[name].ranks:
            out.append((path, f"{name!r} cannot rank a leaderboard (its ideal is a value, not an extreme); "
                              "name it in metrics.secondary"))

    custom = metrics.get("custom")
    if CUSTOM in chosen and not custom:
        path = next(p for p, n in named if n == CUSTOM)
        out.append((path, "the custom metric needs metrics.custom: FILE.py:FUNCTION, e.g. scorer.py:score"))
    if custom and CUSTOM not in chosen:
        out.append((("metrics", "custom"), "is set, but neither metrics.primary nor metrics.secondary is 'custom'"))

    options = metrics.get("options")
    if isinstance(options, dict) and check_options:
        takes = sorted({o for n in chosen if n in CATALOGUE for o in CATALOGUE[n].options})
        for option, value in options.items():
            path = ("metrics", "options", option)
            if option in takes:
                check = OPTION_CHECKS.get(option)
                message = check(value) if check else None
                if message:
                    out.append((path, message))
            elif CUSTOM not in chosen:  # a custom scorer receives every option
                if takes:
                    out.append((path, f"unknown option {option!r}; " + _did_you_mean(str(option), takes)))
                else:
                    out.append((path, f"unknown option {option!r}; the chosen metrics take no options"))
    return out
