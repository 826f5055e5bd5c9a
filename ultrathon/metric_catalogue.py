"""What each metric is, apart from its code: name, label, tasks, direction and options.

The challenge schema (`ultrathon.spec`) checks a challenge's metrics against this alone, so it
loads neither the scorers nor pandas; `ultrathon.scorers.metrics` pairs each entry with its code.
"""

from __future__ import annotations

from dataclasses import dataclass

CUSTOM = "custom"  # the organiser's own metric, named in metrics.custom
# Metrics of survival curves (submission.kind: survival_curve); they score nothing else.
CURVE_METRICS = ("integrated_brier", "brier_at_horizon", "calibration_at_horizon")


@dataclass(frozen=True)
class MetricFacts:
    """A named metric as a challenge sees it: the tasks it fits, its direction and the options it takes."""

    name: str
    label: str
    tasks: frozenset[str]
    higher_is_better: bool
    description: str
    options: tuple[str, ...] = ()
    # False for metrics whose ideal is a target value (a calibration slope of 1), not an extreme:
    # they are reported, but cannot order a leaderboard.
    ranks: bool = True
    ideal: float | None = None  # the target value of a metric with ranks=False; None for the others


CATALOGUE: dict[str, MetricFacts] = {facts.name: facts for facts in [
    MetricFacts("roc_auc", "AUROC", frozenset({"binary"}), True, "Area under the ROC curve: the chance a random positive is ranked above a random negative."),
    MetricFacts("average_precision", "Average precision", frozenset({"binary"}), True, "Area under the precision-recall curve; sensitive to performance on the positive class."),
    MetricFacts("log_loss", "Log loss", frozenset({"binary", "multiclass"}), False, "Negative mean log-likelihood of the true class; punishes confident mistakes."),
    MetricFacts("brier", "Brier score", frozenset({"binary"}), False, "Mean squared difference between predicted probability and outcome."),
    MetricFacts("balanced_accuracy", "Balanced accuracy", frozenset({"binary", "multiclass"}), True, "Mean recall over classes (threshold 0.5 for binary)."),
    MetricFacts("mcc", "Matthews correlation", frozenset({"binary"}), True, "Correlation between predicted (threshold 0.5) and true labels."),
    MetricFacts("f1", "F1 score", frozenset({"binary"}), True, "Harmonic mean of precision and recall at threshold 0.5."),
    MetricFacts("sensitivity_at_specificity", "Sensitivity at specificity", frozenset({"binary"}), True, "Sensitivity at the threshold reaching the required specificity.", options=("specificity",)),
    MetricFacts("calibration_slope", "Calibration slope", frozenset({"binary"}), True, "Slope of the logistic recalibration of the predictions (1 is ideal).", ranks=False, ideal=1.0),
    MetricFacts("calibration_intercept", "Calibration intercept", frozenset({"binary"}), True, "Intercept of the logistic recalibration with the slope fixed at 1 (0 is ideal).", ranks=False, ideal=0.0),
    MetricFacts("ece", "Expected calibration error", frozenset({"binary"}), False, "Weighted mean gap between predicted and observed risk over 10 bins."),
    MetricFacts("roc_auc_ovr", "AUROC (one-vs-rest, macro)", frozenset({"multiclass"}), True, "Mean of the one-vs-rest AUROCs over classes."),
    MetricFacts("accuracy", "Accuracy", frozenset({"multiclass"}), True, "Share of rows whose most probable class is the true one."),
    MetricFacts("macro_f1", "Macro F1", frozenset({"multiclass"}), True, "Mean F1 over classes."),
    MetricFacts("quadratic_kappa", "Quadratic weighted kappa", frozenset({"multiclass"}), True, "Agreement on ordinal classes, penalising distant mistakes more."),
    MetricFacts("rmse", "RMSE", frozenset({"regression"}), False, "Root mean squared error."),
    MetricFacts("mae", "MAE", frozenset({"regression"}), False, "Mean absolute error."),
    MetricFacts("r2", "R²", frozenset({"regression"}), True, "Share of the outcome's variance explained."),
    MetricFacts("harrell_c", "Harrell's C", frozenset({"survival"}), True, "Share of comparable pairs whose higher predicted risk had the earlier event."),
    MetricFacts("uno_c", "Uno's C", frozenset({"survival"}), True, "Concordance weighted by inverse probability of censoring, up to time tau.", options=("tau",)),
    MetricFacts("td_auc", "Time-dependent AUC", frozenset({"survival"}), True, "Mean cumulative/dynamic AUC at the given horizons.", options=("horizons",)),
    MetricFacts("integrated_brier", "Integrated Brier score", frozenset({"survival"}), False, "IPCW Brier score of the survival curves, integrated over the horizons and divided by their span."),
    MetricFacts("brier_at_horizon", "Brier score at a horizon", frozenset({"survival"}), False, "IPCW Brier score of the predicted survival at one horizon.", options=("horizon",)),
    MetricFacts("calibration_at_horizon", "Calibration at a horizon", frozenset({"survival"}), True, "Mean predicted risk by the horizon less the Kaplan-Meier risk (0 is ideal).", options=("horizon",), ranks=False, ideal=0.0),
]}
