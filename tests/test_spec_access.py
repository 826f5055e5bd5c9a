"""The `access:` keys: approval, allowed domains and registration questions, with their cross checks."""

from __future__ import annotations

import pytest

from ultrathon.spec import parse_spec, schema_problems

from .test_spec import good_raw


def _with_access(access) -> dict:
    raw = good_raw()
    raw["access"] = access
    return raw


def test_a_challenge_without_access_is_open_and_asks_nothing():
    access = parse_spec(good_raw()).access
    assert (access.approval, access.allowed_domains, access.questions, access.asks) == ("open", [], [], False)


def test_required_approval_with_domains_and_questions_parses():
    access = parse_spec(_with_access({
        "approval": "required", "allowed_domains": ["RegionH.dk", "ki.se"],
        "questions": [{"name": "affiliation", "label": "Your institution"},
                      {"name": "orcid", "label": "ORCID iD", "required": False}],
    })).access
    assert access.required and access.asks
    assert access.allowed_domains == ["regionh.dk", "ki.se"]
    assert [(q.name, q.required) for q in access.questions] == [("affiliation", True), ("orcid", False)]
    assert access.domain_allows("ann@x.regionh.dk") == "regionh.dk"
    assert access.domain_allows("ann@KI.SE") == "ki.se"
    assert access.domain_allows("ann@notregionh.dk") is None
    assert access.domain_allows("ann@regionh.dk.evil.com") is None


def test_open_approval_with_questions_still_asks():
    access = parse_spec(_with_access({"questions": [{"name": "affiliation", "label": "Institution"}]})).access
    assert not access.required and access.asks


@pytest.mark.parametrize("access, key, message", [
    ({"approval": "closed"}, "access.approval", "unknown"),
    ({"approval": "required", "allowed_domains": ["ann@regionh.dk"]}, "access.allowed_domains[0]",
     "'ann@regionh.dk' is not an e-mail domain; write the part after @, e.g. regionh.dk (its subdomains are accepted too)"),
    ({"approval": "required", "allowed_domains": ["regionh"]}, "access.allowed_domains[0]", "'regionh' is not an e-mail domain"),
    ({"approval": "required", "allowed_domains": ["ki.se", "KI.se"]}, "access.allowed_domains[1]", "domain 'ki.se' is listed twice"),
    ({"allowed_domains": ["ki.se"]}, "access.allowed_domains", "applies only with approval: required"),
    ({"questions": [{"name": "a", "label": "A"}, {"name": "a", "label": "Again"}]}, "access.questions[1].name",
     "question 'a' is listed twice; give each its own name"),
    ({"questions": [{"name": "Bad Name", "label": "A"}]}, "access.questions[0].name", ""),
    ({"questions": [{"name": "a"}]}, "access.questions[0].label", ""),
    ({"approval": "required", "reviewers": []}, "access.reviewers", ""),
])
def test_bad_access_keys_are_reported_at_their_key(access, key, message):
    problems = [(p.key, p.message) for p in schema_problems(_with_access(access))]
    assert len(problems) == 1, problems
    assert problems[0][0] == key and message in problems[0][1]
