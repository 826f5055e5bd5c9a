"""What each metric is, apart from its code: name, label, tasks, direction and options.

The challenge schema (`ultrathon.spec`) checks a challenge's metrics against this alone, so it
loads neither the scorers nor pandas; `ultrathon.scorers.metrics` pairs each entry with its code.
"""

from __future__ import annotations

from dataclasses import dataclass

from .i18n import N_

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


# Labels and descriptions are marked here and translated where pages show them.
CATALOGUE: dict[str, MetricFacts] = {facts.name: facts for facts in [
    MetricFacts("roc_auc", N_("AUROC"), frozenset({"binary"}), True, N_("Area under the ROC curve: the chance a random positive is ranked above a random negative.")),
    MetricFacts("average_precision", N_("Average precision"), frozenset({"binary"}), True, N_("Area under the precision-recall curve; sensitive to performance on the positive class.")),
    MetricFacts("log_loss", N_("Log loss"), frozenset({"binary", "multiclass"}), False, N_("Negative mean log-likelihood of the true class; punishes confident mistakes.")),
    MetricFacts("brier", N_("Brier score"), frozenset({"binary"}), False, N_("Mean squared difference between predicted probability and outcome.")),
    MetricFacts("balanced_accuracy", N_("Balanced accuracy"), frozenset({"binary", "multiclass"}), True, N_("Mean recall over classes (threshold 0.5 for binary).")),
    MetricFacts("mcc", N_("Matthews correlation"), frozenset({"binary"}), True, N_("Correlation between predicted (threshold 0.5) and true labels.")),
    MetricFacts("f1", N_("F1 score"), frozenset({"binary"}), True, N_("Harmonic mean of precision and recall at threshold 0.5.")),
    MetricFacts("sensitivity_at_specificity", N_("Sensitivity at specificity"), frozenset({"binary"}), True, N_("Sensitivity at the threshold reaching the required specificity."), options=("specificity",)),
    MetricFacts("calibration_slope", N_("Calibration slope"), frozenset({"binary"}), True, N_("Slope of the logistic recalibration of the predictions (1 is ideal)."), ranks=False, ideal=1.0),
    MetricFacts("calibration_intercept", N_("Calibration intercept"), frozenset({"binary"}), True, N_("Intercept of the logistic recalibration with the slope fixed at 1 (0 is ideal)."), ranks=False, ideal=0.0),
    MetricFacts("ece", N_("Expected calibration error"), frozenset({"binary"}), False, N_("Weighted mean gap between predicted and observed risk over 10 bins.")),
    MetricFacts("roc_auc_ovr", N_("AUROC (one-vs-rest, macro)"), frozenset({"multiclass"}), True, N_("Mean of the one-vs-rest AUROCs over classes.")),
    MetricFacts("accuracy", N_("Accuracy"), frozenset({"multiclass"}), True, N_("Share of rows whose most probable class is the true one.")),
    MetricFacts("macro_f1", N_("Macro F1"), frozenset({"multiclass"}), True, N_("Mean F1 over classes.")),
    MetricFacts("quadratic_kappa", N_("Quadratic weighted kappa"), frozenset({"multiclass"}), True, N_("Agreement on ordinal classes, penalising distant mistakes more.")),
    MetricFacts("rmse", N_("RMSE"), frozenset({"regression"}), False, N_("Root mean squared error.")),
    MetricFacts("mae", N_("MAE"), frozenset({"regression"}), False, N_("Mean absolute error.")),
    MetricFacts("r2", N_("R²"), frozenset({"regression"}), True, N_("Share of the outcome's variance explained.")),
    MetricFacts("harrell_c", N_("Harrell's C"), frozenset({"survival"}), True, N_("Share of comparable pairs whose higher predicted risk had the earlier event.")),
    MetricFacts("uno_c", N_("Uno's C"), frozenset({"survival"}), True, N_("Concordance weighted by inverse probability of censoring, up to time tau."), options=("tau",)),
    MetricFacts("td_auc", N_("Time-dependent AUC"), frozenset({"survival"}), True, N_("Mean cumulative/dynamic AUC at the given horizons."), options=("horizons",)),
    MetricFacts("integrated_brier", N_("Integrated Brier score"), frozenset({"survival"}), False, N_("IPCW Brier score of the survival curves, integrated over the horizons and divided by their span.")),
    MetricFacts("brier_at_horizon", N_("Brier score at a horizon"), frozenset({"survival"}), False, N_("IPCW Brier score of the predicted survival at one horizon."), options=("horizon",)),
    MetricFacts("calibration_at_horizon", N_("Calibration at a horizon"), frozenset({"survival"}), True, N_("Mean predicted risk by the horizon less the Kaplan-Meier risk (0 is ideal)."), options=("horizon",), ranks=False, ideal=0.0),
]}
