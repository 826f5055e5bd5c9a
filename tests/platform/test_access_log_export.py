"""The access log for the data-protection officer: downloads, uploads, acceptances, barring and attestations, organisers only."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from ultrathon.platform.audit import record
from ultrathon.platform.auth.erasure import erase_user
from ultrathon.platform.challenges.access import terms_sha256
from ultrathon.platform.extensions import db
from ultrathon.platform.governance.suspension import lift_suspension, suspend_user
from ultrathon.platform.models import AuditEvent
from ultrathon.platform.terms.attestation import attest_deletion

from .terms_support import login

ANN_IP, BOB_IP = "10.1.2.3", "10.9.8.7"


@pytest.fixture
def setting(app, client, make_open_challenge, make_user, make_team, make_submission, monkeypatch):
    challenge = make_open_challenge()
    spec = dict(challenge.spec)
    spec["terms"] = {**spec["terms"], "deletion_attestation": True}
    challenge.spec = spec
    organiser = make_user(challenge.organisers[0], "Olga Organiser")
    ann, bob = make_user("ann@example.org", "Ann"), make_user("bob@example.org", "Bob")
    red = make_team(challenge, [ann], name="Red", accept_terms=False)
    make_team(challenge, [bob], name="Blue")
    slug = challenge.slug
    login(client, ann)
    client.post(f"/challenges/{slug}/terms", data={"accept": "yes"}, environ_base={"REMOTE_ADDR": ANN_IP})
    assert client.get(f"/challenges/{slug}/files/train.csv", environ_base={"REMOTE_ADDR": ANN_IP}).status_code == 200
    login(client, bob)
    assert client.get(f"/challenges/{slug}/files/test.csv", environ_base={"REMOTE_ADDR": BOB_IP}).status_code == 200
    make_submission(challenge, red)
    suspend_user(challenge, ann, "shared the data", organiser)
    lift_suspension(challenge, ann, organiser)
    record("access.approve", actor=organiser, challenge=challenge, target=bob)  # approvals, as the access service records them
    record("team.rename", actor=ann, challenge=challenge, target=red, name="Red")  # not an access: left out
    db.session.commit()
    later = challenge.closes_at + timedelta(days=1)
    monkeypatch.setitem(app.config, "CLOCK", lambda: later)
    attest_deletion(challenge, ann, True)
    pseudonym = erase_user(bob)
    return challenge, organiser, ann, pseudonym


def test_the_access_log_lists_every_access_with_person_team_target_and_address(client, setting):
    challenge, organiser, ann, pseudonym = setting
    login(client, organiser)
    response = client.get(f"/challenges/{challenge.slug}/organise/access-log.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{challenge.slug}-access-log.csv"'
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(rows[0]) == ["at", "action", "email", "name", "team", "target", "ip"]
    seen = [(r["action"], r["email"], r["name"], r["team"], r["target"], r["ip"]) for r in rows]
    assert seen == [
        ("terms.accept", "ann@example.org", "Ann", "Red", f"terms version 1 (sha256 {terms_sha256(challenge)})", ANN_IP),
        ("file.download", "ann@example.org", "Ann", "Red", "train.csv", ANN_IP),
        ("file.download", pseudonym, pseudonym, pseudonym, "test.csv", ""),  # erased: the pseudonym, no address
        ("submission.upload", "ann@example.org", "Ann", "Red", seen[3][4], ""),
        ("user.suspend", organiser.email, "Olga Organiser", "Red", "ann@example.org", ""),
        ("user.unsuspend", organiser.email, "Olga Organiser", "Red", "ann@example.org", ""),
        ("access.approve", organiser.email, "Olga Organiser", pseudonym, pseudonym, ""),
        ("terms.deletion_attest", "ann@example.org", "Ann", "Red", "ann@example.org", ""),
    ]
    assert seen[3][4].startswith("submission ")
    assert all(r["at"].endswith("+00:00") for r in rows)

    as_json = client.get(f"/challenges/{challenge.slug}/organise/access-log.json").get_json()
    assert as_json["challenge"] == challenge.slug and as_json["events"] == rows
    exports = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "access_log.export")
                                 .order_by(AuditEvent.id)).scalars().all()
    assert [(e.actor_id, e.detail["format"], e.detail["events"]) for e in exports] == [(organiser.id, "csv", 8), (organiser.id, "json", 8)]
    assert "access-log.csv" in client.get(f"/challenges/{challenge.slug}/organise").get_data(as_text=True)


def test_only_organisers_export_the_access_log(client, setting):
    challenge, _, ann, _ = setting
    path = f"/challenges/{challenge.slug}/organise/access-log.csv"
    assert client.get(path).status_code == 302  # to the login page
    login(client, ann)
    refused = client.get(path)
    assert refused.status_code == 403 and "Only the organisers" in refused.get_data(as_text=True)
    assert client.get(f"/challenges/{challenge.slug}/organise/access-log.xml").status_code in (403, 404)
    assert db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "access_log.export")).first() is None


def test_the_docs_describe_the_export():
    assert "access-log.csv" in open("README.md").read()
