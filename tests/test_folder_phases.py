"""A challenge folder with phases: each phase's files, solution rows and sample submission are checked."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ultrathon.challenge_folder import ChallengeInvalid, validate_folder

FOLDER = Path(__file__).resolve().parent / "challenges" / "two_phase"


@pytest.fixture
def folder(tmp_path) -> Path:
    """Return a copy of the two-phase folder to break."""
    shutil.copytree(FOLDER, tmp_path / "two-phase")
    return tmp_path / "two-phase"


def problems(folder: Path) -> list[str]:
    """Return the folder's problems, paths relative to it."""
    with pytest.raises(ChallengeInvalid) as caught:
        validate_folder(folder)
    return [str(p).replace(f"{folder}/", "") for p in caught.value.problems]


def replace(path: Path, old: str, new: str, count: int = -1) -> None:
    """Edit a file in place."""
    path.write_text(path.read_text().replace(old, new, count))


def test_the_phases_files_are_the_folders_public_files():
    """data.public and every phase's public files are stored; the final test file is released at its opening."""
    challenge = validate_folder(FOLDER)
    assert list(challenge.public_files) == ["train.csv", "dev_test.csv", "sample_submission.csv",
                                            "final_test.csv", "final_sample_submission.csv"]
    spec = challenge.spec
    assert spec.released_at("train.csv") is None
    assert spec.released_at("final_test.csv") == spec.phase("final").opens
    assert [(p.slug, p.sample_submission, p.feedback.mode, p.limits.total) for p in spec.phase_list] == [
        ("development", "sample_submission.csv", "live", None), ("final", "final_sample_submission.csv", "hidden", 1)]


def test_a_row_that_names_no_phase_is_refused_with_its_line(folder):
    replace(folder / "solution.csv", ",development\n", ",devel\n", 1)
    assert problems(folder)[0] == "solution.csv:2: Phase: 'devel' is not a phase; this column holds each row's phase: development, final"


def test_a_phase_without_rows_is_refused(folder):
    replace(folder / "solution.csv", ",final\n", ",development\n")
    assert "solution.csv:1: Phase: no row names phase 'final'; each phase needs solution rows" in problems(folder)


def test_a_phase_without_public_rows_is_refused(folder):
    replace(folder / "solution.csv", "Public,final", "Private,final")
    assert problems(folder) == ["solution.csv:1: Usage: phase 'final': no Public rows: each leaderboard needs some"]


def test_a_seeded_split_needs_public_and_private_rows_in_each_phase(folder):
    """Without Usage, public_fraction divides each phase's rows; a one-row phase cannot have both boards."""
    lines = (folder / "solution.csv").read_text().splitlines()
    kept = [lines[0]] + [line for line in lines[1:] if line.endswith(",development")] + [lines[-1]]
    (folder / "solution.csv").write_text("\n".join(line.replace(",Public,", ",").replace(",Private,", ",")
                                                   for line in kept).replace(",Usage,", ",") + "\n")
    last = kept[-1].split(",")[0]
    (folder / "final_sample_submission.csv").write_text(f"patient_id,probability\n{last},0.5\n")
    replace(folder / "challenge.yaml", "  usage_column: Usage\n", "  usage_column: null\n  public_fraction: 0.3\n")
    assert problems(folder) == ["solution.csv:1: Phase: phase 'final' has no Public rows: each of its leaderboards needs some"]


def test_each_sample_is_checked_against_its_own_phases_rows(folder):
    shutil.copy(folder / "sample_submission.csv", folder / "final_sample_submission.csv")
    found = problems(folder)
    assert found[0] == ("final_sample_submission.csv:1: patient_id: 60 ids of the solution rows of phase 'final' "
                        "are missing, e.g. 'T0181'; list every solution id, Ignored ones too")
    assert found[1] == "final_sample_submission.csv:2: patient_id: id 'T0121' is not in the solution rows of phase 'final'"
    assert not any(p.startswith("sample_submission.csv") for p in found)


def test_a_phase_file_that_is_missing_is_named_with_its_key(folder):
    (folder / "final_test.csv").unlink()
    assert problems(folder) == ["challenge.yaml:30: phases[1].public[0]: file 'final_test.csv' not found in the challenge folder"]
