"""Fixtures for the worker tests: challenges with organisers' own (slow, failing) metrics."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
import yaml

DEMO = Path(__file__).resolve().parents[2] / "challenges" / "breast-cancer-diagnosis"


# The loader dry-runs a custom metric on the sample submission (one value throughout) and refuses
# one that fails there, so a hostile metric behaves on it, as a real attacker's would.
SAMPLE_GUARD = """

def score(solution, submission, row_id_column_name):
    if submission.iloc[:, 1].nunique() == 1:
        return 0.5
    return metric_under_test(solution, submission, row_id_column_name)
"""


def write_custom_challenge(folder: Path, slug: str, scorer_source: str, *, timeout_s: int = 600,
                           bootstrap: int = 0, per_day: int = 5, hostile: bool = False, scoring: dict | None = None) -> Path:
    """Copy the binary demo challenge into `folder/slug` with a custom primary metric.

    A `hostile` metric is run only on submissions other than the sample (see varied_sample).
    """
    target = folder / slug
    shutil.copytree(DEMO, target)
    raw = yaml.safe_load((target / "challenge.yaml").read_text())
    raw["slug"] = slug
    raw["metrics"] = {"primary": "custom", "custom": "scorer.py:score"}
    raw["scoring"] = {"timeout_s": timeout_s, **(scoring or {})}
    raw["leaderboard"] = {"decimals": 4, "bootstrap": bootstrap}
    raw["limits"] = {"per_day": per_day, "total": 1000, "final_selections": 2}
    (target / "challenge.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    source = textwrap.dedent(scorer_source)
    if hostile:
        source = source.replace("def score(", "def metric_under_test(", 1) + SAMPLE_GUARD
    (target / "scorer.py").write_text(source)
    return target


@pytest.fixture
def custom_challenge(tmp_path, make_challenge):
    """Load a copy of the binary demo challenge whose primary metric is the given scorer.py."""

    def make(slug: str, scorer_source: str, **options):
        return make_challenge(folder=write_custom_challenge(tmp_path, slug, scorer_source, **options))

    return make


@pytest.fixture
def varied_sample():
    """Return a challenge's sample submission with varied predictions (not the sample any more)."""

    def make(challenge) -> bytes:
        sample = next(f.content for f in challenge.files if f.name == "sample_submission.csv").decode()
        header, *rows = sample.strip().splitlines()
        varied = [f"{row.split(',')[0]},{(i % 9 + 1) / 10}" for i, row in enumerate(rows)]
        return ("\n".join([header, *varied]) + "\n").encode()

    return make
