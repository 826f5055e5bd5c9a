"""Fixtures for the scoring library: challenge specs and small solutions and submissions."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from ultrathon.spec import ChallengeSpec

TASK_DEFAULTS = {
    "binary": dict(
        data={"id_column": "patient_id", "target": "outcome"},
        submission={"columns": ["prob"]},
        metrics={"primary": "roc_auc"},
    ),
    "multiclass": dict(
        data={"id_column": "patient_id", "target": "grade", "classes": ["I", "II", "III"]},
        submission={"columns": ["I", "II", "III"]},
        metrics={"primary": "log_loss"},
    ),
    "regression": dict(
        data={"id_column": "patient_id", "target": "level"},
        submission={"columns": ["prediction"]},
        metrics={"primary": "rmse"},
    ),
    "survival": dict(
        data={"id_column": "patient_id", "target": {"time": "futime", "event": "death"}},
        submission={"columns": ["risk"]},
        metrics={"primary": "harrell_c"},
    ),
}


def _merge(base: dict, override: dict) -> dict:
    out = dict(base)
    for key, value in override.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


@pytest.fixture
def make_spec():
    """Return a factory of valid ChallengeSpecs for a task, with keys overridden as given."""

    def make(task: str = "binary", **override) -> ChallengeSpec:
        raw = {
            "slug": f"demo-{task}",
            "title": "Demo",
            "task": task,
            "opens": "2027-01-04T09:00:00+01:00",
            "closes": "2027-02-15T12:00:00+01:00",
            "split": {"seed": 20270104},
            "leaderboard": {"bootstrap": 200},
            **TASK_DEFAULTS[task],
        }
        raw = _merge(raw, override)
        raw["data"] = {"public": ["sample_submission.csv"], **raw["data"]}
        return ChallengeSpec.model_validate(raw)

    return make


@pytest.fixture
def to_csv():
    """Return a function that writes a frame as CSV bytes."""

    def write(frame: pd.DataFrame, **kwargs) -> bytes:
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False, **kwargs)
        return buffer.getvalue().encode()

    return write


@pytest.fixture
def binary_data():
    """Return (solution frame, predictions frame) for a binary challenge of n rows."""

    def build(n: int = 400, prevalence: float = 0.3, seed: int = 0, usage: bool = True, extra=None):
        rng = np.random.default_rng(seed)
        outcome = (rng.random(n) < prevalence).astype(int)
        solution = pd.DataFrame({
            "patient_id": [f"P{i:05d}" for i in range(n)],
            "outcome": outcome,
            "sex": rng.choice(["F", "M"], n),
        })
        if usage:
            solution["Usage"] = np.where(np.arange(n) % 10 < 3, "Public", "Private")
        predictions = pd.DataFrame({
            "patient_id": solution["patient_id"],
            "prob": np.clip(0.25 * outcome + 0.75 * rng.random(n), 0, 1),
        })
        return solution, predictions

    return build


@pytest.fixture
def survival_data():
    """Return (solution frame, predictions frame) for a survival challenge with tied times and risks."""

    def build(n: int = 400, seed: int = 0, usage: bool = True):
        rng = np.random.default_rng(seed)
        hazard = rng.normal(size=n)
        time = np.ceil(rng.exponential(100 * np.exp(-hazard))).astype(int) + 1
        event = (rng.random(n) < 0.6).astype(int)
        solution = pd.DataFrame({
            "patient_id": np.arange(1, n + 1),
            "futime": time,
            "death": event,
            "sex": rng.choice(["F", "M"], n),
        })
        if usage:
            solution["Usage"] = np.where(np.arange(n) % 10 < 3, "Public", "Private")
        predictions = pd.DataFrame({"patient_id": solution["patient_id"], "risk": np.round(hazard + rng.normal(size=n), 1)})
        return solution, predictions

    return build
