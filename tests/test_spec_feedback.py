"""feedback: in challenge.yaml: its two spellings, its default, and key-named problems."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ultrathon.spec import parse_spec, schema_problems

RAW = yaml.safe_load((Path(__file__).resolve().parents[1] / "challenges" / "breast-cancer-diagnosis" / "challenge.yaml").read_text())


def problems(feedback) -> list[tuple[str, str]]:
    return [(p.key, p.message) for p in schema_problems({**RAW, "feedback": feedback})]


def test_a_challenge_without_feedback_is_live():
    assert parse_spec(RAW).feedback.mode == "live" and parse_spec(RAW).feedback.step is None


@pytest.mark.parametrize("feedback, mode, step", [("ladder", "ladder", None), ({"mode": "ladder", "step": 0.01}, "ladder", 0.01),
                                                  ("hidden", "hidden", None), ({"mode": "live"}, "live", None)])
def test_a_bare_mode_and_a_mapping_both_say_the_feedback(feedback, mode, step):
    spec = parse_spec({**RAW, "feedback": feedback})
    assert (spec.feedback.mode, spec.feedback.step) == (mode, step)


@pytest.mark.parametrize("feedback, key, words", [
    ("sometimes", "feedback", "'live', 'ladder' or 'hidden'"),
    ({"mode": "hidden", "step": 0.1}, "feedback.step", "applies only with mode: ladder (mode is hidden)"),
    ({"step": 0.1}, "feedback.step", "applies only with mode: ladder (mode is live)"),
    ({"mode": "ladder", "step": 0}, "feedback.step", "greater than 0"),
    ({"mode": "ladder", "stepp": 0.1}, "feedback.stepp", "did you mean 'step'"),
])
def test_a_wrong_feedback_is_reported_at_its_key(feedback, key, words):
    found = problems(feedback)
    assert len(found) == 1 and found[0][0] == key and words in found[0][1], found


def test_the_ladder_cannot_go_with_sites_whose_scores_would_give_it_away():
    from ultrathon.spec.feedback import feedback_problems

    assert feedback_problems({"feedback": "ladder", "sites": ["odense", "copenhagen"]}) == [
        (("feedback",), "ladder cannot go with sites yet: each site's score would give the real public score away")]
    assert feedback_problems({"feedback": {"mode": "ladder"}, "sites": ["odense"]}) != []
    assert feedback_problems({"feedback": "ladder"}) == []
