"""The challenge YAML schema: the one place that knows what a challenge.yaml may say."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

TaskType = Literal["binary", "multiclass", "regression", "survival"]
USAGE_VALUES = ("Public", "Private", "Ignored")


class StrictModel(BaseModel):
    """A schema node that refuses keys it does not know."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SurvivalTarget(StrictModel):
    """The time and event columns of a survival outcome."""

    time: str
    event: str


class DataSpec(StrictModel):
    """Where the data live and which columns are the outcome."""

    id_column: str
    public: list[str] = Field(default_factory=list)
    solution: str = "solution.csv"
    target: str | SurvivalTarget
    classes: list[str] | None = None

    @property
    def target_columns(self) -> list[str]:
        """Return the solution columns that hold the outcome."""
        if isinstance(self.target, SurvivalTarget):
            return [self.target.time, self.target.event]
        return [self.target]


class SubmissionSpec(StrictModel):
    """What a team uploads."""

    columns: list[str] = Field(min_length=1)
    max_mb: float = Field(default=20, gt=0, le=500)


class SplitSpec(StrictModel):
    """How solution rows divide into the public and private leaderboards."""

    usage_column: str | None = "Usage"
    public_fraction: float = Field(default=0.3, gt=0, lt=1)
    seed: int = 0


class MetricsSpec(StrictModel):
    """Which metrics score a submission; the primary one ranks."""

    primary: str
    secondary: list[str] = Field(default_factory=list)
    options: dict[str, Any] = Field(default_factory=dict)
    custom: str | None = None  # "scorer.py:score" beside challenge.yaml, when primary is custom

    @property
    def all(self) -> list[str]:
        """Return the primary metric followed by the secondary ones."""
        return [self.primary, *[m for m in self.secondary if m != self.primary]]


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
    """How long a scoring job may run."""

    timeout_s: int = Field(default=600, ge=5, le=86400)


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

    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$")
    title: str = Field(min_length=1, max_length=200)
    summary: str = Field(default="", max_length=500)
    description: str = "README.md"
    task: TaskType
    opens: datetime
    closes: datetime
    organisers: list[str] = Field(default_factory=list)
    data: DataSpec
    submission: SubmissionSpec
    split: SplitSpec = Field(default_factory=SplitSpec)
    metrics: MetricsSpec
    leaderboard: LeaderboardSpec = Field(default_factory=LeaderboardSpec)
    limits: LimitsSpec = Field(default_factory=LimitsSpec)
    teams: TeamsSpec = Field(default_factory=TeamsSpec)
    scoring: ScoringSpec = Field(default_factory=ScoringSpec)
    terms: TermsSpec = Field(default_factory=TermsSpec)
    subgroups: list[str] = Field(default_factory=list)

    @field_validator("opens", "closes")
    @classmethod
    def _carries_zone(cls, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("a time must carry a zone, e.g. 2027-01-04T09:00:00+01:00")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ChallengeSpec:
        if self.opens >= self.closes:
            raise ValueError("closes must be after opens")
        survival = isinstance(self.data.target, SurvivalTarget)
        if (self.task == "survival") != survival:
            raise ValueError("a survival task takes target: {time, event}; other tasks take target: COLUMN")
        if self.task == "multiclass" and not self.data.classes:
            raise ValueError("a multiclass task needs data.classes")
        return self

    @property
    def target_columns(self) -> list[str]:
        """Return the solution columns that hold the outcome."""
        return self.data.target_columns
