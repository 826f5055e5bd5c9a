"""Write tests/challenges/two_phase/'s CSVs: a small binary challenge with a development and a final phase.

Run from the repository root: python tests/challenges/make_two_phase.py (the CSVs are committed).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

FOLDER = Path(__file__).parent / "two_phase"
N_TRAIN, N_DEV, N_FINAL = 120, 60, 60


def main() -> None:
    rng = np.random.default_rng(20270104)
    n = N_TRAIN + N_DEV + N_FINAL
    patients = pd.DataFrame({
        "patient_id": [f"T{i:04d}" for i in range(1, n + 1)],
        "age": rng.integers(30, 85, n),
        "marker": np.round(rng.normal(size=n), 2),
    })
    risk = 1 / (1 + np.exp(-(1.2 * patients["marker"] + 0.04 * (patients["age"] - 60))))
    patients["response"] = (rng.random(n) < risk).astype(int)
    train = patients.iloc[:N_TRAIN]
    dev = patients.iloc[N_TRAIN:N_TRAIN + N_DEV].reset_index(drop=True)
    final = patients.iloc[N_TRAIN + N_DEV:].reset_index(drop=True)
    train.to_csv(FOLDER / "train.csv", index=False)
    features = ["patient_id", "age", "marker"]
    dev[features].to_csv(FOLDER / "dev_test.csv", index=False)
    final[features].to_csv(FOLDER / "final_test.csv", index=False)
    prevalence = round(float(train["response"].mean()), 2)
    for rows, name in ((dev, "sample_submission.csv"), (final, "final_sample_submission.csv")):
        pd.DataFrame({"patient_id": rows["patient_id"], "probability": prevalence}).to_csv(FOLDER / name, index=False)
    parts = []
    for rows, phase in ((dev, "development"), (final, "final")):
        part = rows[["patient_id", "response"]].copy()
        part["Usage"] = np.where(np.arange(len(rows)) % 3 == 0, "Public", "Private")
        part["Phase"] = phase
        parts.append(part)
    pd.concat(parts).to_csv(FOLDER / "solution.csv", index=False)


if __name__ == "__main__":
    main()
