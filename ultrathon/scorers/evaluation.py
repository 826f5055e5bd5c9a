"""One metric on chosen rows of a solution: its value, and its value on bootstrap resamples of those rows."""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import numpy as np
import pandas as pd

from ultrathon.i18n import gettext as _
from ultrathon.metric_catalogue import CUSTOM
from ultrathon.scorers.bootstrap import bootstrap_weights
from ultrathon.scorers.custom import call_custom_metric
from ultrathon.scorers.errors import SCORING_FAILED, ScoringError
from ultrathon.scorers.metrics import METRICS, curve_code, metric_options
from ultrathon.scorers.splits import usage_column

if TYPE_CHECKING:
    from ultrathon.spec import ChallengeSpec


@dataclass(frozen=True)
class TaskData:
    """Outcomes and predictions of every solution row, in solution order."""

    y_true: np.ndarray
    y_pred: np.ndarray
    strata: np.ndarray | None  # bootstrap strata: class or event; None for regression
    positive: np.ndarray | None  # what counts as a positive/event, for row counts


class Evaluator:
    """One metric on chosen rows: a value, and its value on bootstrap resamples of those rows."""

    def __init__(self, name: str, data: TaskData, spec: ChallengeSpec, custom: Callable | None,
                 solution: pd.DataFrame, predictions: pd.DataFrame):
        self.name = name
        self.data = data
        self.spec = spec
        self.custom = custom
        if name == CUSTOM:
            self.solution = solution.drop(columns=[c for c in [usage_column(solution, spec)] if c])
            self.predictions = predictions
        else:
            metric = METRICS[name]
            self.fn = metric.fn
            self.batch = metric.batch
            self.options = metric_options(name, spec.metrics.options)
            if spec.submission.curves:
                self.fn, self.batch, self.options = curve_code(name, self.options, spec.submission)

    def value(self, rows: np.ndarray) -> float:
        """Return the metric on these rows; raise ScoringError (safe message) when it cannot."""
        if self.name == CUSTOM:
            return self._custom(rows, renumber=False)
        try:
            return float(self.fn(self.data.y_true[rows], self.data.y_pred[rows], **self.options))
        except MemoryError:
            raise  # the sealed process's memory limit, reported as such
        except Exception as exc:
            raise ScoringError(SCORING_FAILED, detail=_("metric %(name)s: %(trace)s", name=self.name,
                                                                trace=traceback.format_exc())) from exc

    def replicates(self, rows: np.ndarray, stream: int, n_resamples: int) -> np.ndarray:
        """Return the metric on each bootstrap resample of these rows (NaN where undefined)."""
        strata = None if self.data.strata is None else self.data.strata[rows]
        y_true, y_pred = self.data.y_true[rows], self.data.y_pred[rows]
        out = []
        for weights in bootstrap_weights(self.spec.split.seed, rows.size, n_resamples, strata=strata, stream=stream):
            if self.name != CUSTOM and self.batch is not None:
                out.append(np.asarray(self.batch(y_true, y_pred, weights, **self.options), dtype=np.float64))
                continue
            for w in weights:
                if self.name == CUSTOM:
                    out.append(np.array([self._custom(rows[np.repeat(np.arange(rows.size), w)], renumber=True)]))
                    continue
                try:
                    out.append(np.array([float(self.fn(y_true, y_pred, weights=w, **self.options))]))
                except Exception:  # noqa: BLE001 - a degenerate resample has no value, not an error
                    out.append(np.array([np.nan]))
        return np.concatenate(out) if out else np.zeros(0)

    def _custom(self, rows: np.ndarray, renumber: bool) -> float:
        """Return the custom metric on these rows of the solution and predictions frames."""
        id_column = self.spec.data.id_column
        solution = self.solution.iloc[rows].reset_index(drop=True)
        predictions = self.predictions.iloc[rows].reset_index(drop=True)
        if renumber:
            # A resample repeats rows; fresh ids keep id joins one-to-one.
            solution[id_column] = np.arange(rows.size)
            predictions[id_column] = np.arange(rows.size)
        return call_custom_metric(self.custom, solution, predictions, id_column)


def count_positives(data: TaskData, rows: np.ndarray) -> int | None:
    """Return the positives (binary) or events (survival) among rows; None for other tasks."""
    return None if data.positive is None else int(data.positive[rows].sum())
