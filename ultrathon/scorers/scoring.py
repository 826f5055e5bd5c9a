"""Score aligned predictions against a solution: every metric per split, bootstrap CIs, subgroups."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import numpy as np
import pandas as pd

from ultrathon.i18n import gettext as _
from ultrathon.metric_catalogue import CUSTOM
from ultrathon.scorers.bootstrap import stream_id
from ultrathon.scorers.cell_values import label_text
from ultrathon.scorers.curves import binary_curves
from ultrathon.scorers.errors import Problem, ScoringError, SubmissionError, shown_count
from ultrathon.scorers.evaluation import Evaluator, TaskData, count_positives
from ultrathon.scorers.horizon_table import horizon_table
from ultrathon.scorers.ids import locate_ids, normalise_ids
from ultrathon.scorers.intervals import score_interval
from ultrathon.scorers.messages import SHOWN_IDS, quoted
from ultrathon.scorers.missing import fill_missing
from ultrathon.scorers.report import ScoreReport, SplitScore, SubgroupScore
from ultrathon.scorers.splits import IGNORED, PRIVATE, PUBLIC, assign_splits
from ultrathon.scorers.subgroups import subgroup_scores
from ultrathon.scorers.survival_curves import survival_curves

if TYPE_CHECKING:
    from ultrathon.spec import ChallengeSpec

SCORER_VERSION = "1.4.0"  # bump whenever a change could alter any stored score
SURVIVAL_DTYPE = [("event", bool), ("time", np.float64)]


def outcome_arrays(solution: pd.DataFrame, spec: ChallengeSpec, scored: np.ndarray) -> np.ndarray:
    """Return the outcome of every solution row in the metrics' format (see metrics.py)."""
    def numbers(column: str) -> np.ndarray:
        return pd.to_numeric(solution[column], errors="coerce").to_numpy(dtype=np.float64)

    def require(ok: np.ndarray, what: str) -> None:
        if not np.all(ok[scored]):
            # Organisers' data problem: read_solution reports it with rows; here, say what only.
            raise ValueError(f"the solution's scored rows hold {what}; check it with read_solution")

    if spec.task == "survival":
        time = numbers(spec.data.target.time)
        event = numbers(spec.data.target.event)
        with np.errstate(invalid="ignore"):
            require(np.isfinite(time) & (time >= 0) & np.isin(event, [0.0, 1.0]), "invalid times or events")
        y = np.zeros(len(solution), dtype=SURVIVAL_DTYPE)
        y["time"] = np.where(np.isfinite(time), time, 0.0)
        y["event"] = event == 1.0
        return y
    if spec.task == "multiclass":
        classes = [str(c) for c in spec.data.classes]
        codes = pd.Categorical(solution[spec.data.target].map(label_text), categories=classes).codes
        require(codes >= 0, "labels outside data.classes")
        return codes.astype(np.int64)
    values = numbers(spec.data.target)
    if spec.task == "binary":
        require(np.isin(values, [0.0, 1.0]), "outcomes other than 0 and 1")
        return (values == 1.0).astype(np.int64)
    require(np.isfinite(values), "missing outcomes")
    return values


def _aligned_predictions(predictions: pd.DataFrame, solution: pd.DataFrame, spec: ChallengeSpec) -> np.ndarray:
    """Return the prediction of each solution row, matched by id."""
    id_column = spec.data.id_column
    solution_ids, _empty = normalise_ids(solution[id_column])
    prediction_ids, _gaps = normalise_ids(predictions[id_column])
    row_of = locate_ids(prediction_ids, solution_ids)
    missing = np.flatnonzero(row_of < 0)
    allowed = spec.submission.missing != "refuse"  # a missing id's prediction is NaN, filled later
    if not allowed and (missing.size or len(predictions) != len(solution)):
        examples = ", ".join(quoted(solution_ids[i]) for i in missing[:SHOWN_IDS])
        message = _("%(count)s of the challenge's ids have no row: %(examples)s",
                    count=shown_count(int(missing.size)), examples=examples) if missing.size else _("the submission has %(rows)s rows; the challenge has %(ids)s ids",
                                 rows=shown_count(len(predictions)), ids=shown_count(len(solution)))
        raise SubmissionError([Problem(None, id_column, message)])
    columns = list(spec.submission.columns)
    if spec.task == "multiclass" or spec.submission.curves:
        columns = [str(c) for c in spec.data.classes] if spec.task == "multiclass" else columns
        matrix = predictions[columns].to_numpy(dtype=np.float64)
        return np.where((row_of < 0)[:, None], np.nan, matrix[row_of])
    values = predictions[columns[0]].to_numpy(dtype=np.float64)
    return values if np.array_equal(row_of, np.arange(row_of.size)) else np.where(row_of < 0, np.nan, values[row_of])


def _check_predictions(y_pred: np.ndarray, spec: ChallengeSpec) -> None:
    """Raise SubmissionError when predictions are not finite numbers, or not probabilities."""
    # read_submission reports bad values by line; this guards frames built some other way.
    if not np.all(np.isfinite(y_pred)):
        raise SubmissionError([Problem(None, None, _("the predictions contain empty, NaN or infinite values"))])
    if (spec.task in ("binary", "multiclass") or spec.submission.curves) and (np.any(y_pred < 0) or np.any(y_pred > 1)):
        raise SubmissionError([Problem(None, None, _("the predictions contain probabilities outside [0, 1]"))])


def _secondary_value(evaluator: Evaluator, rows: np.ndarray) -> float:
    """Return a secondary metric, NaN when it cannot be computed (only the primary may fail a submission)."""
    try:
        return evaluator.value(rows)
    except ScoringError:
        if evaluator.name == CUSTOM:
            raise  # the organisers' own code: its failure is reported as the primary's would be
        return float("nan")


def _secondary_replicates(evaluator: Evaluator, rows: np.ndarray, stream: int, n_resamples: int) -> np.ndarray:
    """Return a ranking metric's bootstrap replicates, all NaN when it cannot be computed (as _secondary_value)."""
    try:
        return evaluator.replicates(rows, stream, n_resamples)
    except ScoringError:
        if evaluator.name == CUSTOM:
            raise
        return np.full(n_resamples, np.nan)


def _task_data(solution: pd.DataFrame, predictions: pd.DataFrame, spec: ChallengeSpec, scored: np.ndarray) -> tuple[TaskData, np.ndarray]:
    """Return outcomes, aligned predictions, bootstrap strata and positives of every solution row, and which were filled."""
    y_true = outcome_arrays(solution, spec, scored)
    y_pred, filled = fill_missing(y_true, _aligned_predictions(predictions, solution, spec), spec, scored)
    _check_predictions(y_pred[scored], spec)
    if spec.task == "survival":
        return TaskData(y_true, y_pred, y_true["event"].astype(np.int64), y_true["event"]), filled
    if spec.task == "binary":
        return TaskData(y_true, y_pred, y_true, y_true == 1), filled
    if spec.task == "multiclass":
        return TaskData(y_true, y_pred, y_true, None), filled
    return TaskData(y_true, y_pred, None, None), filled


def _custom_frame(predictions: pd.DataFrame, solution: pd.DataFrame, spec: ChallengeSpec,
                  y_pred: np.ndarray, filled: np.ndarray) -> pd.DataFrame:
    """Return the predictions as a custom metric sees them: a frame in the solution's row order, filled."""
    id_column = spec.data.id_column
    if filled.any():
        columns = [str(c) for c in spec.data.classes] if spec.task == "multiclass" else list(spec.submission.columns)
        frame = pd.DataFrame({id_column: solution[id_column].to_numpy(), **dict(zip(columns, y_pred.reshape(len(solution), -1).T))})
        return frame[[id_column, *spec.submission.columns]]
    ids, _ = normalise_ids(predictions[id_column])
    return predictions.iloc[locate_ids(ids, normalise_ids(solution[id_column])[0])].reset_index(drop=True)


def _horizons(data: TaskData, rows: np.ndarray, split: str, spec: ChallengeSpec, n_resamples: int) -> dict | None:
    """Return a split's per-horizon table of a survival-curve submission, on the primary metric's resamples."""
    if not spec.submission.curves or not rows.size:
        return None
    return horizon_table(data.y_true[rows], data.y_pred[rows], spec.submission.horizons, seed=spec.split.seed,
                         strata=data.strata[rows], stream=stream_id("split", split), n_resamples=n_resamples,
                         ci_level=spec.leaderboard.ci_level)


def _curves(data: TaskData, rows: np.ndarray, spec: ChallengeSpec) -> dict | None:
    """Return a split's reliability diagram and decision curve: binary, or survival curves at the figure horizon."""
    if spec.task == "binary":
        return binary_curves(data.y_true[rows], data.y_pred[rows])
    if not spec.submission.curves or not rows.size:
        return None  # a risk score is not a probability of an event by a horizon: no diagram
    horizon = spec.submission.figure_horizon
    column = spec.submission.horizons.index(horizon)
    y_true = data.y_true[rows]
    event_probability = 1.0 - data.y_pred[rows].reshape(rows.size, -1)[:, column]
    return survival_curves(y_true["time"], y_true["event"], event_probability, horizon)


def score(predictions: pd.DataFrame, solution: pd.DataFrame, spec: ChallengeSpec, *,
          custom_metric: Callable | None = None, bootstrap: bool = True) -> ScoreReport:
    """Score predictions against the solution: every metric per split, CIs, subgroups."""
    primary = spec.metrics.primary
    if CUSTOM in spec.metrics.all and custom_metric is None:
        raise ValueError("the challenge has a custom metric: pass custom_metric (see load_custom_metric)")
    higher_is_better = spec.metrics.facts().higher_is_better

    split_of = assign_splits(solution, spec).to_numpy()
    data, filled = _task_data(solution, predictions, spec, split_of != IGNORED)
    aligned = _custom_frame(predictions, solution, spec, data.y_pred, filled) if CUSTOM in spec.metrics.all else predictions
    evaluators = {name: Evaluator(name, data, spec, custom_metric, solution, aligned) for name in spec.metrics.all}
    n_resamples = spec.leaderboard.bootstrap if bootstrap else 0

    splits: dict[str, SplitScore] = {}
    subgroups: list[SubgroupScore] = []
    for split, label in (("public", PUBLIC), ("private", PRIVATE)):
        rows = np.flatnonzero(split_of == label)
        values = {
            name: float("nan") if not rows.size else ev.value(rows) if name == primary else _secondary_value(ev, rows)
            for name, ev in evaluators.items()
        }
        replicates, low, high, ranking = None, None, None, {}
        if n_resamples and rows.size:
            replicates = evaluators[primary].replicates(rows, stream_id("split", split), n_resamples)
            low, high = score_interval(evaluators[primary], rows, values[primary], replicates, spec.leaderboard)
            # The same stream as the primary's: resample b is the same rows for every metric and team.
            ranking = {name: _secondary_replicates(evaluators[name], rows, stream_id("split", split), n_resamples)
                       for name in spec.replicated_metrics}
        splits[split] = SplitScore(values, low, high, int(rows.size), count_positives(data, rows), replicates,
                                   _curves(data, rows, spec), n_filled=int(filled[rows].sum()),
                                   horizons=_horizons(data, rows, split, spec, n_resamples), metric_replicates=ranking)
        subgroups += subgroup_scores(split, rows, solution, spec, data, evaluators[primary], n_resamples)

    return ScoreReport(
        splits=splits,
        subgroups=subgroups,
        primary=primary,
        higher_is_better=higher_is_better,
        version=SCORER_VERSION,
        seed=int(spec.split.seed),
        n_resamples=int(n_resamples),
    )
