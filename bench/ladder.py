"""The boosting attack of Blum and Hardt (2015, section 4) against a live board and a Ladder board.

An attacker who never looks at the data uploads many random predictions on a binary challenge,
keeps those whose public score beats the baseline's (0.5 AUC), and submits their majority vote.
On a live board the vote fits the public labels and its public score rises well above its
private one; on a Ladder board (ultrathon/scorers/ladder.py) almost no random upload moves the
shown score, so almost nothing is kept and the vote stays near chance on both.

    python bench/ladder.py [--submissions 1000] [--seed 0]

Scores each upload with the platform's own scorer (ultrathon.scorers.score), no bootstrap.
Prints the inflation (public minus private score of the final vote) under each board.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ultrathon.scorers import score  # noqa: E402
from ultrathon.scorers.ladder import default_step, shown_score  # noqa: E402
from ultrathon.spec import parse_spec  # noqa: E402

BASELINE = 0.5  # a constant prediction's AUC


@dataclass(frozen=True)
class Attack:
    """The outcome of one attack: the final vote's public and private scores."""

    board: str
    kept: int
    public: float
    private: float

    @property
    def inflation(self) -> float:
        """Return how far the public score rose above the private one."""
        return self.public - self.private


def challenge(n_rows: int, seed: int):
    """Return a binary challenge's spec and solution with n_rows hidden rows, half of them public."""
    rng = np.random.default_rng(seed)
    ids = [f"R{i:05d}" for i in range(n_rows)]
    usage = np.where(np.arange(n_rows) % 2 == 0, "Public", "Private")
    solution = pd.DataFrame({"id": ids, "y": rng.integers(0, 2, n_rows), "Usage": usage})
    spec = parse_spec({
        "slug": "ladder-bench", "title": "Ladder bench", "task": "binary",
        "opens": "2026-01-01T00:00:00+00:00", "closes": "2026-02-01T00:00:00+00:00",
        "data": {"id_column": "id", "target": "y"}, "submission": {"columns": ["p"]},
        "metrics": {"primary": "roc_auc"}, "leaderboard": {"bootstrap": 0},
    })
    return spec, solution


def scored(spec, solution: pd.DataFrame, votes: np.ndarray) -> tuple[float, float]:
    """Return the public and private AUC of one upload."""
    report = score(pd.DataFrame({"id": solution["id"], "p": votes.astype(float)}), solution, spec)
    return report.splits["public"].metrics["roc_auc"], report.splits["private"].metrics["roc_auc"]


def attack(spec, solution: pd.DataFrame, submissions: int, seed: int, step: float | None) -> Attack:
    """Run the boosting attack against a live board (step None) or a Ladder board with this step."""
    rng = np.random.default_rng(seed)  # the same random uploads under both boards
    kept: list[np.ndarray] = []
    best_shown: float | None = None
    for _ in range(submissions):
        upload = rng.integers(0, 2, len(solution))
        public, _ = scored(spec, solution, upload)
        if step is None:
            seen, bar = public, BASELINE
        else:
            previous = best_shown
            best_shown = seen = shown_score(best_shown, public, step, higher_is_better=True)
            bar = BASELINE if previous is None else previous
        if seen > bar:
            kept.append(upload)
    vote = (np.mean(kept, axis=0) > 0.5).astype(int) if kept else np.full(len(solution), 0.5)
    public, private = scored(spec, solution, vote)
    return Attack("live" if step is None else f"ladder (step {step:g})", len(kept), public, private)


def run(n_rows: int = 4000, submissions: int = 1000, seed: int = 0) -> tuple[Attack, Attack]:
    """Return the attack's outcome on a live board and on a Ladder board of the same challenge."""
    spec, solution = challenge(n_rows, seed)
    step = default_step(int((solution["Usage"] == "Public").sum()))
    return attack(spec, solution, submissions, seed + 1, None), attack(spec, solution, submissions, seed + 1, step)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=4000, help="hidden rows, half of them public")
    parser.add_argument("--submissions", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    live, ladder = run(args.rows, args.submissions, args.seed)
    for result in (live, ladder):
        print(f"{result.board:<22} kept {result.kept:>4}  public {result.public:.4f}  private {result.private:.4f}  "
              f"inflation {result.inflation:+.4f}")
    ratio = ladder.inflation / live.inflation if live.inflation > 0 else float("nan")
    print(f"ladder inflation / live inflation: {ratio:.3f} (target: at most 0.333)")


if __name__ == "__main__":
    main()
