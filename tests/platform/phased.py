"""A two-phase copy of the demo challenge for tests: development (open or closed) then final."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd

from ultrathon.platform.extensions import db
from ultrathon.platform.models import Score, Submission

DEMO = Path(__file__).resolve().parents[2] / "challenges" / "breast-cancer-diagnosis"
PHASED_SLUG = "phased-demo"


def phase_files(folder: Path, solution: pd.DataFrame) -> dict[str, str]:
    """Write each phase's own sample submission (its rows only); return the YAML keys that give each phase its files."""
    keys = {}
    for phase in solution["Phase"].unique():
        rows = solution.loc[solution["Phase"] == phase, "patient_id"]
        pd.DataFrame({"patient_id": rows, "probability": 0.5}).to_csv(folder / f"{phase}_sample.csv", index=False)
        keys[phase] = f"public: [train.csv, test.csv, {phase}_sample.csv], sample_submission: {phase}_sample.csv"
    return keys


def write_phased(folder: Path, now: datetime, *, extra: str = "", slug: str = PHASED_SLUG) -> Path:
    """Copy the demo into `folder` with two phases: development (ends `now` - 1 day) and final (ends `now` + 10 days)."""
    shutil.copytree(DEMO, folder)
    solution = pd.read_csv(folder / "solution.csv")
    solution["Phase"] = ["development" if i % 2 == 0 else "final" for i in range(len(solution))]
    solution.to_csv(folder / "solution.csv", index=False)
    files = phase_files(folder, solution)
    text = (folder / "challenge.yaml").read_text().replace("slug: breast-cancer-diagnosis", f"slug: {slug}")
    text = text.replace("  target: malignant\n", "  target: malignant\n  phase_column: Phase\n")
    lines = [line for line in text.splitlines() if not line.startswith(("opens:", "closes:"))]
    fmt = "%Y-%m-%dT%H:%M:%S+00:00"
    at = [now - timedelta(days=20), now - timedelta(days=1), now + timedelta(days=10)]
    phases = (f"phases:\n"
              f"  - {{slug: development, title: Development, opens: {at[0]:{fmt}}, closes: {at[1]:{fmt}}, feedback: ladder, "
              f"{files['development']}}}\n"
              f"  - {{slug: final, title: Final test, opens: {at[1]:{fmt}}, closes: {at[2]:{fmt}}, {files['final']}}}\n")
    (folder / "challenge.yaml").write_text("\n".join(lines) + "\n" + phases + extra)
    return folder


def phased_now() -> datetime:
    """Return a time to build the phases around: now, to the second."""
    return datetime.now(timezone.utc).replace(microsecond=0, tzinfo=None)


def add_score(team, phase, public, private=None, minute=0):
    """Add a scored submission of `team` in `phase` with its scores straight into the database."""
    at = phase.opens_at + timedelta(minutes=minute)
    submission = Submission(challenge_id=team.challenge_id, team_id=team.id, phase_id=phase.id, status="scored",
                            size=1, sha256="0" * 64, content=b"x", created_at=at, scored_at=at)
    db.session.add(submission)
    db.session.flush()
    for split, value in (("public", public), ("private", private)):
        if value is not None:
            db.session.add(Score(submission_id=submission.id, challenge_id=team.challenge_id, team_id=team.id,
                                 phase_id=phase.id, split=split, metric="roc_auc", value=value, ci_low=value - 0.03,
                                 ci_high=value + 0.03, n_rows=100, metrics={}, subgroups=[]))
    db.session.commit()
    return submission
