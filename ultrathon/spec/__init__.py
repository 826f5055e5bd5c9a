"""The challenge YAML schema: the one place that knows what a challenge.yaml may say."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, Union

from pydantic import (
    AfterValidator,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ultrathon.i18n import N_, gettext as _
from ultrathon.metric_catalogue import CATALOGUE, CUSTOM, MetricFacts

from .access import AccessSpec
from .cross_checks import cross_problems
from .feedback import FEEDBACK_MODES, FeedbackSpec
from .method_card import MethodCardSpec
from .scoring import AgentSplitSizes, ScoringSpec, SitePin
from .phases import MAIN_PHASE, CombinePhases, LimitsSpec, PhaseSettings, PhaseSpec, fill_window, resolve_phases
from .strict import StrictModel
from .vocabulary import (
    CI_METHODS,
    SLUG_RULE,
    TASKS,
    USAGE_VALUES,
    ZONE_EXAMPLE,
    CiMethod,
    FileName,
    Path,
    RankingScheme,
    TaskType,
    custom_reference_parts,
    dotted_key,
    plain_file_name,
    zoned_time,
)
from .wording import error_message, kind_of, meant_key, raw_path

__all__ = [
    "CI_METHODS", "SLUG_RULE", "TASKS", "USAGE_VALUES", "ZONE_EXAMPLE", "ChallengeSpec", "ColumnName",
    "AgentSplitSizes", "DataSpec", "FEEDBACK_MODES", "FeedbackSpec", "FileName", "LeaderboardSpec", "LimitsSpec", "MethodCardSpec", "MetricsSpec", "Path",
    "MAIN_PHASE", "PhaseSettings", "PhaseSpec", "RankingSpec", "ResultsSpec",
    "SchemaProblem", "ScoringSpec", "SitePin", "SplitSpec", "SubmissionSpec", "SurvivalTarget", "TaskType", "TeamsSpec", "TermsSpec",
    "custom_reference_parts", "dotted_key", "parse_spec", "plain_file_name", "schema_problems",
]

_CUSTOM_REF = re.compile(r"^(?P<file>[^:]+\.py)(:(?P<function>[A-Za-z_][A-Za-z0-9_]*))?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _column_name(value: str) -> str:
    if not value.strip():
        raise ValueError(_("a column name cannot be empty"))
    return value


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(_("%(value)s is not an e-mail address", value=repr(value)))
    return value


def _custom_ref(value: str) -> str:
    match = _CUSTOM_REF.match(value)
    if not match:
        raise ValueError(_("%(value)s should name FILE.py or FILE.py:FUNCTION, e.g. scorer.py:score", value=repr(value)))
    plain_file_name(match["file"])
    return value


ColumnName = Annotated[str, AfterValidator(_column_name)]


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
    phase_column: ColumnName | None = None  # with phases: the solution column naming each row's phase

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
    # What a missing id or an empty prediction cell becomes: see docs/challenge-format.md.
    missing: Literal["refuse", "worst", "prevalence"] = "refuse"
    # How the CSV is written; auto reads the delimiter from the header line (see docs/challenge-format.md).
    delimiter: Literal["auto", ",", ";", "\t"] = "auto"
    decimal: Literal["auto", ".", ","] = "auto"
    # survival_curve: one column per horizon, each the probability of surviving past it.
    kind: Literal["standard", "survival_curve"] = "standard"
    horizons: list[float] | None = None
    figure_horizon: float | None = None  # the horizon figures are drawn at; the middle one by default

    @model_validator(mode="after")
    def _default_figure_horizon(self) -> SubmissionSpec:
        if self.figure_horizon is None and self.horizons:
            # The earlier of the two middle horizons for an even count.
            object.__setattr__(self, "figure_horizon", self.horizons[(len(self.horizons) - 1) // 2])
        return self

    @property
    def curves(self) -> bool:
        """Return True when a submission is survival curves, one column per horizon."""
        return self.kind == "survival_curve"


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
        return custom_reference_parts(self.custom)[0] if self.custom else None

    @property
    def custom_function(self) -> str | None:
        """Return the name of the custom scoring function, if any."""
        return custom_reference_parts(self.custom)[1] if self.custom else None

    def facts(self, name: str | None = None) -> MetricFacts:
        """Return what the metric `name` (the primary by default) is: label, description, direction."""
        name = name or self.primary
        if name == CUSTOM:
            # Marked here, translated where they are shown.
            return MetricFacts(CUSTOM, N_("Custom metric"), frozenset(), self.custom_higher_is_better,
                               N_("A metric written by the organisers; see the description."))
        return CATALOGUE[name]


class LeaderboardSpec(StrictModel):
    """How the leaderboard shows scores."""

    decimals: int = Field(default=4, ge=0, le=10)
    bootstrap: int = Field(default=1000, ge=0, le=10000)
    top_k: int = Field(default=20, ge=1, le=200)
    ci_level: float = 0.95  # of every interval: scores, subgroups, rank intervals, the tie with the leader
    ci_method: CiMethod = "percentile"  # of score intervals; the others are percentile intervals
    combine: Literal["mean", "worst"] = "mean"  # how several sites' scores make the ranked one (sites)

    @field_validator("ci_level")
    @classmethod
    def _a_level(cls, value: float) -> float:
        if not 0.5 < value < 1:
            raise ValueError(_("should be a fraction strictly between 0.5 and 1, e.g. 0.95 for a 95% interval"))
        return value


class RankingSpec(StrictModel):
    """How teams are ordered: by the primary metric, or by a multi-metric scheme (docs: Ranking)."""

    scheme: RankingScheme = "primary"
    metrics: list[str] | None = None  # default: the primary and the secondary metrics that can rank

    def chosen(self, metrics: MetricsSpec) -> list[str]:
        """Return the metrics that rank, in the order given (by default the primary first)."""
        if self.metrics is not None:
            return list(self.metrics)
        return [m for m in metrics.all if metrics.facts(m).ranks]


class TeamsSpec(StrictModel):
    """Team rules."""

    max_size: int = Field(default=5, ge=1)


class TermsSpec(StrictModel):
    """The data-use terms every team accepts before it sees the data."""

    version: str = "1"
    text: str = (
        "The data are de-identified patient data provided for this challenge only. "
        "Do not attempt to re-identify anyone, do not share the data outside your team, "
        "and delete them when the challenge ends."
    )
    # The language the text is written in (a BCP 47 tag); each acceptance records it with the text's digest.
    language: str = Field(default="en", pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$", max_length=35)
    # After the close, every team member attests that they deleted the data (platform/terms/attestation.py).
    deletion_attestation: bool = False
    attestation_text: str = Field(
        default="I have deleted every copy of this challenge's data that I or my team held, as its terms require.",
        min_length=1, max_length=2000)


class ResultsSpec(StrictModel):
    """When the private standings reach teams after the close: at once, or when an organiser publishes them."""

    publish: Literal["manual", "at_close"] = "manual"


class ChallengeSpec(StrictModel):
    """A whole challenge.yaml."""

    slug: str = Field(pattern=f"^{SLUG_RULE}$")
    title: str = Field(min_length=1, max_length=200)
    summary: str = Field(default="", max_length=500)
    # The language pages speak to a visitor whose browser asks for none of ours ("en", "da" or "sv").
    language: Literal["en", "da", "sv"] = "en"
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
    ranking: RankingSpec = Field(default_factory=RankingSpec)
    limits: LimitsSpec = Field(default_factory=LimitsSpec)
    feedback: FeedbackSpec = Field(default_factory=FeedbackSpec)  # of every phase that sets none
    phases: list[PhaseSpec] | None = Field(default=None, min_length=1)
    combine_phases: CombinePhases = "final_phase_only"  # how the combined view ranks teams across phases
    teams: TeamsSpec = Field(default_factory=TeamsSpec)
    scoring: ScoringSpec = Field(default_factory=ScoringSpec)
    terms: TermsSpec = Field(default_factory=TermsSpec)
    access: AccessSpec = Field(default_factory=AccessSpec)  # who may take part (spec/access.py)
    results: ResultsSpec = Field(default_factory=ResultsSpec)
    method_card: MethodCardSpec = Field(default_factory=MethodCardSpec)  # what a final entry's card holds
    subgroups: list[ColumnName] = Field(default_factory=list)
    # Data holders that each keep their own part of the hidden rows (scoring.where: agent only).
    sites: list[Annotated[str, Field(pattern=f"^{SLUG_RULE}$")]] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _window_of_phases(cls, value: Any) -> Any:
        return fill_window(value)  # with phases, opens and closes may be left to them

    @field_validator("opens", "closes")
    @classmethod
    def _carries_zone(cls, value: datetime) -> datetime:
        return zoned_time(value)

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

    @property
    def phase_list(self) -> list[PhaseSettings]:
        """Return the phases, resolved, in order: one MAIN_PHASE when the YAML lists none."""
        return resolve_phases(self)

    def phase(self, slug: str) -> PhaseSettings | None:
        """Return the phase with this slug, if any."""
        return next((p for p in self.phase_list if p.slug == slug), None)

    @property
    def public_files(self) -> list[str]:
        """Return every public file of the challenge and its phases, each once, in the order listed."""
        names = list(self.data.public)
        for phase in self.phase_list:
            names += [n for n in phase.public if n not in names]
        return names

    def released_at(self, name: str) -> datetime | None:
        """Return when a public file may first be downloaded: None for data.public, else its first phase's opening."""
        if name in self.data.public:
            return None
        return min((p.opens for p in self.phase_list if name in p.public), default=None)

    @property
    def replicated_metrics(self) -> list[str]:
        """Return the metrics besides the primary whose bootstrap replicates are stored: those a multi-metric scheme ranks by."""
        if self.ranking.scheme == "primary":
            return []
        return [m for m in self.ranking.chosen(self.metrics) if m != self.metrics.primary]


# --- Problems, each at the key path the organiser wrote --------------------------------------


@dataclass(frozen=True)
class SchemaProblem:
    """One thing wrong in challenge.yaml, at a key path such as ("data", "public", 1)."""

    path: Path
    message: str

    @property
    def key(self) -> str:
        """Return the dotted key, e.g. data.public[1]."""
        return dotted_key(self.path)


def schema_problems(raw: Any) -> list[SchemaProblem]:
    """Return every problem of a parsed challenge.yaml: field by field, then across fields."""
    if not isinstance(raw, dict):
        return [SchemaProblem((), _("challenge.yaml should be a mapping of keys, but it is empty") if raw is None
                              else _("challenge.yaml should be a mapping of keys, but it is %(kind)s",
                                     kind=kind_of(raw, article=True)))]
    found: list[tuple[Path, str, str]] = []  # (key path, pydantic's error type, the message)
    try:
        ChallengeSpec.model_validate(raw, context={"cross_checks": False})
    except ValidationError as error:
        for detail in error.errors(include_url=False):
            path = raw_path(raw, detail["loc"], detail["type"])
            found.append((path, detail["type"], error_message(detail, path, ChallengeSpec)))
    # "missing: target" beside "unknown key 'targte'; did you mean 'target'?" says one thing twice.
    meant = {path[:-1] + (key,) for path, kind, _message in found
             if kind == "extra_forbidden" and (key := meant_key(ChallengeSpec, path))}
    problems = [SchemaProblem(path, message) for path, kind, message in found if not (kind == "missing" and path in meant)]
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
