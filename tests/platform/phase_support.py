"""A two-phase copy of the binary demo: development (live, 5 a day) then final (hidden, 1 in all)."""

from __future__ import annotations

import re
import shutil
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from tests.conftest import DEMO_DIR

SLUG = "breast-cancer-diagnosis"
DEV_SHARE = 0.6  # the first 60% of the solution's ids are the development phase's rows


def phased_folder(root: Path, windows: dict[str, tuple[datetime, datetime]], *,
                  feedback: dict[str, str] | None = None) -> Path:
    """Write the two-phase challenge folder under root; windows and feedback are per phase slug."""
    feedback = {"development": "live", "final": "hidden", **(feedback or {})}
    folder = root / SLUG
    shutil.copytree(DEMO_DIR / SLUG, folder)
    solution = pd.read_csv(folder / "solution.csv")
    cut = int(len(solution) * DEV_SHARE)
    solution["Phase"] = ["development"] * cut + ["final"] * (len(solution) - cut)
    solution.to_csv(folder / "solution.csv", index=False)
    for slug in ("development", "final"):
        ids = solution.loc[solution["Phase"] == slug, "patient_id"]
        pd.DataFrame({"patient_id": ids, "probability": 0.37}).to_csv(folder / f"{slug}_sample.csv", index=False)
    (dev_opens, dev_closes), (final_opens, final_closes) = windows["development"], windows["final"]
    text = (folder / "challenge.yaml").read_text()
    text = re.sub(r"(?m)^(opens|closes): .*\n", "", text)
    text = text.replace("  target: malignant\n", "  target: malignant\n  phase_column: Phase\n")
    text += (
        "phases:\n"
        "  - slug: development\n    title: Development\n"
        f"    opens: {dev_opens.isoformat()}\n    closes: {dev_closes.isoformat()}\n"
        "    public: [train.csv, test.csv, development_sample.csv]\n    sample_submission: development_sample.csv\n"
        f"    limits: {{per_day: 5}}\n    feedback: {feedback['development']}\n"
        "  - slug: final\n    title: Final test\n"
        f"    opens: {final_opens.isoformat()}\n    closes: {final_closes.isoformat()}\n"
        "    public: [train.csv, test.csv, final_sample.csv]\n    sample_submission: final_sample.csv\n"
        f"    limits: {{total: 1}}\n    feedback: {feedback['final']}\n"
    )
    (folder / "challenge.yaml").write_text(text)
    return folder


def phase_rows(folder: Path, slug: str) -> pd.DataFrame:
    """Return the solution rows of one phase."""
    solution = pd.read_csv(folder / "solution.csv")
    return solution[solution["Phase"] == slug]


def predictions(folder: Path, slug: str, noise: float, seed: int) -> bytes:
    """Return a submission for one phase's ids: its labels plus noise (the more noise, the lower the AUC)."""
    rows = phase_rows(folder, slug)
    rng = np.random.default_rng(seed)
    probability = np.clip(rows["malignant"] * 0.5 + 0.25 + rng.normal(0, noise, len(rows)), 0, 1)
    return pd.DataFrame({"patient_id": rows["patient_id"], "probability": probability}).to_csv(index=False).encode()
