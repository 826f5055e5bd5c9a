"""Write tests/challenges/survival_curve/: a small synthetic survival challenge scored on survival curves.

Run from the repository root: python tests/challenges/make_survival_curve.py (the CSVs are committed).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

FOLDER = Path(__file__).parent / "survival_curve"
HORIZONS = (200, 400, 600)
N_TRAIN, N_TEST = 150, 250


def true_rate(frame: pd.DataFrame) -> np.ndarray:
    """Return each patient's exponential event rate per day (the model a good curve knows)."""
    return np.exp(0.8 * frame["marker"] + 0.03 * (frame["age"] - 60)) / 500


def main() -> None:
    rng = np.random.default_rng(20261203)
    n = N_TRAIN + N_TEST
    patients = pd.DataFrame({
        "patient_id": [f"S{i:04d}" for i in range(1, n + 1)],
        "age": rng.integers(40, 85, n),
        "marker": np.round(rng.normal(size=n), 2),
        "sex": rng.choice(["F", "M"], n),
    })
    event_time = rng.exponential(1 / true_rate(patients))
    censor_time = rng.uniform(300, 900, n)
    patients["futime"] = np.maximum(1, np.ceil(np.minimum(event_time, censor_time))).astype(int)
    patients["death"] = (event_time <= censor_time).astype(int)
    train, test = patients.iloc[:N_TRAIN], patients.iloc[N_TRAIN:].reset_index(drop=True)
    train.to_csv(FOLDER / "train.csv", index=False)
    test[["patient_id", "age", "marker", "sex"]].to_csv(FOLDER / "test.csv", index=False)
    solution = test[["patient_id", "futime", "death", "sex"]].copy()
    solution["Usage"] = np.where(rng.random(len(test)) < 0.4, "Public", "Private")
    solution.to_csv(FOLDER / "solution.csv", index=False)
    # The sample predicts everyone the training rows' survival: the Kaplan-Meier curve.
    survival = []
    for horizon in HORIZONS:
        s = 1.0
        for t in np.unique(train["futime"][(train["death"] == 1) & (train["futime"] <= horizon)]):
            s *= 1 - ((train["futime"] == t) & (train["death"] == 1)).sum() / (train["futime"] >= t).sum()
        survival.append(round(s, 4))
    sample = pd.DataFrame({"patient_id": test["patient_id"], **{f"surv_{h}": v for h, v in zip(HORIZONS, survival)}})
    sample.to_csv(FOLDER / "sample_submission.csv", index=False)


if __name__ == "__main__":
    main()
