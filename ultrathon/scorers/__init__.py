"""Pure scoring library: read and validate a submission, compute metrics and their uncertainty.

No Flask, no database: bytes and frames in, a ScoreReport out.

    solution = read_solution(solution_bytes, spec)
    predictions = read_submission(upload_bytes, spec, solution_ids=solution[spec.data.id_column])
    report = score(predictions, solution, spec)
"""

from ultrathon.scorers.bootstrap import bootstrap_indices, bootstrap_weights, percentile_interval, stream_id
from ultrathon.scorers.custom import load_custom_metric
from ultrathon.scorers.errors import (
    ParticipantVisibleError,
    Problem,
    ScoringError,
    SolutionError,
    SubmissionError,
)
from ultrathon.metric_catalogue import CUSTOM
from ultrathon.scorers.metrics import METRICS, Metric
from ultrathon.scorers.reading import read_solution, read_submission
from ultrathon.scorers.report import ScoreReport, SplitScore, SubgroupScore
from ultrathon.scorers.scoring import SCORER_VERSION, score
from ultrathon.scorers.splits import assign_splits

__all__ = [
    "CUSTOM",
    "METRICS",
    "SCORER_VERSION",
    "Metric",
    "ParticipantVisibleError",
    "Problem",
    "ScoreReport",
    "ScoringError",
    "SolutionError",
    "SplitScore",
    "SubgroupScore",
    "SubmissionError",
    "assign_splits",
    "bootstrap_indices",
    "bootstrap_weights",
    "load_custom_metric",
    "percentile_interval",
    "read_solution",
    "read_submission",
    "score",
    "stream_id",
]
