"""Commitments: a team's SHA-256 before a phase opens, through the service, the API, the team page and the exports."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import zipfile
from datetime import timedelta

import pytest

from ultrathon.platform.challenges.publication import publish_results
from ultrathon.platform.extensions import db
from ultrathon.platform.models import AuditEvent, Commitment, utcnow
from ultrathon.platform.phases.commitments import (
    MAX_PER_PHASE, CommitmentRefused, challenge_commitments, in_force, make_commitment)

from ..conftest import DEMO_DIR, PASSWORD

SLUG = "breast-cancer-diagnosis"
HASH = "AB" * 32
OTHER = "cd" * 32


@pytest.fixture
def clock(app):
    """Set the app's clock to a moment (None: the real time again); restored after the test."""
    def set_to(moment):
        app.config["CLOCK"] = (lambda: moment) if moment is not None else None

    yield set_to
    app.config.pop("CLOCK", None)


@pytest.fixture
def challenge(make_open_challenge):
    return make_open_challenge(SLUG)


@pytest.fixture
def member(challenge, make_team):
    return make_team(challenge, name="Owls").memberships[0].user


@pytest.fixture
def phased(make_challenge, make_team, tmp_path):
    """A two-phase challenge in its development phase, the final one to open in a week; team Owls in it."""
    import pandas as pd

    from tests.platform.phased import phase_files

    folder = tmp_path / "phased" / "phased-diagnosis"
    shutil.copytree(DEMO_DIR / SLUG, folder)
    solution = pd.read_csv(folder / "solution.csv")
    solution["Phase"] = ["development" if i % 2 else "final" for i in range(len(solution))]
    solution.to_csv(folder / "solution.csv", index=False)
    files = phase_files(folder, solution)
    now = utcnow().replace(microsecond=0)
    text = (folder / "challenge.yaml").read_text().replace(f"slug: {SLUG}", "slug: phased-diagnosis")
    text = re.sub(r"(?m)^(opens|closes): .*$", "", text).replace("  target: malignant", "  target: malignant\n  phase_column: Phase")
    text += (f"phases:\n  - {{slug: development, title: Development, opens: {(now - timedelta(days=7)).isoformat()}, "
             f"closes: {(now + timedelta(days=7)).isoformat()}, {files['development']}}}\n"
             f"  - {{slug: final, title: Final test, opens: {(now + timedelta(days=7)).isoformat()}, "
             f"closes: {(now + timedelta(days=14)).isoformat()}, {files['final']}}}\n")
    (folder / "challenge.yaml").write_text(text)
    challenge = make_challenge(folder=folder)
    make_team(challenge, name="Owls")
    return challenge


def test_a_phased_challenge_takes_commitments_for_its_next_phase_by_default(client, phased, token_for):
    headers = token_for(phased.teams[0].memberships[0].user)
    url = "/api/v1/challenges/phased-diagnosis/commitments"
    made = client.post(url, json={"sha256": HASH}, headers=headers)
    assert made.status_code == 201 and made.get_json()["phase"] == "final"
    refused = client.post(url, json={"sha256": HASH, "phase": "development"}, headers=headers)
    assert refused.status_code == 409 and "the Development phase (development) opened at" in refused.get_json()["detail"]
    listing = client.get(url, headers=headers).get_json()
    assert listing["phase"] == "final" and [c["sha256"] for c in listing["items"]] == [HASH.lower()]
    assert client.get(f"{url}?phase=development", headers=headers).get_json()["items"] == []


def before_open(challenge):
    return challenge.phases[0].opens_at - timedelta(days=1)


def logged_in(client, user):
    client.post("/logout")
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    return client


# --- the service -----------------------------------------------------------------------------


def test_a_member_commits_before_the_phase_opens_and_is_refused_after(challenge, member, clock):
    with pytest.raises(CommitmentRefused) as refused:
        make_commitment(challenge, member, None, HASH)
    assert refused.value.status == 409 and "every phase of breast-cancer-diagnosis has opened" in refused.value.detail
    with pytest.raises(CommitmentRefused) as refused:
        make_commitment(challenge, member, "main", HASH)
    assert f"opened at {challenge.phases[0].opens_at.isoformat()}" in refused.value.detail
    assert db.session.execute(db.select(Commitment)).first() is None

    clock(before_open(challenge))
    made = make_commitment(challenge, member, None, f"  {HASH} ", "model v1")
    assert (made.sha256, made.label, made.phase.slug) == (HASH.lower(), "model v1", "main")
    assert made.created_at == before_open(challenge)
    event = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "commitment.make")).scalar_one()
    assert event.detail["sha256"] == HASH.lower() and event.target_id == str(made.id)


def test_a_non_member_and_a_disqualified_team_are_refused(challenge, member, make_user, clock):
    clock(before_open(challenge))
    with pytest.raises(CommitmentRefused) as refused:
        make_commitment(challenge, make_user(), None, HASH)
    assert refused.value.status == 403 and "you are in no team in breast-cancer-diagnosis" in refused.value.detail
    team = member.memberships[0].team
    team.disqualified_at = utcnow()
    db.session.commit()
    with pytest.raises(CommitmentRefused, match="team Owls was disqualified"):
        make_commitment(challenge, member, None, HASH)
    assert db.session.execute(db.select(Commitment)).first() is None


@pytest.mark.parametrize("value, message", [
    ("", "give the SHA-256 of the archive as 64 hex digits"),
    ("ab" * 31, "is 62 characters long"),
    ("zz" * 32, "has characters other than 0-9 and a-f"),
    (123, "give the SHA-256"),
])
def test_a_bad_hash_is_refused_saying_what_is_wrong(challenge, member, clock, value, message):
    clock(before_open(challenge))
    with pytest.raises(CommitmentRefused) as refused:
        make_commitment(challenge, member, None, value)
    assert refused.value.status == 400 and refused.value.field == "sha256" and message in refused.value.detail
    assert db.session.execute(db.select(Commitment)).first() is None


def test_a_long_label_an_unknown_phase_and_too_many_are_refused(challenge, member, clock):
    clock(before_open(challenge))
    with pytest.raises(CommitmentRefused, match="label: is 201 characters long; at most 200"):
        make_commitment(challenge, member, None, HASH, "x" * 201)
    with pytest.raises(CommitmentRefused, match="has no phase 'final'") as refused:
        make_commitment(challenge, member, "final", HASH)
    assert refused.value.status == 404
    for _ in range(MAX_PER_PHASE):
        make_commitment(challenge, member, None, HASH)
    with pytest.raises(CommitmentRefused, match=f"has made {MAX_PER_PHASE} commitments"):
        make_commitment(challenge, member, None, HASH)


def test_commitments_are_append_only_and_the_latest_before_opening_is_in_force(challenge, member, clock):
    start = before_open(challenge)
    clock(start)
    first = make_commitment(challenge, member, None, HASH, "first")
    clock(start + timedelta(hours=1))
    second = make_commitment(challenge, member, None, OTHER, "second")
    phase = challenge.phases[0]
    assert in_force(phase) == {member.memberships[0].team_id: second}
    listed = challenge_commitments(challenge)
    assert [(c["label"], c["in_force"]) for c in listed] == [("first", False), ("second", True)]
    first.sha256 = OTHER
    with pytest.raises(ValueError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(Commitment, first.id))
    with pytest.raises(ValueError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(Commitment, first.id).sha256 == HASH.lower()


# --- the API ---------------------------------------------------------------------------------


def test_the_api_makes_and_lists_commitments(client, challenge, member, token_for, make_user, clock):
    headers = token_for(member)
    url = f"/api/v1/challenges/{SLUG}/commitments"
    clock(before_open(challenge))
    made = client.post(url, json={"sha256": HASH, "label": "v1"}, headers=headers)
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert {k: body[k] for k in ("team", "phase", "sha256", "label", "in_force")} == \
        {"team": "Owls", "phase": "main", "sha256": HASH.lower(), "label": "v1", "in_force": True}
    bad = client.post(url, json={"sha256": "abc"}, headers=headers)
    assert bad.status_code == 400 and "sha256: is 3 characters long" in bad.get_json()["detail"]
    assert bad.get_json()["invalid_params"][0]["name"] == "sha256"
    assert client.post(url, json={"sha256": 5}, headers=headers).get_json()["detail"] == \
        "body field sha256: must be a string, got int"
    stranger = client.post(url, json={"sha256": HASH}, headers=token_for(make_user()))
    assert stranger.status_code == 403
    assert client.post(url, json={"sha256": HASH, "phase": "final"}, headers=headers).status_code == 404

    listing = client.get(url, headers=headers).get_json()
    assert listing["phase"] == "main" and listing["open_for_commitments"] and listing["team"] == "Owls"
    assert [c["sha256"] for c in listing["items"]] == [HASH.lower()]
    clock(None)
    late = client.post(url, json={"sha256": OTHER, "phase": "main"}, headers=headers)
    assert late.status_code == 409 and "opened at" in late.get_json()["detail"]
    after = client.get(f"{url}?phase=main", headers=headers).get_json()
    assert not after["open_for_commitments"] and [c["in_force"] for c in after["items"]] == [True]
    assert client.get(f"{url}?phase=nope", headers=headers).status_code == 404


# --- the team page ---------------------------------------------------------------------------


def test_the_team_page_takes_a_commitment_and_shows_the_error_of_a_bad_one(client, challenge, member, clock):
    logged_in(client, member)
    page = f"/challenges/{SLUG}/team"
    opened = client.get(page).get_data(as_text=True)
    assert "Commitments" in opened and 'name="sha256"' not in opened  # the phase has opened: no form
    clock(before_open(challenge))
    assert 'name="sha256"' in client.get(page).get_data(as_text=True)
    bad = client.post(f"{page}/commitments", data={"phase": "main", "sha256": "xyz", "label": "v0"})
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert "Sha256: is 3 characters long; a SHA-256 is 64 hex digits" in text and 'value="v0"' in text
    made = client.post(f"{page}/commitments", data={"phase": "main", "sha256": HASH, "label": "model v2"})
    assert made.status_code == 302
    shown = client.get(page).get_data(as_text=True)
    assert f"Committed {HASH.lower()}" in shown and "model v2" in shown
    clock(None)
    submissions = client.get(f"/challenges/{SLUG}/submissions").get_data(as_text=True)
    assert 'id="commitment-in-force"' in submissions and HASH.lower()[:16] in submissions and "model v2" in submissions
    late = client.post(f"{page}/commitments", data={"phase": "main", "sha256": OTHER})
    assert late.status_code == 409 and "opened at" in late.get_data(as_text=True)
    assert [c.sha256 for c in db.session.execute(db.select(Commitment)).scalars()] == [HASH.lower()]


# --- the exports -----------------------------------------------------------------------------


def test_the_bundle_and_the_closed_phase_csv_carry_the_commitment_in_force(
        client, challenge, member, make_submission, make_user, run_worker, clock):
    clock(before_open(challenge))
    make_commitment(challenge, member, None, HASH, "old")
    clock(before_open(challenge) + timedelta(minutes=5))
    latest = make_commitment(challenge, member, None, OTHER, "final model")
    clock(None)
    make_submission(challenge, member.memberships[0].team)
    run_worker()
    logged_in(client, make_user("organiser@example.org"))

    def public_csv():
        text = client.get(f"/challenges/{SLUG}/leaderboard.csv?split=public").get_data(as_text=True)
        return list(csv.DictReader(io.StringIO(text)))

    assert [(r["team"], r["commitment_sha256"], r["commitment_at"]) for r in public_csv()] == [("Owls", "", "")]
    challenge.closes_at = challenge.phases[-1].closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    publish_results(challenge, None)
    row = public_csv()[0]
    assert (row["commitment_sha256"], row["commitment_at"]) == (OTHER, latest.created_at.isoformat())

    bundle = zipfile.ZipFile(io.BytesIO(client.get(f"/challenges/{SLUG}/leaderboard/results.zip").data))
    listed = json.loads(bundle.read("commitments.json"))
    assert [(c["team"], c["phase"], c["sha256"], c["label"], c["in_force"]) for c in listed] == \
        [("Owls", "main", HASH.lower(), "old", False), ("Owls", "main", OTHER, "final model", True)]
    assert json.loads(bundle.read("summary.json"))["commitments"] == listed
    rows = list(csv.DictReader(io.StringIO(bundle.read("commitments.csv").decode())))
    assert [(r["sha256"], r["made_at"], r["in_force"]) for r in rows] == \
        [(HASH.lower(), listed[0]["made_at"], "0"), (OTHER, latest.created_at.isoformat(), "1")]
    assert "commitments.csv" in bundle.read("README.txt").decode()
