"""Fixtures for the worker tests: challenges with organisers' own (slow, failing) metrics."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
import yaml

DEMO = Path(__file__).resolve().parents[2] / "challenges" / "breast-cancer-diagnosis"


def write_custom_challenge(folder: Path, slug: str, scorer_source: str, *, timeout_s: int = 600,
                           bootstrap: int = 0, per_day: int = 5) -> Path:
    """Copy the binary demo challenge into `folder/slug` with a custom primary metric."""
    target = folder / slug
    shutil.copytree(DEMO, target)
    raw = yaml.safe_load((target / "challenge.yaml").read_text())
    raw["slug"] = slug
    raw["metrics"] = {"primary": "custom", "custom": "scorer.py:score"}
    raw["scoring"] = {"timeout_s": timeout_s}
    raw["leaderboard"] = {"decimals": 4, "bootstrap": bootstrap}
    raw["limits"] = {"per_day": per_day, "total": 1000, "final_selections": 2}
    (target / "challenge.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    (target / "scorer.py").write_text(textwrap.dedent(scorer_source))
    return target


@pytest.fixture
def custom_challenge(tmp_path, make_challenge):
    """Load a copy of the binary demo challenge whose primary metric is the given scorer.py."""

    def make(slug: str, scorer_source: str, **options):
        return make_challenge(folder=write_custom_challenge(tmp_path, slug, scorer_source, **options))

    return make
