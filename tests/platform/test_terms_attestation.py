"""Deletion attestations: after the close each team member attests that they deleted the data; organisers see who has not."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime, timezone

import pytest

from ultrathon.platform.extensions import db
from ultrathon.platform.leaderboard.exports import results_bundle
from ultrathon.platform.models import AuditEvent
from ultrathon.platform.terms.models import DeletionAttestation

from .terms_support import DEMO, folder_with_terms, login

BEFORE_CLOSE = datetime(2027, 2, 1, tzinfo=timezone.utc)
AFTER_CLOSE = datetime(2027, 3, 1, 9, 30, tzinfo=timezone.utc)
TEXT = "I deleted every copy of the breast-mass data."


@pytest.fixture
def setting(app, make_challenge, make_user, make_team, tmp_path, monkeypatch):
    challenge = make_challenge(folder=folder_with_terms(tmp_path, deletion_attestation=True, attestation_text=TEXT))
    organiser = make_user(challenge.organisers[0], "Olga Organiser")
    ann, bob, cat = make_user("ann@example.org", "Ann"), make_user("bob@example.org", "Bob"), make_user("cat@example.org", "Cat")
    make_team(challenge, [ann, bob], name="Alpha")
    make_team(challenge, [cat], name="Beta")
    clock = {"now": BEFORE_CLOSE}
    monkeypatch.setitem(app.config, "CLOCK", lambda: clock["now"])
    return challenge, organiser, (ann, bob, cat), clock


def _attest(client, ticked: bool = True, next_page: str = ""):
    return client.post(f"/challenges/{DEMO}/attest-deletion", data={"attest": "yes"} if ticked else {"next": next_page},
                       follow_redirects=True).get_data(as_text=True)


def test_a_member_attests_only_after_the_close_and_once(client, setting):
    challenge, _, (ann, _, _), clock = setting
    login(client, ann)
    assert "Attest the deletion" not in client.get(f"/challenges/{DEMO}").get_data(as_text=True)
    page = _attest(client)
    assert "No attestation was recorded:" in page and "after the close" in page
    assert db.session.execute(db.select(DeletionAttestation)).first() is None

    clock["now"] = AFTER_CLOSE
    for path in (f"/challenges/{DEMO}", f"/challenges/{DEMO}/submissions"):
        page = client.get(path).get_data(as_text=True)
        assert "Attest the deletion" in page and TEXT in page, path
    assert "tick the box" in _attest(client, ticked=False)
    assert db.session.execute(db.select(DeletionAttestation)).first() is None

    assert "Your attestation that you deleted the data is recorded." in _attest(client)
    attestation = db.session.execute(db.select(DeletionAttestation)).scalar_one()
    assert (attestation.user_id, attestation.challenge_id, attestation.text, attestation.at) == (ann.id, challenge.id, TEXT, AFTER_CLOSE)
    event = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "terms.deletion_attest")).scalar_one()
    assert (event.actor_id, event.challenge_id, event.detail["text"]) == (ann.id, challenge.id, TEXT)
    page = client.get(f"/challenges/{DEMO}/submissions").get_data(as_text=True)
    assert "You attested on" in page and "Attest the deletion" not in page
    assert "you have attested already" in _attest(client)
    assert db.session.execute(db.select(db.func.count()).select_from(DeletionAttestation)).scalar_one() == 1


def test_no_one_outside_a_team_is_asked_to_attest(client, setting, make_user):
    _, _, _, clock = setting
    clock["now"] = AFTER_CLOSE
    login(client, make_user("loner@example.org"))
    assert "Attest the deletion" not in client.get(f"/challenges/{DEMO}").get_data(as_text=True)
    assert "you are not in a team" in _attest(client)
    assert db.session.execute(db.select(DeletionAttestation)).first() is None


def test_the_dashboard_lists_who_has_not_attested_per_team_and_member(client, setting):
    challenge, organiser, (ann, bob, cat), clock = setting
    clock["now"] = AFTER_CLOSE
    login(client, ann)
    _attest(client)
    login(client, organiser)
    page = client.get(f"/challenges/{DEMO}/organise").get_data(as_text=True)
    section = page[page.index('id="attestations"'):page.index('id="access-log"')]
    assert "2 of 3 team members have not attested" in section
    rows = [r for r in section.split("<tr")[1:] if "<td>" in r]
    assert ['class="attested"' in r for r in rows] == [True, False, False]
    assert ["Ann" in rows[0], "Bob" in rows[1], "Cat" in rows[2]] == [True] * 3
    assert "Alpha" in rows[0] and "Beta" in rows[2] and rows[1].count("Not attested") == 1


def test_the_results_bundle_lists_the_attestations(client, setting):
    challenge, _, (ann, _, _), clock = setting
    clock["now"] = AFTER_CLOSE
    login(client, ann)
    _attest(client)
    with zipfile.ZipFile(io.BytesIO(results_bundle(challenge))) as bundle:
        rows = list(csv.reader(io.StringIO(bundle.read("attestations.csv").decode())))
    assert rows == [["team", "member", "attested_at"], ["Alpha", "Ann", AFTER_CLOSE.isoformat()], ["Alpha", "Bob", ""], ["Beta", "Cat", ""]]
