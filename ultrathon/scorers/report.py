"""The result of scoring one submission: per split, per metric, with uncertainty and subgroups."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field

import numpy as np

SPLITS = ("public", "private")


def _finite_or_none(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class SplitScore:
    """Scores on one split: every metric, the primary metric's bootstrap CI, and row counts."""

    metrics: dict[str, float]
    ci_low: float | None
    ci_high: float | None
    n_rows: int
    n_positive: int | None  # positives (binary) or events (survival); None for other tasks
    # The primary metric on each bootstrap resample, in resample order; identical resamples
    # for every submission of a challenge, so replicates pair across teams.
    replicates: np.ndarray | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict:
        """Return the split's scores as JSON-ready data (NaN and infinities become None)."""
        return {
            "metrics": {name: _finite_or_none(value) for name, value in self.metrics.items()},
            "ci_low": _finite_or_none(self.ci_low),
            "ci_high": _finite_or_none(self.ci_high),
            "n_rows": self.n_rows,
            "n_positive": self.n_positive,
            "n_resamples": 0 if self.replicates is None else int(self.replicates.size),
        }


@dataclass(frozen=True)
class SubgroupScore:
    """The primary metric within one group of a subgroup column; a suppressed group has no value and no counts."""

    split: str
    column: str
    group: str
    n: int | None
    n_positive: int | None  # None for other tasks than binary and survival
    value: float | None
    ci_low: float | None
    ci_high: float | None
    suppressed: bool

    def to_dict(self) -> dict:
        """Return the cell as JSON-ready data."""
        return {
            "split": self.split,
            "column": self.column,
            "group": self.group,
            "n": self.n,
            "n_positive": self.n_positive,
            "value": _finite_or_none(self.value),
            "ci_low": _finite_or_none(self.ci_low),
            "ci_high": _finite_or_none(self.ci_high),
            "suppressed": self.suppressed,
        }


@dataclass(frozen=True)
class ScoreReport:
    """Everything a submission's scoring produced, reproducible bit for bit from the same inputs."""

    splits: dict[str, SplitScore]
    subgroups: list[SubgroupScore]
    primary: str
    higher_is_better: bool
    version: str
    seed: int = 0
    n_resamples: int = 0

    def to_dict(self) -> dict:
        """Return the report as JSON-ready data (replicates excluded: see replicates_bytes)."""
        return {
            "version": self.version,
            "primary": self.primary,
            "higher_is_better": self.higher_is_better,
            "seed": self.seed,
            "n_resamples": self.n_resamples,
            "splits": {name: split.to_dict() for name, split in self.splits.items()},
            "subgroups": [cell.to_dict() for cell in self.subgroups],
        }

    def replicates_bytes(self, split: str) -> bytes:
        """Return a split's bootstrap replicates as little-endian float64 bytes (empty if none)."""
        replicates = self.splits[split].replicates
        if replicates is None:
            return b""
        return np.asarray(replicates, dtype="<f8").tobytes()

    @staticmethod
    def replicates_from_bytes(data: bytes) -> np.ndarray:
        """Return replicates stored by replicates_bytes."""
        return np.frombuffer(data, dtype="<f8").astype(np.float64)

    def fingerprint(self) -> str:
        """Return a SHA-256 over the report and its replicates, for audits and re-score checks."""
        digest = hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode())
        for name in sorted(self.splits):
            digest.update(self.replicates_bytes(name))
        return digest.hexdigest()
