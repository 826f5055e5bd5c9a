"""phases: in challenge.yaml: what each phase inherits, the window they make, and key-named cross checks."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from ultrathon.spec import ChallengeSpec, parse_spec, schema_problems

RAW = yaml.safe_load((Path(__file__).resolve().parent / "challenges" / "two_phase" / "challenge.yaml").read_text())


def edited(**changes) -> dict:
    """Return the two-phase YAML with keys set, e.g. phases__1__limits={...}; None removes a key."""
    raw = copy.deepcopy(RAW)
    for dotted, value in changes.items():
        *path, last = [int(k) if k.isdigit() else k for k in dotted.split("__")]
        node = raw
        for key in path:
            node = node[key]
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value
    return raw


def problems(raw: dict) -> list[tuple[str, str]]:
    return [(p.key, p.message) for p in schema_problems(raw)]


def test_the_phases_resolve_with_what_they_inherit():
    spec = parse_spec(edited(limits={"per_day": 3, "total": 40, "final_selections": 2}, feedback="ladder",
                             phases__0__feedback=None))
    development, final = spec.phase_list
    assert (development.public, development.sample_submission) == (("train.csv", "dev_test.csv", "sample_submission.csv"), "sample_submission.csv")
    assert (development.limits.per_day, development.limits.total, development.feedback.mode) == (3, 40, "ladder")
    assert (final.public, final.sample_submission) == (("final_test.csv", "final_sample_submission.csv"), "final_sample_submission.csv")
    assert (final.limits.per_day, final.limits.total, final.limits.final_selections, final.feedback.mode) == (1, 1, 1, "hidden")
    assert (development.final, final.final, [p.position for p in spec.phase_list]) == (False, True, [0, 1])


def test_a_phase_without_public_takes_data_public_and_its_sample():
    spec = parse_spec(edited(data__public=["train.csv", "sample_submission.csv"], phases__0__public=None))
    assert spec.phase("development").public == ("train.csv", "sample_submission.csv")
    assert spec.phase("development").sample_submission == "sample_submission.csv"
    assert spec.released_at("sample_submission.csv") is None
    assert spec.released_at("final_test.csv") == spec.phase("final").opens


def test_the_window_is_taken_from_the_phases():
    spec = parse_spec(RAW)
    assert (spec.opens, spec.closes) == (spec.phase("development").opens, spec.phase("final").closes)
    assert spec.closes == datetime(2027, 2, 22, 9, tzinfo=timezone(timedelta(hours=1)))


def test_a_challenge_without_phases_is_one_main_phase():
    raw = edited(phases=None, data__phase_column=None, data__public=["train.csv", "sample_submission.csv"],
                 opens="2027-01-04T09:00:00+01:00", closes="2027-02-15T09:00:00+01:00")
    (main,) = parse_spec(raw).phase_list
    assert (main.slug, main.title, main.public, main.final) == ("main", "Main phase", ("train.csv", "sample_submission.csv"), True)


@pytest.mark.parametrize("changes, key, words", [
    ({"phases__1__slug": "development"}, "phases[1].slug", "'development' is the slug of an earlier phase"),
    ({"phases__1__opens": "2027-02-10T09:00:00+01:00"}, "phases[1].opens", "must be at or after the previous phase closes"),
    ({"phases__0__closes": "2027-01-01T09:00:00+01:00"}, "phases[0].closes", "must be after this phase opens"),
    ({"data__phase_column": None}, "data", "with 2 phases, data.phase_column must name the solution column"),
    ({"phases": None, "opens": "2027-01-04T09:00:00+01:00", "closes": "2027-02-15T09:00:00+01:00"},
     "data.phase_column", "applies only with phases"),
    ({"phases__1__public": ["final_test.csv", "solution.csv"]}, "phases[1].public[1]", "'solution.csv' is the hidden solution"),
    ({"phases__1__sample_submission": "sample_submission.csv"}, "phases[1].sample_submission",
     "the sample submission 'sample_submission.csv' must be one of this phase's public files"),
    ({"phases__1__feedback": {"mode": "hidden", "step": 0.01}}, "phases[1].feedback.step", "applies only with mode: ladder"),
    ({"scoring": {"where": "agent", "solution_sha256": "0" * 64}}, "phases", "several phases cannot go with scoring.where: agent"),
    ({"opens": "2027-01-01T09:00:00+01:00"}, "opens", "leave opens out"),
])
def test_a_phase_problem_is_reported_at_its_key(changes, key, words):
    found = [(k, m) for k, m in problems(edited(**changes)) if words in m]
    assert [k for k, _ in found] == [key], problems(edited(**changes))


def test_a_phase_time_without_a_zone_is_refused_at_its_key():
    found = problems(edited(phases__0__opens="2027-01-04T09:00:00"))
    assert ("phases[0].opens", "a time must carry a zone, e.g. 2027-01-04T09:00:00+01:00") in found


def test_a_validated_spec_validates_again_from_its_own_dump():
    spec = parse_spec(RAW)
    again = ChallengeSpec.model_validate(spec.model_dump(mode="json"))
    assert again == spec and again.phase_list == spec.phase_list
