"""scoring.where: agent: the keys it needs and refuses, and a folder without its solution."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from ultrathon.challenge_folder import validate_folder
from ultrathon.spec import ChallengeSpec, parse_spec, schema_problems

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


SITE_PINS = {"odense": {"solution_sha256": PIN}, "copenhagen": {"solution_sha256": "0" * 64}}


def test_sites_need_an_agent_and_a_pin_each():
    assert keyed(good_raw() | {"sites": ["odense"]}) == [
        "sites: applies only with scoring.where: agent; each site's scoring agent holds its own rows"]
    raw = good_raw() | {"sites": ["odense", "copenhagen"], "scoring": {"where": "agent", "sites": {"odense": {"solution_sha256": PIN}}}}
    assert keyed(raw) == ["scoring.sites: no pin for site copenhagen; every site in sites needs its solution_sha256"]


def test_sites_refuse_the_single_pin_and_unknown_sites():
    raw = good_raw() | {"sites": ["odense", "copenhagen"],
                        "scoring": {"where": "agent", "solution_sha256": PIN, "sites": SITE_PINS | {"malmo": {"solution_sha256": PIN}}}}
    problems = keyed(raw)
    assert any(p.startswith("scoring.solution_sha256: with sites, each site pins its own") for p in problems)
    assert "scoring.sites.malmo: 'malmo' is not one of the sites (odense, copenhagen)" in problems


def test_combine_defaults_to_mean_and_needs_sites():
    raw = good_raw() | {"sites": ["odense", "copenhagen"], "scoring": {"where": "agent", "sites": SITE_PINS}}
    spec = parse_spec(raw)
    assert spec.leaderboard.combine == "mean" and spec.scoring.pinned("odense") == PIN
    assert keyed(good_raw() | {"leaderboard": {"combine": "worst"}}) == [
        "leaderboard.combine: applies only when the challenge names several sites (sites: [...])"]


def test_a_site_id_list_must_cover_the_sample_once(tmp_path):
    folder = agent_folder(tmp_path, "sites: [odense, copenhagen]\nscoring: {where: agent, sites: {odense: {solution_sha256: "
                          f"{PIN}}}, copenhagen: {{solution_sha256: '{'0' * 64}'}}}}}}\n")
    sample = (folder / "sample_submission.csv").read_text().splitlines()[1:]
    ids = [line.split(",")[0] for line in sample]
    (folder / "sites").mkdir()
    (folder / "sites" / "odense.ids").write_text("\n".join(ids[:3] + ["nobody"]) + "\n")
    (folder / "sites" / "copenhagen.ids").write_text("\n".join(ids[2:-1]) + "\n")
    with pytest.raises(Exception) as caught:
        validate_folder(folder)
    rendered = [p.render() for p in caught.value.problems]
    assert any("sites/copenhagen.ids:1: " in r and f"id {ids[2]!r} is listed already (sites/odense.ids, line 3)" in r for r in rendered)
    assert any("sites/odense.ids:4: " in r and "id 'nobody' is not in sample_submission.csv" in r for r in rendered)
    assert any(f"1 id(s) belong to no site, e.g. {ids[-1]!r}" in r for r in rendered)


def test_a_spec_without_sites_validates_directly_with_its_cross_checks():
    """ChallengeSpec.model_validate checks its own dump, which always holds combine: mean."""
    spec = ChallengeSpec.model_validate(good_raw())
    assert spec.leaderboard.combine == "mean" and not spec.sites
