"""Score aligned predictions against a solution: every metric per split, bootstrap CIs, subgroups."""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import numpy as np
import pandas as pd

from ultrathon.scorers.bootstrap import bootstrap_weights, percentile_interval, stream_id
from ultrathon.scorers.custom import call_custom_metric
from ultrathon.scorers.errors import SCORING_FAILED, Problem, ScoringError, SubmissionError
from ultrathon.metric_catalogue import CUSTOM
from ultrathon.scorers.metrics import METRICS, metric_options
from ultrathon.scorers.ids import locate_ids, normalise_ids
from ultrathon.scorers.messages import SHOWN_IDS, quoted
from ultrathon.scorers.cell_values import label_text
from ultrathon.scorers.report import ScoreReport, SplitScore, SubgroupScore
from ultrathon.scorers.splits import IGNORED, PRIVATE, PUBLIC, assign_splits, usage_column

if TYPE_CHECKING:
    from ultrathon.spec import ChallengeSpec

SCORER_VERSION = "1.1.0"  # bump whenever a change could alter any stored score
MIN_GROUP_COUNT = 20  # fewer positives/events (or rows) than this are never reported, nor derivable
MISSING_GROUP = "(missing)"
SURVIVAL_DTYPE = [("event", bool), ("time", np.float64)]


@dataclass(frozen=True)
class _Data:
    """Outcomes and predictions of every solution row, in solution order."""

    y_true: np.ndarray
    y_pred: np.ndarray
    strata: np.ndarray | None  # bootstrap strata: class or event; None for regression
    positive: np.ndarray | None  # what counts as a positive/event, for row counts


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
    solution_ids, _ = normalise_ids(solution[id_column])
    prediction_ids, _ = normalise_ids(predictions[id_column])
    row_of = locate_ids(prediction_ids, solution_ids)
    missing = np.flatnonzero(row_of < 0)
    if missing.size or len(predictions) != len(solution):
        examples = ", ".join(quoted(solution_ids[i]) for i in missing[:SHOWN_IDS])
        message = f"{missing.size:,} of the challenge's ids have no row: {examples}" if missing.size else (
            f"the submission has {len(predictions):,} rows; the challenge has {len(solution):,} ids"
        )
        raise SubmissionError([Problem(None, id_column, message)])
    columns = list(spec.submission.columns)
    if spec.task == "multiclass":
        classes = [str(c) for c in spec.data.classes]
        return predictions[classes].to_numpy(dtype=np.float64)[row_of]
    values = predictions[columns[0]].to_numpy(dtype=np.float64)
    return values if np.array_equal(row_of, np.arange(row_of.size)) else values[row_of]


def _check_predictions(y_pred: np.ndarray, spec: ChallengeSpec) -> None:
    """Raise SubmissionError when predictions are not finite numbers, or not probabilities."""
    # read_submission reports bad values by line; this guards frames built some other way.
    if not np.all(np.isfinite(y_pred)):
        raise SubmissionError([Problem(None, None, "the predictions contain empty, NaN or infinite values")])
    if spec.task in ("binary", "multiclass") and (np.any(y_pred < 0) or np.any(y_pred > 1)):
        raise SubmissionError([Problem(None, None, "the predictions contain probabilities outside [0, 1]")])


class _Evaluator:
    """One metric on chosen rows: a value, and its value on bootstrap resamples of those rows."""

    def __init__(self, name: str, data: _Data, spec: ChallengeSpec, custom: Callable | None,
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

    def value(self, rows: np.ndarray) -> float:
        """Return the metric on these rows; raise ScoringError (safe message) when it cannot."""
        if self.name == CUSTOM:
            return self._custom(rows, renumber=False)
        try:
            return float(self.fn(self.data.y_true[rows], self.data.y_pred[rows], **self.options))
        except MemoryError:
            raise  # the sealed process's memory limit, reported as such
        except Exception as exc:
            raise ScoringError(SCORING_FAILED, detail=f"metric {self.name}: {traceback.format_exc()}") from exc

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


def _positives(data: _Data, rows: np.ndarray) -> int | None:
    """Return the positives (binary) or events (survival) among rows; None for other tasks."""
    return None if data.positive is None else int(data.positive[rows].sum())


def _threshold_counts(spec: ChallengeSpec, data: _Data, rows: np.ndarray, labels: np.ndarray, n_labels: int) -> np.ndarray:
    """Return, per label of rows, what the threshold counts: the rarer class (binary), events (survival), or rows."""
    sizes = np.bincount(labels, minlength=n_labels)
    if spec.task not in ("binary", "survival"):
        return sizes
    positives = np.bincount(labels, weights=data.positive[rows].astype(np.float64), minlength=n_labels)
    positives = np.rint(positives).astype(np.int64)
    return np.minimum(positives, sizes - positives) if spec.task == "binary" else positives


def _too_small(spec: ChallengeSpec, data: _Data, rows: np.ndarray) -> bool:
    """Return True for rows too few to report on: under 20 events, positives (or negatives), or rows."""
    return bool(_threshold_counts(spec, data, rows, np.zeros(rows.size, dtype=np.int64), 1)[0] < MIN_GROUP_COUNT)


@dataclass
class _Panel:
    """The groups of one subgroup column within a split, and which of them are suppressed."""

    column: str
    groups: list[str]
    member: np.ndarray  # each of the split's rows: the index of its group
    hidden: set[int]

    def cell_rows(self, rows: np.ndarray, group: int) -> np.ndarray:
        """Return the solution rows of one group."""
        return rows[self.member == group]

    def hide_all(self) -> None:
        """Suppress every group of the panel."""
        self.hidden = set(range(len(self.groups)))


def _complementary_suppression(spec: ChallengeSpec, data: _Data, rows: np.ndarray, panel: _Panel) -> set[int]:
    """Return the groups to suppress so that no group under the threshold can be worked out from the rest."""
    counts = _threshold_counts(spec, data, rows, panel.member, len(panel.groups))
    sizes = np.bincount(panel.member, minlength=len(panel.groups))
    hidden = {g for g, count in enumerate(counts) if count < MIN_GROUP_COUNT}
    everything = set(range(len(panel.groups)))
    if not hidden:
        return hidden

    def too_small(groups: set[int]) -> bool:
        return _too_small(spec, data, rows[np.isin(panel.member, list(groups))])

    # The overall score less the shown groups gives the suppressed groups' union away (for a mean
    # such as MAE or Brier exactly): the union must hold two groups and meet the threshold itself.
    while hidden != everything and (len(hidden) < 2 or too_small(hidden)):
        hidden.add(min(everything - hidden, key=lambda g: (counts[g], sizes[g], g)))
    # A shown group gives its complement (the split's other rows) away in the same way: with a
    # second shown group, that complement holds one meeting the threshold, so it meets it too.
    return everything if len(everything - hidden) < 2 else hidden


def _disclosures(spec: ChallengeSpec, data: _Data, rows: np.ndarray, panels: list[_Panel]) -> int:
    """Return how many sets of rows under the threshold the shown groups and the overall score give away."""
    # Every shown group, and the whole split, is a known sum (of rows, positives, a mean's terms);
    # a set of rows is given away when its indicator is a linear combination of theirs, as when
    # one column refines another (age_band and a coarser over_65). Such a combination is
    # constant on each block of rows that lie in the same shown groups, so the sets to check are
    # the small blocks and the small groups that are unions of blocks.
    if not panels or not rows.size:
        return 0
    # Each row's shown group per panel (-1: a suppressed one), and its block: rows alike in all.
    signature = np.column_stack([np.where(np.isin(p.member, list(p.hidden)), -1, p.member) for p in panels])
    block_of = np.zeros(rows.size, dtype=np.int64)
    for i, panel in enumerate(panels):
        # Renumbered after each column, so the combined number stays below rows x groups.
        block_of = np.unique(block_of * (len(panel.groups) + 1) + signature[:, i] + 1, return_inverse=True)[1].ravel()
    n_blocks = int(block_of.max()) + 1
    if n_blocks == 1:
        return 0
    blocks = np.zeros((n_blocks, len(panels)), dtype=np.int64)
    blocks[block_of] = signature
    known_matrix = np.zeros((1 + sum(len(p.groups) - len(p.hidden) for p in panels), n_blocks))
    known_matrix[0] = 1.0
    shown = [(i, g) for i, p in enumerate(panels) for g in range(len(p.groups)) if g not in p.hidden]
    for row, (i, g) in enumerate(shown, start=1):
        known_matrix[row] = blocks[:, i] == g
    # A set is a combination of the known sums when its indicator t lies in their span: when its
    # squared distance to it, |t|^2 - (Kt)' (KK')^+ (Kt), is zero. KK' is small (groups x groups).
    values, vectors = np.linalg.eigh(known_matrix @ known_matrix.T)
    keep = values > values.max() * 1e-10
    gram_inverse = (vectors[:, keep] / values[keep]) @ vectors[:, keep].T

    def in_span(sizes: np.ndarray, projected: np.ndarray) -> np.ndarray:
        return sizes - np.sum((projected @ gram_inverse) * projected, axis=1) < 1e-6

    small_blocks = _threshold_counts(spec, data, rows, block_of, n_blocks) < MIN_GROUP_COUNT
    disclosed = int(np.sum(in_span(np.ones(int(small_blocks.sum())), known_matrix[:, small_blocks].T)))
    targets = []
    for panel in panels:
        for g in panel.hidden:
            inside = panel.member == g
            if not _too_small(spec, data, rows[inside]):
                continue
            in_blocks = np.isin(np.arange(n_blocks), block_of[inside])
            if not np.isin(block_of[~inside], np.flatnonzero(in_blocks)).any() and not in_blocks.all():
                targets.append(in_blocks)
    if targets:
        sets = np.array(targets, dtype=np.float64)
        disclosed += int(np.sum(in_span(sets.sum(axis=1), sets @ known_matrix.T)))
    return disclosed


def _suppress(spec: ChallengeSpec, data: _Data, rows: np.ndarray, panels: list[_Panel]) -> None:
    """Suppress groups within each panel, then whole panels until no small set can be derived across them."""
    for panel in panels:
        panel.hidden = _complementary_suppression(spec, data, rows, panel)

    def cost(i: int) -> tuple[int, int, int]:
        """Return what suppressing panel i whole leaves: disclosures, then groups lost; later columns go first."""
        panel, kept = panels[i], panels[i].hidden
        panel.hide_all()
        left = _disclosures(spec, data, rows, panels)
        panel.hidden = kept
        return left, len(panel.groups) - len(kept), -i

    # Each round suppresses one more whole panel, so this ends (with every panel suppressed at worst).
    while _disclosures(spec, data, rows, panels):
        panels[min((i for i, p in enumerate(panels) if len(p.hidden) < len(p.groups)), key=cost)].hide_all()


def _group_labels(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Return each row's group name and the names in a stable order (numbers by value)."""
    labels = values.map(label_text).replace("", MISSING_GROUP).to_numpy(dtype=object)
    names = list(dict.fromkeys(labels))

    def order(name: str):
        try:
            return (0, float(name), name)
        except ValueError:
            return (1 if name != MISSING_GROUP else 2, 0.0, name)

    return labels, sorted(names, key=order)


def _secondary_value(evaluator: _Evaluator, rows: np.ndarray) -> float:
    """Return a secondary metric, NaN when it cannot be computed (only the primary may fail a submission)."""
    try:
        return evaluator.value(rows)
    except ScoringError:
        if evaluator.name == CUSTOM:
            raise  # the organisers' own code: its failure is reported as the primary's would be
        return float("nan")


def _subgroup_scores(split: str, rows: np.ndarray, solution: pd.DataFrame, spec: ChallengeSpec, data: _Data,
                     primary: _Evaluator, n_resamples: int) -> list[SubgroupScore]:
    """Return the primary metric per group of each subgroup column, with complementary suppression."""
    panels = []
    for column in spec.subgroups:
        labels, names = _group_labels(solution[column].iloc[rows])
        member = pd.Categorical(labels, categories=names).codes.astype(np.int64)
        panels.append(_Panel(column, names, member, set()))
    _suppress(spec, data, rows, panels)
    cells = []
    for panel in panels:
        for g, group in enumerate(panel.groups):
            if g in panel.hidden:
                # No count either: with the others' counts and the split's, it would give the group away.
                cells.append(SubgroupScore(split, panel.column, group, n=None, n_positive=None, value=None,
                                           ci_low=None, ci_high=None, suppressed=True))
                continue
            group_rows = panel.cell_rows(rows, g)
            try:
                value = primary.value(group_rows)
                low, high = None, None
                if n_resamples:
                    stream = stream_id("subgroup", split, panel.column, group)
                    low, high = percentile_interval(primary.replicates(group_rows, stream, n_resamples))
            except ScoringError:
                # A report for organisers: one group the metric cannot score does not fail the submission.
                value, low, high = None, None, None
            cells.append(SubgroupScore(split, panel.column, group, n=int(group_rows.size),
                                       n_positive=_positives(data, group_rows), value=value, ci_low=low, ci_high=high,
                                       suppressed=False))
    return cells


def _task_data(solution: pd.DataFrame, predictions: pd.DataFrame, spec: ChallengeSpec, scored: np.ndarray) -> _Data:
    """Return outcomes, aligned predictions, bootstrap strata and positives of every solution row."""
    y_true = outcome_arrays(solution, spec, scored)
    y_pred = _aligned_predictions(predictions, solution, spec)
    _check_predictions(y_pred[scored], spec)
    if spec.task == "survival":
        return _Data(y_true, y_pred, y_true["event"].astype(np.int64), y_true["event"])
    if spec.task == "binary":
        return _Data(y_true, y_pred, y_true, y_true == 1)
    if spec.task == "multiclass":
        return _Data(y_true, y_pred, y_true, None)
    return _Data(y_true, y_pred, None, None)


def score(predictions: pd.DataFrame, solution: pd.DataFrame, spec: ChallengeSpec, *,
          custom_metric: Callable | None = None, bootstrap: bool = True) -> ScoreReport:
    """Score predictions against the solution: every metric per split, CIs, subgroups."""
    primary = spec.metrics.primary
    if CUSTOM in spec.metrics.all and custom_metric is None:
        raise ValueError("the challenge has a custom metric: pass custom_metric (see load_custom_metric)")
    higher_is_better = spec.metrics.facts().higher_is_better

    split_of = assign_splits(solution, spec).to_numpy()
    data = _task_data(solution, predictions, spec, split_of != IGNORED)
    aligned = predictions
    if CUSTOM in spec.metrics.all:
        # Custom metrics see frames, not arrays: the predictions in the solution's row order.
        ids, _ = normalise_ids(predictions[spec.data.id_column])
        aligned = predictions.iloc[locate_ids(ids, normalise_ids(solution[spec.data.id_column])[0])].reset_index(drop=True)
    evaluators = {name: _Evaluator(name, data, spec, custom_metric, solution, aligned) for name in spec.metrics.all}
    n_resamples = spec.leaderboard.bootstrap if bootstrap else 0

    splits: dict[str, SplitScore] = {}
    subgroups: list[SubgroupScore] = []
    for split, label in (("public", PUBLIC), ("private", PRIVATE)):
        rows = np.flatnonzero(split_of == label)
        values = {
            name: float("nan") if not rows.size else ev.value(rows) if name == primary else _secondary_value(ev, rows)
            for name, ev in evaluators.items()
        }
        replicates, low, high = None, None, None
        if n_resamples and rows.size:
            replicates = evaluators[primary].replicates(rows, stream_id("split", split), n_resamples)
            low, high = percentile_interval(replicates)
        splits[split] = SplitScore(values, low, high, int(rows.size), _positives(data, rows), replicates)
        subgroups += _subgroup_scores(split, rows, solution, spec, data, evaluators[primary], n_resamples)

    return ScoreReport(
        splits=splits,
        subgroups=subgroups,
        primary=primary,
        higher_is_better=higher_is_better,
        version=SCORER_VERSION,
        seed=int(spec.split.seed),
        n_resamples=int(n_resamples),
    )
