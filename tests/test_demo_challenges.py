"""The demo challenges: rebuilt byte for byte from packaged data, valid, small and leak-free."""

from __future__ import annotations

import csv
import importlib.util
import io
import sys
from collections import Counter
from pathlib import Path

import pytest

from ultrathon.challenge_folder import validate_folder

CHALLENGES = Path(__file__).resolve().parents[1] / "challenges"
DEMOS = ["flchain-survival", "actg320-aids", "breast-cancer-diagnosis", "diabetes-progression"]
FILES = {"challenge.yaml", "README.md", "train.csv", "test.csv", "sample_submission.csv", "solution.csv"}


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory) -> Path:
    """Run challenges/build_demo.py into a fresh folder."""
    spec = importlib.util.spec_from_file_location("build_demo", CHALLENGES / "build_demo.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    out = tmp_path_factory.mktemp("demo")
    module.build(out)
    return out


def rows(data: bytes) -> list[dict[str, str]]:
    """Return a CSV file's rows as dicts."""
    return list(csv.DictReader(io.StringIO(data.decode())))


@pytest.mark.parametrize("slug", DEMOS)
def test_committed_files_equal_a_rebuild(rebuilt, slug):
    """The committed folder is exactly what build_demo.py makes: no hand edits, no drift."""
    built = rebuilt / slug
    assert {p.name for p in built.iterdir()} == FILES
    assert {p.name for p in (CHALLENGES / slug).iterdir()} == FILES
    for name in sorted(FILES):
        assert (CHALLENGES / slug / name).read_bytes() == (built / name).read_bytes(), name


@pytest.mark.parametrize("slug", DEMOS)
def test_demo_validates_and_is_small(slug):
    """Each demo passes every check and each file stays under 1 MB."""
    challenge = validate_folder(CHALLENGES / slug)
    assert challenge.slug == slug
    assert all(len(data) < 1_000_000 for data in challenge.public_files.values())
    assert len(challenge.solution) < 1_000_000


@pytest.mark.parametrize("slug", DEMOS)
def test_demo_split_and_ids(slug):
    """Test, sample and solution share ids, train is disjoint, and Usage is about 30/60/10."""
    challenge = validate_folder(CHALLENGES / slug)
    files = challenge.public_files
    train, test, sample = rows(files["train.csv"]), rows(files["test.csv"]), rows(files["sample_submission.csv"])
    solution = rows(challenge.solution)
    ids = [r["patient_id"] for r in solution]
    assert [r["patient_id"] for r in test] == ids == [r["patient_id"] for r in sample]
    assert not {r["patient_id"] for r in train} & set(ids)
    assert abs(len(test) / (len(test) + len(train)) - 0.3) < 0.01
    usage = Counter(r["Usage"] for r in solution)
    for name, share in {"Public": 0.3, "Private": 0.6, "Ignored": 0.1}.items():
        assert abs(usage[name] / len(solution) - share) < 0.02, (name, usage)
    targets = challenge.spec.target_columns
    assert all(t in train[0] for t in targets)
    assert not any(t in test[0] for t in targets)
    assert set(challenge.spec.subgroups) <= set(solution[0])


def test_flchain_leaves_out_the_cause_of_death():
    """The cause-of-death chapter is known only for the dead: it would give the outcome away."""
    header = (CHALLENGES / "flchain-survival" / "train.csv").read_text().splitlines()[0]
    assert "chapter" not in header
    assert len((CHALLENGES / "flchain-survival" / "train.csv").read_text().splitlines()) - 1 + \
        len((CHALLENGES / "flchain-survival" / "test.csv").read_text().splitlines()) - 1 == 7874


@pytest.mark.parametrize("slug", DEMOS)
def test_readme_covers_question_dictionary_metric_rules_source(slug):
    """Each README has the sections a team needs and says its dates are demo dates."""
    text = (CHALLENGES / slug / "README.md").read_text()
    for heading in ("## The clinical question", "## Data dictionary", "## What to submit", "## Metric",
                    "## Leaderboard split", "## Rules", "## Source and citation", "## Dates"):
        assert heading in text, heading
    assert "demo dates" in text


TEST_FOLDERS = ["good", "survival_curve", "two_phase"]


@pytest.mark.parametrize("folder", DEMOS + [f"tests/challenges/{name}" for name in TEST_FOLDERS])
def test_every_demo_and_test_folder_loads_with_its_public_files(folder):
    """Each demo and test folder validates, and stores every file data.public and its phases list."""
    challenge = validate_folder(CHALLENGES.parent / folder if "/" in folder else CHALLENGES / folder)
    spec = challenge.spec
    assert list(challenge.public_files) == spec.public_files
    assert all(name in spec.public_files for phase in spec.phase_list for name in phase.public)
