"""scoring.where: agent: the keys it needs and refuses, and a folder without its solution."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from ultrathon.challenge_folder import validate_folder
from ultrathon.spec import parse_spec, schema_problems

from tests.test_spec import GOOD, good_raw, problems_of

PIN = hashlib.sha256((GOOD / "solution.csv").read_bytes()).hexdigest()


def agent_folder(tmp_path: Path, scoring: str = f"scoring: {{where: agent, solution_sha256: {PIN}}}\n") -> Path:
    """Copy the good folder without its solution, scored by an agent."""
    folder = tmp_path / "agent-challenge"
    shutil.copytree(GOOD, folder)
    (folder / "solution.csv").unlink()
    yaml_path = folder / "challenge.yaml"
    yaml_path.write_text(yaml_path.read_text() + scoring)
    return folder


def keyed(raw: dict) -> list[str]:
    return [f"{p.key}: {p.message}" for p in schema_problems(raw)]


def test_where_defaults_to_the_platform():
    spec = parse_spec(good_raw())
    assert spec.scoring.where == "platform" and not spec.scoring.by_agent
    assert spec.scoring.solution_sha256 is None


def test_an_agent_needs_the_pinned_fingerprint():
    raw = good_raw() | {"scoring": {"where": "agent"}}
    assert keyed(raw) == ["scoring.solution_sha256: where: agent needs the solution's SHA-256 pinned here "
                          "(sha256sum solution.csv), so an agent holding another solution is refused"]


def test_the_platform_refuses_agent_keys():
    raw = good_raw() | {"scoring": {"solution_sha256": PIN, "split_sizes": {"public": 3, "private": 7}}}
    message = "applies only with scoring.where: agent; the platform reads its own solution"
    assert keyed(raw) == [f"scoring.solution_sha256: {message}", f"scoring.split_sizes: {message}"]


@pytest.mark.parametrize("value", ["abc", PIN[:-1] + "g", PIN + "0"])
def test_the_fingerprint_is_64_hex_characters(value):
    raw = good_raw() | {"scoring": {"where": "agent", "solution_sha256": value}}
    (problem,) = keyed(raw)
    assert problem.startswith("scoring.solution_sha256: should be the solution's SHA-256: 64 hexadecimal characters")


def test_an_unknown_place_is_named_with_the_choices():
    assert keyed(good_raw() | {"scoring": {"where": "hospital"}}) == ["scoring.where: unknown value 'hospital'; one of platform, agent"]


def test_an_agent_needs_a_sample_submission():
    raw = good_raw() | {"scoring": {"where": "agent", "solution_sha256": PIN}}
    raw["data"] = raw["data"] | {"sample_submission": None}
    assert "data.sample_submission: where: agent needs a sample submission: its ids are the ones the platform accepts" in keyed(raw)


def test_a_folder_without_its_solution_validates_with_the_sample_ids(tmp_path):
    validated = validate_folder(agent_folder(tmp_path))
    assert validated.solution == b""
    assert validated.accepted_ids == tuple(f"P{n:02d}" for n in range(1, 11))
    assert validated.spec.scoring.solution_sha256 == PIN


def test_the_agent_scoring_hash_is_the_platform_one_for_the_same_solution(tmp_path):
    platform = validate_folder(GOOD)
    agent = validate_folder(agent_folder(tmp_path))
    assert agent.scoring_hash == platform.scoring_hash
    other = validate_folder(agent_folder(tmp_path / "other", f"scoring: {{where: agent, solution_sha256: '{'0' * 64}'}}\n"))
    assert other.scoring_hash != platform.scoring_hash


def test_a_broken_sample_is_still_refused_with_its_line(tmp_path):
    folder = agent_folder(tmp_path)
    sample = folder / "sample_submission.csv"
    sample.write_text(sample.read_text().replace("P02,0.5", "P02,high"))
    assert any(p.startswith("sample_submission.csv:3: risk:") for p in problems_of(folder)), problems_of(folder)
