"""Access requests: `access.approval: required` admits people once an organiser (or their e-mail domain)
approves them; registration questions are asked at joining, whatever the approval."""

from __future__ import annotations

import io

import pytest

from ultrathon.platform.extensions import db
from ultrathon.platform.governance.access import AccessError, decide
from ultrathon.platform.governance.models import AccessRequest
from ultrathon.platform.models import AuditEvent, Membership

REQUIRED = """
access:
  approval: required
  allowed_domains: [regionh.dk]
  questions:
    - {name: affiliation, label: Your institution}
    - {name: orcid, label: ORCID iD, required: false}
"""
OPEN_WITH_QUESTIONS = """
access:
  questions:
    - {name: affiliation, label: Your institution}
"""


def login(client, user) -> None:
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


@pytest.fixture
def gated(make_open_challenge, make_challenge, tmp_path):
    """Return a maker of the open demo challenge with these `access:` keys added to its YAML."""
    def make(access_yaml: str):
        challenge = make_open_challenge()
        folder = tmp_path / "open-challenges" / challenge.slug
        with open(folder / "challenge.yaml", "a") as handle:
            handle.write(access_yaml)
        return make_challenge(folder=folder)
    return make


def _sample(challenge) -> bytes:
    return next(f.content for f in challenge.files if f.name == "sample_submission.csv")


def _upload(client, challenge, headers):
    return client.post(f"/api/v1/challenges/{challenge.slug}/submissions", data={"file": (io.BytesIO(_sample(challenge)), "p.csv")},
                       headers=headers)


def _type(response) -> str:
    return response.get_json()["type"].removeprefix("urn:ultrathon:problem:")


def _actions(*names):
    return [(e.action, e.detail) for e in db.session.execute(
        db.select(AuditEvent).where(AuditEvent.action.in_(names)).order_by(AuditEvent.id)).scalars()]


def test_required_approval_refuses_download_upload_and_joining_until_an_organiser_approves(client, ctx, gated, make_user,
                                                                                          make_team, token_for):
    challenge = gated(REQUIRED)
    slug = challenge.slug
    organiser = make_user(challenge.organisers[0])
    member = make_user("member@example.org", "Mallory")
    team = make_team(challenge, [member])  # in a team already, as when approval was required after she joined
    joiner = make_user("joiner@example.org", "Joe")
    headers, joiner_headers = token_for(member), token_for(joiner)

    download = client.get(f"/api/v1/challenges/{slug}/files/sample_submission.csv", headers=headers)
    assert download.status_code == 403 and _type(download) == "access-required"
    assert f"POST /api/v1/challenges/{slug}/access-request" in download.get_json()["detail"]

    made = client.post(f"/api/v1/challenges/{slug}/access-request", headers=headers,
                       json={"answers": {"affiliation": "Rigshospitalet, oncology"}})
    assert made.status_code == 201 and made.get_json()["state"] == "pending"
    for response in (client.get(f"/api/v1/challenges/{slug}/files/sample_submission.csv", headers=headers),
                     _upload(client, challenge, headers)):
        assert response.status_code == 403 and _type(response) == "access-pending"
        assert "waiting for the organisers' approval" in response.get_json()["detail"]
    joined = client.post(f"/api/v1/teams/{team.id}/members", headers=joiner_headers,
                         json={"code": team.invite_code, "accept_terms": True, "answers": {"affiliation": "KU"}})
    assert joined.status_code == 403 and _type(joined) == "access-pending"
    login(client, member)
    download = client.get(f"/challenges/{slug}/files/sample_submission.csv")
    assert download.status_code == 403 and "waiting for the organisers" in download.get_data(as_text=True)
    upload = client.post(f"/challenges/{slug}/submissions", data={"file": (io.BytesIO(_sample(challenge)), "p.csv")},
                         follow_redirects=True)
    assert "Access request pending: your access request" in upload.get_data(as_text=True)
    login(client, joiner)
    page = client.post(f"/challenges/{slug}/team/join", data={"code": team.invite_code, "accept": "yes"})
    assert page.status_code == 403 and "waiting for the organisers" in page.get_data(as_text=True)
    assert db.session.execute(db.select(Membership).where(Membership.user_id == joiner.id)).first() is None

    login(client, organiser)
    dashboard = client.get(f"/challenges/{slug}/organise").get_data(as_text=True)
    assert "Rigshospitalet, oncology" in dashboard and "Mallory" in dashboard
    for person in (member, joiner):
        pending = db.session.execute(db.select(AccessRequest).where(AccessRequest.user_id == person.id)).scalar_one()
        assert client.post(f"/challenges/{slug}/organise/access-requests/{pending.id}/approve").status_code == 302
    assert client.get(f"/api/v1/challenges/{slug}/files/sample_submission.csv", headers=headers).status_code == 200
    assert _upload(client, challenge, headers).status_code == 202
    assert client.post(f"/api/v1/teams/{team.id}/members", headers=joiner_headers,
                       json={"code": team.invite_code, "accept_terms": True}).status_code == 201
    assert [a for a, _ in _actions("access.request", "access.approve")] == ["access.request"] * 2 + ["access.approve"] * 2


def test_an_allowed_domain_is_approved_at_once_and_only_when_verified(client, ctx, gated, make_user, token_for):
    challenge = gated(REQUIRED)
    ann = make_user("ann@x.regionh.dk", "Ann")
    made = client.post(f"/api/v1/challenges/{challenge.slug}/access-request", headers=token_for(ann),
                       json={"answers": {"affiliation": "Rigshospitalet"}})
    assert made.status_code == 201
    assert (made.get_json()["state"], made.get_json()["approved_by_domain"]) == ("approved", "regionh.dk")
    assert _actions("access.request")[-1][1]["by_domain"] == "regionh.dk"
    created = client.post(f"/api/v1/challenges/{challenge.slug}/teams", headers=token_for(ann),
                          json={"name": "Ann's team", "accept_terms": True})
    assert created.status_code == 201

    lookalike = make_user("bob@notregionh.dk", "Bob")
    assert client.post(f"/api/v1/challenges/{challenge.slug}/access-request", headers=token_for(lookalike),
                       json={"answers": {"affiliation": "X"}}).get_json()["state"] == "pending"
    unverified = make_user("cy@regionh.dk", "Cy", verified=False)
    refused = client.post(f"/api/v1/challenges/{challenge.slug}/access-request", headers=token_for(unverified),
                          json={"answers": {"affiliation": "X"}})
    assert refused.status_code == 403 and _type(refused) == "unverified-email"
    assert db.session.execute(db.select(AccessRequest).where(AccessRequest.user_id == unverified.id)).first() is None


@pytest.mark.parametrize("answers, message", [
    ({}, "answer 'Your institution' (affiliation): this challenge requires it"),
    ({"affiliation": "   "}, "answer 'Your institution' (affiliation): this challenge requires it"),
    ({"affiliation": "x" * 2001}, "has at most 2000 characters; this one has 2001"),
    ({"affiliation": "KU", "age": "40"}, "asks no question named 'age'; its questions are: affiliation, orcid"),
    ({"affiliation": 3}, "should be text"),
])
def test_required_questions_must_be_answered_and_bad_answers_change_nothing(client, ctx, gated, make_user, token_for,
                                                                            answers, message):
    challenge = gated(REQUIRED)
    person = make_user("p@example.org")
    response = client.post(f"/api/v1/challenges/{challenge.slug}/access-request", headers=token_for(person),
                           json={"answers": answers})
    assert response.status_code == 400 and message in response.get_json()["detail"]
    assert db.session.execute(db.select(AccessRequest)).first() is None


def test_a_refusal_shows_its_reason_to_the_person_who_may_ask_again(client, ctx, gated, make_user, token_for):
    challenge = gated(REQUIRED)
    slug = challenge.slug
    organiser = make_user(challenge.organisers[0])
    person = make_user("p@example.org", "Pat")
    headers = token_for(person)
    login(client, person)
    assert "Your institution" in client.get(f"/challenges/{slug}/team").get_data(as_text=True)
    sent = client.post(f"/challenges/{slug}/access-request", data={"answer-affiliation": "Home lab"})
    assert sent.status_code == 302
    assert "waiting for the organisers' approval" in client.get(f"/challenges/{slug}/team").get_data(as_text=True)
    item = db.session.execute(db.select(AccessRequest)).scalar_one()

    login(client, organiser)
    empty = client.post(f"/challenges/{slug}/organise/access-requests/{item.id}/refuse", data={"reason": " "})
    assert empty.status_code == 302 and db.session.get(AccessRequest, item.id).status == "pending"
    client.post(f"/challenges/{slug}/organise/access-requests/{item.id}/refuse", data={"reason": "not a clinical institution"})
    assert _actions("access.refuse") == [("access.refuse", {"request": item.id, "reason": "not a clinical institution"})]

    login(client, person)
    for url in (f"/challenges/{slug}", f"/challenges/{slug}/team"):
        assert "refused your access request: not a clinical institution" in client.get(url).get_data(as_text=True)
    state = client.get(f"/api/v1/challenges/{slug}/access-request", headers=headers).get_json()
    assert (state["state"], state["reason"]) == ("refused", "not a clinical institution")
    upload = client.post(f"/api/v1/challenges/{slug}/teams", headers=headers, json={"name": "Pat", "accept_terms": True})
    assert upload.status_code == 403 and _type(upload) == "access-refused"
    assert "not a clinical institution" in upload.get_json()["detail"]
    again = client.post(f"/api/v1/challenges/{slug}/access-request", headers=headers,
                        json={"answers": {"affiliation": "Rigshospitalet"}})
    assert again.status_code == 201 and again.get_json()["state"] == "pending"
    twice = client.post(f"/api/v1/challenges/{slug}/access-request", headers=headers, json={"answers": {"affiliation": "R"}})
    assert twice.status_code == 409 and "waiting for the organisers already" in twice.get_json()["detail"]
    assert db.session.execute(db.select(db.func.count()).select_from(AccessRequest)).scalar_one() == 2


def test_only_an_organiser_decides(client, ctx, gated, make_user, token_for):
    challenge = gated(REQUIRED)
    person = make_user("p@example.org")
    client.post(f"/api/v1/challenges/{challenge.slug}/access-request", headers=token_for(person),
                json={"answers": {"affiliation": "KU"}})
    item = db.session.execute(db.select(AccessRequest)).scalar_one()
    outsider = make_user("outsider@example.org")
    login(client, outsider)
    assert client.post(f"/challenges/{challenge.slug}/organise/access-requests/{item.id}/approve").status_code == 404
    login(client, person)
    assert client.post(f"/challenges/{challenge.slug}/organise/access-requests/{item.id}/approve").status_code == 404
    with pytest.raises(AccessError, match="only the challenge's organisers"):
        decide(challenge, item, outsider, approve=True)
    db.session.rollback()
    assert db.session.get(AccessRequest, item.id).status == "pending" and _actions("access.approve") == []


def test_open_approval_with_questions_asks_at_joining_and_keeps_the_answers(client, ctx, gated, make_user, make_team,
                                                                            token_for):
    challenge = gated(OPEN_WITH_QUESTIONS)
    team = make_team(challenge)
    person = make_user("p@example.org")
    headers = token_for(person)
    join = {"code": team.invite_code, "accept_terms": True}
    bare = client.post(f"/api/v1/teams/{team.id}/members", headers=headers, json=join)
    assert bare.status_code == 403 and _type(bare) == "access-required"
    assert "answer the registration questions" in bare.get_json()["detail"]
    missing = client.post(f"/api/v1/teams/{team.id}/members", headers=headers, json={**join, "answers": {}})
    assert missing.status_code == 400 and "this challenge requires it" in missing.get_json()["detail"]
    done = client.post(f"/api/v1/teams/{team.id}/members", headers=headers, json={**join, "answers": {"affiliation": "KU"}})
    assert done.status_code == 201
    item = db.session.execute(db.select(AccessRequest)).scalar_one()
    assert (item.status, item.answers) == ("approved", {"affiliation": "KU"})
    assert client.get(f"/api/v1/challenges/{challenge.slug}/files/sample_submission.csv", headers=headers).status_code == 200


def test_a_challenge_without_access_asks_for_nothing(client, ctx, make_open_challenge, make_user, make_team, token_for):
    challenge = make_open_challenge()
    team = make_team(challenge)
    person = make_user("p@example.org")
    headers = token_for(person)
    state = client.get(f"/api/v1/challenges/{challenge.slug}/access-request", headers=headers).get_json()
    assert (state["approval"], state["state"], state["questions"]) == ("open", "none", [])
    made = client.post(f"/api/v1/challenges/{challenge.slug}/access-request", headers=headers, json={"answers": {}})
    assert made.status_code == 409 and "asks for no access request" in made.get_json()["detail"]
    login(client, person)
    page = client.get(f"/challenges/{challenge.slug}/team").get_data(as_text=True)
    assert "Join a team" in page and "Registration questions" not in page and "Access to this challenge" not in page
    assert client.post(f"/api/v1/teams/{team.id}/members", headers=headers,
                       json={"code": team.invite_code, "accept_terms": True}).status_code == 201
    assert db.session.execute(db.select(AccessRequest)).first() is None


def test_the_team_page_asks_the_questions_and_says_what_is_missing(client, ctx, gated, make_user):
    challenge = gated(REQUIRED)
    person = make_user("p@example.org")
    login(client, person)
    page = client.get(f"/challenges/{challenge.slug}/team").get_data(as_text=True)
    assert "Access to this challenge" in page and "ORCID iD" in page and "Create the team" not in page
    missing = client.post(f"/challenges/{challenge.slug}/access-request", data={"answer-orcid": "0000-0001"})
    assert missing.status_code == 400
    assert "Answer &#39;Your institution&#39; (affiliation): this challenge requires it." in missing.get_data(as_text=True)
    assert db.session.execute(db.select(AccessRequest)).first() is None


def test_organisers_need_no_request(client, ctx, gated, make_user, token_for):
    challenge = gated(REQUIRED)
    organiser = make_user(challenge.organisers[0])
    headers = token_for(organiser)
    created = client.post(f"/api/v1/challenges/{challenge.slug}/teams", headers=headers, json={"name": "Hosts", "accept_terms": True})
    assert created.status_code == 201
    made = client.post(f"/api/v1/challenges/{challenge.slug}/access-request", headers=headers, json={"answers": {"affiliation": "X"}})
    assert made.status_code == 409 and "organisers need no access request" in made.get_json()["detail"]


def test_the_answers_are_in_the_persons_export_and_go_with_an_erasure(ctx, gated, make_user):
    from ultrathon.platform.auth.erasure import erase_user, export_user_data
    from ultrathon.platform.governance.access import request_access

    challenge = gated(REQUIRED)
    person = make_user("p@example.org", "Pat")
    request_access(challenge, person, {"affiliation": "Pat's own lab"})
    exported = export_user_data(person)["access_requests"]
    assert [(a["challenge"], a["answers"], a["status"]) for a in exported] == [
        (challenge.slug, {"affiliation": "Pat's own lab", "orcid": ""}, "pending")]
    erase_user(person)
    item = db.session.execute(db.select(AccessRequest)).scalar_one()
    assert (item.answers, item.status) == ({}, "pending")
