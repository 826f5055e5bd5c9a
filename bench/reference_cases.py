"""The reference table's cases: each registered metric beside an independent reference.

Ours is always what the platform stores: `ultrathon.scorers.score` on a solution and a
submission frame, every row Public. References are scikit-learn, scikit-survival, lifelines,
statsmodels, scipy, or a hand computation where the metric is ours alone (ECE). A reference
returns (value, note): NaN or an exception means it is undefined there, and the note says why.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from bench import reference_data as data
from ultrathon.metric_catalogue import CATALOGUE, CURVE_METRICS
from ultrathon.scorers import score
from ultrathon.spec import ChallengeSpec

CLIP = 1e-15  # the documented clip before logit(p) (docs/challenge-format.md, calibration_slope)
ECE_BINS = 10
Reference = Callable[[data.Scored], tuple[float, str | None]]


# --- ours: through the scorer the worker calls ----------------------------------------------


def task_metrics(task: str, curves: bool = False) -> list[str]:
    """Return the catalogued metrics of a task, a ranking one first (it must be the primary).

    The curve metrics score survival curves only: they come with `curves`, and only then.
    """
    names = [name for name, facts in CATALOGUE.items() if task in facts.tasks and (curves or name not in CURVE_METRICS)]
    return sorted(names, key=lambda name: not CATALOGUE[name].ranks)


def frames(case: data.Scored) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Return (solution, submission, prediction columns) for a case, every row Public."""
    ids = [f"P{i:05d}" for i in range(len(case.y_true))]
    solution = pd.DataFrame({"patient_id": ids, "Usage": "Public"})
    if case.task == "survival":
        solution["futime"], solution["death"] = case.y_true["time"], case.y_true["event"].astype(int)
    elif case.task == "multiclass":
        solution["outcome"] = [f"c{k}" for k in case.y_true]
    else:
        solution["outcome"] = case.y_true
    if case.horizons:
        columns = [f"s{k}" for k in range(len(case.horizons))]
    elif case.task == "multiclass":
        columns = [f"c{k}" for k in range(case.y_pred.shape[1])]
    else:
        columns = ["prediction"]
    submission = pd.DataFrame({"patient_id": ids, **dict(zip(columns, np.asarray(case.y_pred).reshape(len(ids), -1).T))})
    return solution, submission, columns


def spec_for(case: data.Scored, metrics: list[str], *, bootstrap: int = 0, ci_method: str = "percentile") -> ChallengeSpec:
    """Return a challenge scoring these metrics on the case (its options those the metrics take)."""
    _, _, columns = frames(case)
    target = {"time": "futime", "event": "death"} if case.task == "survival" else "outcome"
    takes = {option for name in metrics for option in CATALOGUE[name].options}
    return ChallengeSpec.model_validate({
        "slug": "reference-table", "title": "Reference table", "task": case.task,
        "opens": "2027-01-04T09:00:00+01:00", "closes": "2027-02-15T12:00:00+01:00",
        "data": {"id_column": "patient_id", "target": target, "public": ["sample_submission.csv"], **({"classes": columns} if case.task == "multiclass" else {})},
        "submission": {"columns": columns, **({"kind": "survival_curve", "horizons": list(case.horizons)} if case.horizons else {})},
        "metrics": {"primary": metrics[0], "secondary": metrics[1:],
                    "options": {k: v for k, v in case.options.items() if k in takes}},
        "leaderboard": {"bootstrap": bootstrap, "ci_method": ci_method},
        "split": {"seed": data.SEED},
    })


_OURS: dict[str, dict[str, float]] = {}


def ours(case: data.Scored) -> dict[str, float]:
    """Return every metric of the case's task as the platform scores it (scored once per case)."""
    if case.name not in _OURS:
        solution, submission, _ = frames(case)
        metrics = task_metrics(case.task, curves=bool(case.horizons))
        report = score(submission, solution, spec_for(case, metrics), bootstrap=False)
        _OURS[case.name] = dict(report.splits["public"].metrics)
    return _OURS[case.name]


# --- references -----------------------------------------------------------------------------


def _flagged(case: data.Scored) -> np.ndarray:
    return (case.y_pred >= 0.5).astype(int)


def _sklearn(fn: Callable[[data.Scored], float]) -> Reference:
    """Return a reference that is undefined where scikit-learn warns that it is (one class)."""
    def reference(case: data.Scored) -> tuple[float, str | None]:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            return float(fn(case)), None
    return reference


def _logit(p: np.ndarray) -> np.ndarray:
    from scipy.special import logit

    return logit(np.clip(p, CLIP, 1 - CLIP))


def _separated(case: data.Scored) -> bool:
    """Return whether a cut on p puts every positive at or above every negative, or the reverse."""
    positives, negatives = case.y_pred[case.y_true == 1], case.y_pred[case.y_true == 0]
    return not positives.size or not negatives.size or positives.min() >= negatives.max() or negatives.min() >= positives.max()


def calibration_slope(case: data.Scored) -> tuple[float, str | None]:
    """statsmodels: logistic regression of y on logit(p), the slope; undefined where the classes are separated."""
    import statsmodels.api as sm

    if _separated(case):
        # statsmodels warns on complete separation only; on quasi-complete separation (ties at
        # the cut) it stops at a finite slope although the likelihood still rises to infinity.
        raise ArithmeticError("the predictions separate the classes (Albert & Anderson 1984): no MLE")
    x = sm.add_constant(_logit(case.y_pred), has_constant="add")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = sm.GLM(case.y_true, x, family=sm.families.Binomial()).fit(tol=1e-14, maxiter=500)
    if not fit.converged:
        raise ArithmeticError("statsmodels IRLS did not converge")
    return float(fit.params[1]), None


def calibration_intercept(case: data.Scored) -> tuple[float, str | None]:
    """statsmodels: logistic regression of y on a constant with offset logit(p); brentq where IRLS diverges."""
    import statsmodels.api as sm
    from scipy.optimize import brentq
    from scipy.special import expit

    y, offset = case.y_true.astype(np.float64), _logit(case.y_pred)
    if y.min() == y.max():
        raise ArithmeticError("one class only: the intercept runs off to infinity")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = sm.GLM(y, np.ones((y.size, 1)), family=sm.families.Binomial(), offset=offset).fit(tol=1e-14, maxiter=500)
    value = float(fit.params[0])
    # IRLS can report convergence at 1e15 when logit(p) reaches +-13.8 or +-34.5: trust it only
    # where the score equation holds.
    if fit.converged and math.isfinite(value) and abs(math.fsum(y - expit(value + offset))) < 1e-8 * y.size:
        return value, None
    # The score equation sum(y - expit(a + offset)) = 0 is monotone in a: bracket and solve it.
    root = brentq(lambda a: math.fsum(y - expit(a + offset)), -50, 50, xtol=1e-14, rtol=1e-15, maxiter=500)
    return float(root), f"statsmodels IRLS diverged (intercept {value:.4g}); scipy brentq on the score equation"


def ece(case: data.Scored) -> tuple[float, str | None]:
    """Hand computation of the documented binning: bin k holds k/10 <= p < (k+1)/10, p = 1 in the last."""
    p, y = [float(v) for v in case.y_pred], [float(v) for v in case.y_true]
    total = 0.0
    for k in range(ECE_BINS):
        low, high = k / ECE_BINS, (k + 1) / ECE_BINS
        members = [i for i, pi in enumerate(p) if low <= pi < high or (k == ECE_BINS - 1 and pi == 1.0)]
        if members:
            gap = abs(math.fsum(p[i] for i in members) - math.fsum(y[i] for i in members)) / len(members)
            total += len(members) / len(p) * gap
    return total, None


def sensitivity_at_specificity(case: data.Scored) -> tuple[float, str | None]:
    """scikit-learn's ROC curve at every threshold: the best TPR where 1 - FPR reaches 0.9."""
    from sklearn.metrics import roc_curve

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no positives or no negatives: the curve is undefined
        fpr, tpr, _ = roc_curve(case.y_true, case.y_pred, drop_intermediate=False)
    return float(tpr[(1 - fpr) >= 0.9 - 1e-12].max()), None


def _risk(case: data.Scored) -> np.ndarray:
    """Return the risk the concordances rank: the prediction, or 1 - S at the curve's last horizon."""
    return 1.0 - case.y_pred[:, -1] if case.horizons else case.y_pred


def _survival_arrays(case: data.Scored):
    return case.y_true["event"], case.y_true["time"], _risk(case)


def harrell_c(case: data.Scored) -> tuple[float, str | None]:
    """scikit-survival concordance_index_censored."""
    from sksurv.metrics import concordance_index_censored

    return float(concordance_index_censored(*_survival_arrays(case), tied_tol=0)[0]), None


def harrell_c_lifelines(case: data.Scored) -> tuple[float, str | None]:
    """lifelines concordance_index, which takes predicted times: minus the risk."""
    from lifelines.utils import concordance_index

    event, time, risk = _survival_arrays(case)
    return float(concordance_index(time, -risk, event)), None


def uno_c(case: data.Scored) -> tuple[float, str | None]:
    """scikit-survival concordance_index_ipcw (train = test) up to the case's tau."""
    from sksurv.metrics import concordance_index_ipcw

    return float(concordance_index_ipcw(case.y_true, case.y_true, _risk(case), tau=case.options.get("tau"), tied_tol=0)[0]), None


def td_auc(case: data.Scored) -> tuple[float, str | None]:
    """scikit-survival cumulative_dynamic_auc: the plain mean of AUC(t) at the event-time quartiles.

    For curves, at each horizon on its own, the risk there being 1 - S(t).
    """
    from sksurv.metrics import cumulative_dynamic_auc

    if case.horizons:
        aucs = [cumulative_dynamic_auc(case.y_true, case.y_true, 1.0 - case.y_pred[:, k], [t], tied_tol=0)[0][0]
                for k, t in enumerate(case.horizons)]
        return float(np.mean(aucs)), None
    times = np.unique(np.percentile(case.y_true["time"][case.y_true["event"]], [25, 50, 75]))
    auc, _ = cumulative_dynamic_auc(case.y_true, case.y_true, case.y_pred, times, tied_tol=0)
    return float(np.mean(auc)), None


def _at_horizon(case: data.Scored) -> tuple[float, np.ndarray]:
    """Return the case's `horizon` option and the curves' survival there."""
    horizon = case.options["horizon"]
    return horizon, case.y_pred[:, case.horizons.index(horizon)]


def integrated_brier(case: data.Scored) -> tuple[float, str | None]:
    """scikit-survival integrated_brier_score over the submission's horizons, G from the scored rows (train = test)."""
    from sksurv.metrics import integrated_brier_score

    return float(integrated_brier_score(case.y_true, case.y_true, case.y_pred, np.asarray(case.horizons))), None


def brier_at_horizon(case: data.Scored) -> tuple[float, str | None]:
    """scikit-survival brier_score at the case's horizon, G from the scored rows (train = test)."""
    from sksurv.metrics import brier_score

    horizon, survival = _at_horizon(case)
    return float(brier_score(case.y_true, case.y_true, survival, [horizon])[1][0]), None


def calibration_at_horizon(case: data.Scored) -> tuple[float, str | None]:
    """The documented formula, mean(1 - S_i(t)) - (1 - KM(t)), with lifelines' Kaplan-Meier of the scored rows."""
    from lifelines import KaplanMeierFitter

    horizon, survival = _at_horizon(case)
    km = KaplanMeierFitter().fit(case.y_true["time"], case.y_true["event"])
    observed = 1.0 - float(km.survival_function_at_times(horizon).iloc[0])
    return math.fsum(1.0 - survival) / survival.size - observed, None


def _sk(name: str):
    from sklearn import metrics

    return getattr(metrics, name)


def _classes(case: data.Scored) -> list[int]:
    return list(range(case.y_pred.shape[1]))


REFERENCES: dict[str, tuple[str, Reference]] = {
    "roc_auc": ("sklearn roc_auc_score", _sklearn(lambda c: _sk("roc_auc_score")(c.y_true, c.y_pred))),
    "average_precision": ("sklearn average_precision_score", _sklearn(lambda c: _sk("average_precision_score")(c.y_true, c.y_pred))),
    "log_loss": ("sklearn log_loss", lambda c: (float(_sk("log_loss")(c.y_true, c.y_pred, labels=_classes(c) if c.task == "multiclass" else [0, 1])), None)),
    "brier": ("sklearn brier_score_loss", lambda c: (float(_sk("brier_score_loss")(c.y_true, c.y_pred, pos_label=1)), None)),
    "balanced_accuracy": ("sklearn balanced_accuracy_score", lambda c: (float(_sk("balanced_accuracy_score")(
        c.y_true, np.argmax(c.y_pred, axis=1) if c.task == "multiclass" else _flagged(c))), None)),
    "mcc": ("sklearn matthews_corrcoef", lambda c: (float(_sk("matthews_corrcoef")(c.y_true, _flagged(c))), None)),
    "f1": ("sklearn f1_score", lambda c: (float(_sk("f1_score")(c.y_true, _flagged(c), zero_division=0)), None)),
    "sensitivity_at_specificity": ("sklearn roc_curve", sensitivity_at_specificity),
    "calibration_slope": ("statsmodels GLM", calibration_slope),
    "calibration_intercept": ("statsmodels GLM offset", calibration_intercept),
    "ece": ("hand computation", ece),
    "roc_auc_ovr": ("sklearn roc_auc_score ovr", _sklearn(lambda c: _sk("roc_auc_score")(
        c.y_true, c.y_pred, multi_class="ovr", average="macro", labels=_classes(c)))),
    "accuracy": ("sklearn accuracy_score", lambda c: (float(_sk("accuracy_score")(c.y_true, np.argmax(c.y_pred, axis=1))), None)),
    "macro_f1": ("sklearn f1_score macro", lambda c: (float(_sk("f1_score")(c.y_true, np.argmax(c.y_pred, axis=1), average="macro")), None)),
    "quadratic_kappa": ("sklearn cohen_kappa_score", lambda c: (float(_sk("cohen_kappa_score")(
        c.y_true, np.argmax(c.y_pred, axis=1), weights="quadratic", labels=_classes(c))), None)),
    "rmse": ("sklearn root_mean_squared_error", lambda c: (float(_sk("root_mean_squared_error")(c.y_true, c.y_pred)), None)),
    "mae": ("sklearn mean_absolute_error", lambda c: (float(_sk("mean_absolute_error")(c.y_true, c.y_pred)), None)),
    "r2": ("sklearn r2_score", lambda c: (float(_sk("r2_score")(c.y_true, c.y_pred)), None)),
    "harrell_c": ("sksurv concordance_index_censored", harrell_c),
    "uno_c": ("sksurv concordance_index_ipcw", uno_c),
    "td_auc": ("sksurv cumulative_dynamic_auc", td_auc),
    "integrated_brier": ("sksurv integrated_brier_score", integrated_brier),
    "brier_at_horizon": ("sksurv brier_score", brier_at_horizon),
    "calibration_at_horizon": ("lifelines Kaplan-Meier", calibration_at_horizon),
    "harrell_c/lifelines": ("lifelines concordance_index", harrell_c_lifelines),
}


# --- the cases ------------------------------------------------------------------------------

TOLERANCE = 1e-9


@dataclass(frozen=True)
class Case:
    """One metric on one dataset or variant, against one reference (by default the metric's own)."""

    metric: str
    dataset: Callable[[], data.Scored]
    reference: str = ""


@dataclass(frozen=True)
class Row:
    """A case's outcome: both values, their gap and the verdict."""

    metric: str
    dataset: str
    reference: str
    ours: float
    theirs: float
    status: str
    note: str | None = None

    @property
    def diff(self) -> float:
        """Return |ours - reference|, NaN unless both are defined."""
        return abs(self.ours - self.theirs) if math.isfinite(self.ours) and math.isfinite(self.theirs) else float("nan")

    @property
    def defined(self) -> bool:
        """Return whether the reference is defined, so the case must match."""
        return math.isfinite(self.theirs)


def verdict(ours_value: float, theirs: float) -> str:
    """Return ok / undefined-both / reference-undefined / MISMATCH."""
    if math.isfinite(ours_value) and math.isfinite(theirs):
        return "ok" if abs(ours_value - theirs) <= TOLERANCE else "MISMATCH"
    if not math.isfinite(theirs):
        return "reference-undefined" if math.isfinite(ours_value) else "undefined-both"
    return "MISMATCH"  # the reference has a value and ours has none


def run(case: Case) -> Row:
    """Score the case both ways and compare."""
    scored = case.dataset()
    key = case.reference or case.metric
    label, reference = REFERENCES[key]
    value = ours(scored)[case.metric]
    try:
        theirs, note = reference(scored)
    except Exception as exc:  # noqa: BLE001 - the reference's refusal is its "undefined"
        theirs, note = float("nan"), f"{label} gives no value ({type(exc).__name__}: {str(exc).splitlines()[0][:120]})"
    shown = f"{case.metric} vs {key.split('/')[1]}" if "/" in key else case.metric
    return Row(shown, scored.name, label, value, theirs, verdict(value, theirs), note)


def _grid(metrics, datasets) -> list[Case]:
    """Return a case for each metric on each dataset."""
    return [Case(metric, dataset) for dataset in datasets for metric in metrics]


def _survival(name: str, curves: bool = False) -> Callable[[], data.Scored]:
    """Return the loader of one survival dataset, risks or curves (loaded once, shared by its cases)."""
    def dataset() -> data.Scored:
        return data.survival_curves(name) if curves else data.survival(name)
    dataset.__name__ = f"{name}/curves" if curves else name
    return dataset


BINARY = task_metrics("binary")
SURVIVAL_NAMES = ("whas500", "gbsg2", "flchain", "veterans", "aids")
SURVIVAL_BY_NAME = {name: _survival(name) for name in SURVIVAL_NAMES}
SURVIVAL = list(SURVIVAL_BY_NAME.values())
SURVIVAL_VARIANTS = [data.yearly_whas500, data.scaled_whas500, lambda: data.tied_survival("whas500"),
                     lambda: data.tied_survival("gbsg2")]
CURVES_BY_NAME = {name: _survival(name, curves=True) for name in SURVIVAL_NAMES}
CURVES = list(CURVES_BY_NAME.values())
# Scaling a risk has no curve counterpart; tied times, tied predictions and the last time do.
CURVE_VARIANTS = [data.yearly_whas500_curves, lambda: data.tied_curves("whas500"), lambda: data.tied_curves("gbsg2"),
                  data.last_time_curves]

CASES: list[Case] = [
    *_grid(BINARY, [data.breast_cancer, data.overconfident_breast_cancer, lambda: data.overconfident_breast_cancer(0.8),
                    data.tied_breast_cancer, data.one_class_breast_cancer]),
    *_grid(task_metrics("multiclass"), [data.wine]),
    *_grid(task_metrics("regression"), [data.diabetes]),
    *_grid(["harrell_c", "uno_c", "td_auc"], SURVIVAL + SURVIVAL_VARIANTS),
    Case("ece", data.ece_edges_breast_cancer),
    Case("uno_c", lambda: data.yearly_whas500(tau=True)),
    *[Case("harrell_c", dataset, "harrell_c/lifelines") for dataset in SURVIVAL + SURVIVAL_VARIANTS],
    *_grid(["integrated_brier", "brier_at_horizon", "calibration_at_horizon", "td_auc", "harrell_c", "uno_c"],
           CURVES + CURVE_VARIANTS),
]

# The fast test's subset: every metric and edge variant, without the two largest datasets.
SLOW = tuple(by_name[name] for by_name in (SURVIVAL_BY_NAME, CURVES_BY_NAME) for name in ("flchain", "aids"))
QUICK: list[Case] = [case for case in CASES if case.dataset not in SLOW]
