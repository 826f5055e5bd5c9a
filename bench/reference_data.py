"""Real clinical datasets, with predictions from plain models, for the reference table (bench/references.py).

Each dataset is one `Scored` case: outcomes in the metrics' format (ultrathon/scorers/metrics.py),
predictions, and the metric options that go with them. Models are fitted on one half of the rows
(a seeded permutation) and predict the other half, which is scored, as a team's model would.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cache

import numpy as np
import pandas as pd

SEED = 20270104
OVERCONFIDENT = 1e-6  # the overconfident variant predicts 1e-6 or 1 - 1e-6
SURVIVAL_DTYPE = [("event", bool), ("time", np.float64)]


@dataclass(frozen=True)
class Scored:
    """One dataset or variant: what is scored, with which options."""

    task: str
    name: str
    y_true: np.ndarray
    y_pred: np.ndarray
    options: dict = field(default_factory=dict)
    horizons: tuple[float, ...] = ()  # set for survival curves: y_pred is then S_i(t), (n, H)


def _halves(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (train rows, scored rows): a seeded half each."""
    order = np.random.default_rng(SEED).permutation(n)
    return np.sort(order[: n // 2]), np.sort(order[n // 2 :])


def _standardised(x: pd.DataFrame) -> np.ndarray:
    """Return the columns one-hot encoded (categoricals), gaps filled by the median, and scaled."""
    numbers = pd.get_dummies(x, drop_first=True, dtype=np.float64).astype(np.float64)
    numbers = numbers.fillna(numbers.median())
    spread = numbers.std().replace(0, 1)
    return ((numbers - numbers.mean()) / spread).to_numpy()


@cache
def breast_cancer() -> Scored:
    """Breast cancer (malignant = 0, benign = 1): a logistic model's probabilities on the held-out half."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression

    x, y = load_breast_cancer(return_X_y=True, as_frame=True)
    train, test = _halves(len(y))
    x = _standardised(x)
    model = LogisticRegression(C=0.05, max_iter=5000).fit(x[train], y.to_numpy()[train])
    return Scored("binary", "breast_cancer", y.to_numpy()[test].astype(np.int64), model.predict_proba(x[test])[:, 1])


@cache
def diabetes() -> Scored:
    """Diabetes progression: a ridge regression's predictions on the held-out half."""
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge

    x, y = load_diabetes(return_X_y=True)
    train, test = _halves(len(y))
    model = Ridge(alpha=1.0).fit(x[train], y[train])
    return Scored("regression", "diabetes", y[test].astype(np.float64), model.predict(x[test]))


@cache
def wine() -> Scored:
    """Wine cultivars (3 classes): a multinomial logistic model's probabilities on the held-out half."""
    from sklearn.datasets import load_wine
    from sklearn.linear_model import LogisticRegression

    x, y = load_wine(return_X_y=True, as_frame=True)
    train, test = _halves(len(y))
    x = _standardised(x)
    model = LogisticRegression(C=0.02, max_iter=5000).fit(x[train], y.to_numpy()[train])
    return Scored("multiclass", "wine", y.to_numpy()[test].astype(np.int64), model.predict_proba(x[test]))


# The five scikit-survival datasets: loader and the columns that are not predictors.
SURVIVAL_LOADERS = {
    "whas500": ("load_whas500", ()),
    "gbsg2": ("load_gbsg2", ()),
    # chapter is the cause of death: known only after the event, so not a predictor.
    "flchain": ("load_flchain", ("chapter",)),
    "veterans": ("load_veterans_lung_cancer", ()),
    "aids": ("load_aids", ()),
}


@cache
def _cox_fit(name: str):
    """Return (scored outcomes, scored features, model): a ridge Cox model fitted on the other half."""
    from sksurv import datasets
    from sksurv.linear_model import CoxPHSurvivalAnalysis

    loader, drop = SURVIVAL_LOADERS[name]
    x, y = getattr(datasets, loader)()
    event_field, time_field = y.dtype.names
    outcome = np.zeros(len(y), dtype=SURVIVAL_DTYPE)
    outcome["event"], outcome["time"] = y[event_field], y[time_field]
    train, test = _halves(len(y))
    features = _standardised(x.drop(columns=list(drop)))
    model = CoxPHSurvivalAnalysis(alpha=0.1).fit(features[train], outcome[train])
    return outcome[test], features[test], model


@cache
def survival(name: str) -> Scored:
    """Return a survival dataset: the Cox model's risks on the held-out half; tau the 75th percentile time."""
    scored, features, model = _cox_fit(name)
    return Scored("survival", name, scored, model.predict(features), {"tau": float(np.percentile(scored["time"], 75))})


def survival_datasets() -> tuple[Scored, ...]:
    """Return the five scikit-survival datasets with Cox risks."""
    return tuple(survival(name) for name in SURVIVAL_LOADERS)


def _curves_at(name: str, horizons: np.ndarray, days: float = 1.0) -> np.ndarray:
    """Return the Cox model's survival of each scored row at the horizons (in units of `days` days)."""
    _, features, model = _cox_fit(name)
    return np.asarray([fn(horizons * days) for fn in model.predict_survival_function(features)])


def _quartiles(y: np.ndarray) -> np.ndarray:
    """Return the distinct 25/50/75% quantiles of the event times: horizons within follow-up."""
    return np.unique(np.percentile(y["time"][y["event"]], [25, 50, 75]))


def _curve_case(base: Scored, name: str, horizons: np.ndarray, curves: np.ndarray, horizon: float) -> Scored:
    """Return a survival-curve case: curves at the horizons, `horizon` the one-horizon metrics' time, tau the last."""
    horizons = tuple(float(h) for h in horizons)
    return replace(base, name=name, y_pred=curves, options={"horizon": float(horizon), "tau": horizons[-1]},
                   horizons=horizons)


@cache
def survival_curves(name: str) -> Scored:
    """Return a survival dataset with the Cox model's survival curves at the event-time quartiles."""
    base = survival(name)
    horizons = _quartiles(base.y_true)
    return _curve_case(base, f"{name}/curves", horizons, _curves_at(name, horizons), horizons[1])


# --- edge variants ------------------------------------------------------------------------


def yearly_whas500(tau: bool = False) -> Scored:
    """WHAS500 with follow-up rounded up to whole years: many tied times, events tying censorings at the last."""
    base = survival("whas500")
    y = base.y_true.copy()
    y["time"] = np.ceil(y["time"] / 365.25)
    if not tau:
        return replace(base, name="whas500/yearly", y_true=y, options={})
    return replace(base, name="whas500/yearly+tau", y_true=y, options={"tau": float(np.percentile(y["time"], 75))})


def scaled_whas500() -> Scored:
    """WHAS500 risks multiplied by 1e-8: rank metrics must not change."""
    base = survival("whas500")
    return replace(base, name="whas500/risk*1e-8", y_pred=base.y_pred * 1e-8)


def tied_survival(name: str) -> Scored:
    """A survival dataset with risks rounded to one decimal: many tied risks."""
    base = survival(name)
    return replace(base, name=f"{name}/tied-risks", y_pred=np.round(base.y_pred, 1))


def overconfident_breast_cancer(cut: float = 0.5) -> Scored:
    """Breast cancer with every probability pushed to 1e-6 or 1 - 1e-6 (1 - 1e-6 from the cut up).

    At the cut 0.5 no benign row is predicted 1e-6 (the slope has no MLE); at 0.8 both groups mix.
    """
    base = breast_cancer()
    p = np.where(base.y_pred >= cut, 1 - OVERCONFIDENT, OVERCONFIDENT)
    return replace(base, name="breast_cancer/overconfident" + ("" if cut == 0.5 else f"@{cut:g}"), y_pred=p)


def tied_breast_cancer() -> Scored:
    """Breast cancer with probabilities rounded to one decimal: tied, and on the ECE bin edges."""
    base = breast_cancer()
    return replace(base, name="breast_cancer/tied", y_pred=np.round(base.y_pred, 1))


def one_class_breast_cancer() -> Scored:
    """Breast cancer's benign rows alone: rank and calibration metrics are undefined."""
    base = breast_cancer()
    keep = base.y_true == 1
    return replace(base, name="breast_cancer/benign-only", y_true=base.y_true[keep], y_pred=base.y_pred[keep])


def ece_edges_breast_cancer() -> Scored:
    """Breast cancer with probabilities on a bin edge k/10 or one float below it: where floor(10 p) could misplace them."""
    base = breast_cancer()
    edge = np.round(base.y_pred, 1)
    below = np.nextafter(edge, -np.inf).clip(0, 1)
    return replace(base, name="breast_cancer/ece-edges", y_pred=np.where(np.arange(edge.size) % 2 == 0, below, edge))


def yearly_whas500_curves() -> Scored:
    """WHAS500 curves with follow-up rounded up to whole years: tied times, G through tied censorings."""
    base = yearly_whas500()
    horizons = _quartiles(base.y_true)
    return _curve_case(base, "whas500/yearly/curves", horizons, _curves_at("whas500", horizons, 365.25), horizons[1])


def tied_curves(name: str) -> Scored:
    """A survival dataset's curves rounded to two decimals: tied risks at every horizon."""
    base = survival_curves(name)
    return replace(base, name=f"{name}/tied-curves", y_pred=np.round(base.y_pred, 2))


def last_time_curves() -> Scored:
    """WHAS500 curves with a last horizon at the last follow-up time, the one-horizon metrics there.

    The Brier score and td_auc have no value at or after the last time; calibration does.
    """
    base = survival_curves("whas500")
    horizons = np.append(base.horizons, base.y_true["time"].max())
    return _curve_case(base, "whas500/curves+last-time", horizons, _curves_at("whas500", horizons), horizons[-1])
