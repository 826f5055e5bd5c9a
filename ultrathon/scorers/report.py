"""The result of scoring one submission: per split, per metric, with uncertainty and subgroups."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
from dataclasses import dataclass, field, fields

import numpy as np

from ultrathon.scorers.curves import curves_from_dict
from ultrathon.scorers.horizon_table import horizons_from_dict

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
    # Reliability bins and decision curve (curves.binary_curves, or survival_curves at a horizon); else None.
    curves: dict | None = field(default=None, repr=False)
    n_filled: int = 0  # predictions filled as submission.missing says: missing ids and empty cells
    # td_auc and Brier per horizon with CIs (horizon_table.py); None unless the predictions are survival curves.
    horizons: dict | None = field(default=None, repr=False)
    # The replicates of the other metrics a multi-metric ranking scheme ranks by, paired with `replicates`.
    metric_replicates: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    def metric_replicates_json(self) -> dict[str, list[float | None]] | None:
        """Return the ranking metrics' replicates as JSON-ready lists (NaN becomes None); None when there are none."""
        if not self.metric_replicates:
            return None
        return {name: [_finite_or_none(v) for v in values] for name, values in self.metric_replicates.items()}

    @property
    def n_undefined(self) -> int:
        """Return how many bootstrap resamples the primary metric was undefined on (left out of the CI)."""
        return 0 if self.replicates is None else int(np.count_nonzero(~np.isfinite(self.replicates)))

    def to_dict(self) -> dict:
        """Return the split's scores as JSON-ready data (NaN and infinities become None)."""
        return {
            "metrics": {name: _finite_or_none(value) for name, value in self.metrics.items()},
            "ci_low": _finite_or_none(self.ci_low),
            "ci_high": _finite_or_none(self.ci_high),
            "n_rows": self.n_rows,
            "n_positive": self.n_positive,
            "n_filled": self.n_filled,
            "n_resamples": 0 if self.replicates is None else int(self.replicates.size),
            "n_undefined": self.n_undefined,
            "curves": self.curves,
            "horizons": self.horizons,
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
        """Return the cell as JSON-ready data (NaN and infinities become None)."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data.update({name: _finite_or_none(data[name]) for name in ("value", "ci_low", "ci_high")})
        return data


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
            for metric, values in sorted(self.splits[name].metric_replicates.items()):
                digest.update(metric.encode() + b"\0" + np.asarray(values, dtype="<f8").tobytes())
        return digest.hexdigest()


class ReportInvalid(ValueError):
    """A report received from a scoring process that does not have the shape of one."""


def report_to_wire(report: ScoreReport) -> dict:
    """Return the report, replicates included, as JSON-ready data that report_from_wire reads back."""
    data = report.to_dict()
    for name, split in report.splits.items():
        data["splits"][name]["replicates"] = base64.b64encode(report.replicates_bytes(name)).decode("ascii")
        data["splits"][name]["metric_replicates"] = {
            metric: base64.b64encode(np.asarray(values, dtype="<f8").tobytes()).decode("ascii")
            for metric, values in split.metric_replicates.items()
        }
    return data


def report_from_wire(data: object, metrics: list[str], n_resamples: int) -> ScoreReport:
    """Rebuild a report sent by report_to_wire, checking every field; raise ReportInvalid."""
    try:
        return _report_from_wire(data, set(metrics), n_resamples)
    except ReportInvalid:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, binascii.Error) as error:
        raise ReportInvalid(f"malformed report: {type(error).__name__}: {error}") from None


def _number(value: object, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ReportInvalid(f"{where} is {type(value).__name__}, not a number")
    return float(value)


def _count(value: object, where: str, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ReportInvalid(f"{where} is not a count")
    return value


def _integer(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ReportInvalid(f"{where} is not an integer")
    return value


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or len(value) > 1000:
        raise ReportInvalid(f"{where} is not a short text")
    return value


def _report_from_wire(data: object, metrics: set[str], n_resamples: int) -> ScoreReport:
    if not isinstance(data, dict):
        raise ReportInvalid("the report is not an object")
    splits = {}
    if not isinstance(data["splits"], dict) or not set(data["splits"]) <= set(SPLITS):
        raise ReportInvalid("the report's splits are not public and private")
    for name, split in data["splits"].items():
        if set(split["metrics"]) != metrics:
            raise ReportInvalid(f"split {name} scores {sorted(split['metrics'])}, not the challenge's metrics {sorted(metrics)}")
        values = {m: (v if (v := _number(x, f"{name}.{m}")) is not None else math.nan) for m, x in split["metrics"].items()}
        raw = base64.b64decode(split["replicates"], validate=True)
        if len(raw) not in (0, 8 * n_resamples):
            raise ReportInvalid(f"split {name} has {len(raw) / 8:g} replicates, not {n_resamples}")
        replicates = ScoreReport.replicates_from_bytes(raw) if raw else None
        ranking = {}
        for metric, encoded in split.get("metric_replicates", {}).items():
            if metric not in metrics:
                raise ReportInvalid(f"split {name} has replicates of {metric!r}, not a metric of the challenge")
            decoded = base64.b64decode(encoded, validate=True)
            if len(decoded) != len(raw):
                raise ReportInvalid(f"split {name} has {len(decoded) / 8:g} replicates of {metric}, not {len(raw) // 8}")
            ranking[metric] = ScoreReport.replicates_from_bytes(decoded)
        splits[name] = SplitScore(values, _number(split["ci_low"], f"{name}.ci_low"), _number(split["ci_high"], f"{name}.ci_high"),
                                  _count(split["n_rows"], f"{name}.n_rows"),
                                  _count(split["n_positive"], f"{name}.n_positive", optional=True), replicates,
                                  curves_from_dict(split["curves"]),
                                  n_filled=_count(split["n_filled"], f"{name}.n_filled"),
                                  horizons=horizons_from_dict(split.get("horizons")), metric_replicates=ranking)
    if not isinstance(data["subgroups"], list) or len(data["subgroups"]) > 10_000:
        raise ReportInvalid("the report's subgroups are not a list of cells")
    cells = []
    for cell in data["subgroups"]:
        if cell["split"] not in SPLITS or not isinstance(cell["suppressed"], bool):
            raise ReportInvalid("a subgroup cell names no split or suppression")
        cells.append(SubgroupScore(
            split=cell["split"], column=_text(cell["column"], "subgroup column"), group=_text(cell["group"], "subgroup group"),
            n=_count(cell["n"], "subgroup n", optional=True), n_positive=_count(cell["n_positive"], "subgroup n_positive", optional=True),
            value=_number(cell["value"], "subgroup value"), ci_low=_number(cell["ci_low"], "subgroup ci_low"),
            ci_high=_number(cell["ci_high"], "subgroup ci_high"), suppressed=cell["suppressed"]))
    if data["primary"] not in metrics or not isinstance(data["higher_is_better"], bool):
        raise ReportInvalid("the report's primary metric is not the challenge's")
    return ScoreReport(splits=splits, subgroups=cells, primary=data["primary"], higher_is_better=data["higher_is_better"],
                       version=_text(data["version"], "version"), seed=_integer(data["seed"], "seed"),
                       n_resamples=_count(data["n_resamples"], "n_resamples"))
