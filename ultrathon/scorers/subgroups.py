"""The primary metric per group of each subgroup column, suppressing groups too small to show.

A group is shown only when neither it nor any set of rows that the shown groups and the split's
overall score give away falls under MIN_GROUP_COUNT (of the rarer class, events, or rows).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ultrathon.scorers.bootstrap import stream_id
from ultrathon.scorers.cell_values import label_text
from ultrathon.scorers.errors import ScoringError
from ultrathon.scorers.evaluation import Evaluator, TaskData, count_positives
from ultrathon.scorers.intervals import score_interval
from ultrathon.scorers.report import SubgroupScore

if TYPE_CHECKING:
    from ultrathon.spec import ChallengeSpec

MIN_GROUP_COUNT = 20  # fewer positives/events (or rows) than this are never reported, nor derivable
MISSING_GROUP = "(missing)"


def _threshold_counts(spec: ChallengeSpec, data: TaskData, rows: np.ndarray, labels: np.ndarray, n_labels: int) -> np.ndarray:
    """Return, per label of rows, what the threshold counts: the rarer class (binary), events (survival), or rows."""
    sizes = np.bincount(labels, minlength=n_labels)
    if spec.task not in ("binary", "survival"):
        return sizes
    positives = np.bincount(labels, weights=data.positive[rows].astype(np.float64), minlength=n_labels)
    positives = np.rint(positives).astype(np.int64)
    return np.minimum(positives, sizes - positives) if spec.task == "binary" else positives


def _too_small(spec: ChallengeSpec, data: TaskData, rows: np.ndarray) -> bool:
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


def _complementary_suppression(spec: ChallengeSpec, data: TaskData, rows: np.ndarray, panel: _Panel) -> set[int]:
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


def _disclosures(spec: ChallengeSpec, data: TaskData, rows: np.ndarray, panels: list[_Panel]) -> int:
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


def _suppress(spec: ChallengeSpec, data: TaskData, rows: np.ndarray, panels: list[_Panel]) -> None:
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


def subgroup_scores(split: str, rows: np.ndarray, solution: pd.DataFrame, spec: ChallengeSpec, data: TaskData,
                     primary: Evaluator, n_resamples: int) -> list[SubgroupScore]:
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
                    replicates = primary.replicates(group_rows, stream, n_resamples)
                    low, high = score_interval(primary, group_rows, value, replicates, spec.leaderboard)
            except ScoringError:
                # A report for organisers: one group the metric cannot score does not fail the submission.
                value, low, high = None, None, None
            cells.append(SubgroupScore(split, panel.column, group, n=int(group_rows.size),
                                       n_positive=count_positives(data, group_rows), value=value, ci_low=low, ci_high=high,
                                       suppressed=False))
    return cells
