"""Several sites' scores of one submission, combined into the one that ranks: their mean or the worst."""

from __future__ import annotations

import numpy as np

from .bootstrap import percentile_interval
from .report import ScoreReport, SplitScore

COMBINE = ("mean", "worst")


def combine_values(values: list[float | None], how: str, higher_is_better: bool) -> float | None:
    """Return the sites' combined figure: their mean, or the worst of them; None if any site's is undefined."""
    if not values or any(v is None or not np.isfinite(v) for v in values):
        return None
    if how == "mean":
        return float(np.mean(values))
    return float(min(values) if higher_is_better else max(values))


def combine_replicates(replicates: list[np.ndarray], how: str, higher_is_better: bool) -> np.ndarray | None:
    """Return the combined figure per resample.

    Each site resamples its own rows with the challenge's seed, the same resamples for every
    submission, so resample i of every site together is one resample of the whole: the combined
    replicates stay paired across submissions and their spread is the combination's.
    """
    if not replicates or any(r is None or len(r) != len(replicates[0]) for r in replicates):
        return None
    stacked = np.vstack([np.asarray(r, dtype=float) for r in replicates])
    if how == "mean":
        return stacked.mean(axis=0)
    return stacked.min(axis=0) if higher_is_better else stacked.max(axis=0)


def combine_split(sites: list[SplitScore], how: str, directions: dict[str, bool], primary: str,
                  level: float) -> SplitScore:
    """Return one split's combined score: each metric combined across sites, the CI from the combined replicates."""
    metrics = {name: combine_values([s.metrics.get(name) for s in sites], how, higher)
               for name, higher in directions.items()}
    replicates = combine_replicates([s.replicates for s in sites], how, directions[primary])
    low, high = percentile_interval(replicates, level) if replicates is not None else (None, None)
    return SplitScore(
        metrics={k: (np.nan if v is None else v) for k, v in metrics.items()},
        ci_low=low, ci_high=high, n_rows=sum(s.n_rows for s in sites), n_positive=None,
        replicates=replicates, n_filled=sum(s.n_filled for s in sites),
    )


def combine_reports(reports: list[ScoreReport], how: str, directions: dict[str, bool], level: float) -> ScoreReport:
    """Return the report the leaderboard ranks: every split combined across the sites' reports (no subgroups)."""
    if how not in COMBINE:
        raise ValueError(f"combine must be one of {', '.join(COMBINE)}, got {how!r}")
    first = reports[0]
    splits = {split: combine_split([r.splits[split] for r in reports], how, directions, first.primary, level)
              for split in first.splits}
    # Subgroup cells stay with each site: pooling suppressed cells could undo the suppression.
    return ScoreReport(splits=splits, subgroups=[], primary=first.primary, higher_is_better=first.higher_is_better,
                       version=first.version, seed=first.seed, n_resamples=first.n_resamples)
