"""A person's data on request: the JSON export, and an erasure that leaves no trace of the name or address."""

from __future__ import annotations

import json

from ultrathon.cli import cli
from ultrathon.platform.audit import record
from ultrathon.platform.auth.erasure import pseudonym_for
from ultrathon.platform.auth.tokens import create_token
from ultrathon.platform.extensions import db
from ultrathon.platform.models import ApiToken, AuditEvent, Score, Submission, Team, User

from tests.e2e.test_agent_processes import database_dump

PASSWORD = "correct horse battery staple"
EMAIL, NAME = "ada.lovelace@example.org", "Ada Lovelace"


def logged_in(client, user):
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    return client


def ada_with_teams(make_open_challenge, make_user, make_team, make_submission):
    """Return Ada, alone in a team named after her with a scored submission, and in a team with a team mate."""
    ada, mate = make_user(EMAIL, NAME), make_user("grace@example.org", "Grace Hopper")
    alone = make_team(make_open_challenge(), [ada], name="Ada Lovelace's models")
    shared = make_team(make_open_challenge("diabetes-progression"), [mate, ada], name="Engines")
    make_submission(alone.challenge, alone, note="tuned by ada lovelace", filename="ada-lovelace.csv")
    # An event whose details name her, as a login audit with the address would.
    record("user.login", actor=ada, target=ada, email=EMAIL, greeting=f"Welcome, {NAME}")
    create_token(ada, "Ada's laptop")
    db.session.commit()
    return ada, mate, alone, shared


def test_erasure_leaves_no_trace_of_the_address_or_name_and_keeps_the_scores(
        client, app, make_open_challenge, make_user, make_team, make_submission, run_worker):
    ada, mate, alone, shared = ada_with_teams(make_open_challenge, make_user, make_team, make_submission)
    run_worker()
    logged_in(client, ada)
    ada_id, alone_id, shared_id = ada.id, alone.id, shared.id
    pseudonym = pseudonym_for(ada_id)

    response = client.post("/account/erase", data={"erase-password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/account").status_code == 302  # logged out, and the session is gone

    dump = database_dump(db.engine)
    for trace in (EMAIL, NAME, "Ada Lovelace's models"):
        assert trace not in dump and trace.lower() not in dump.lower(), trace
    db.session.expire_all()
    assert db.session.get(Team, alone_id).name == pseudonym  # she was alone: the pseudonym
    assert db.session.get(Team, shared_id).name == "Engines"  # she was not: the team keeps its name
    scores = db.session.execute(db.select(Score).where(Score.team_id == alone_id)).scalars().all()
    assert scores and db.session.execute(db.select(Submission).where(Submission.team_id == alone_id)).scalar_one()
    assert db.session.execute(db.select(ApiToken).where(ApiToken.user_id == ada_id)).first() is None
    user = db.session.get(User, ada_id)
    assert user.name == pseudonym and not user.is_active
    assert db.session.get(User, mate.id).email == "grace@example.org"

    erased = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "account.erased")).scalars().all()
    assert {e.challenge_id for e in erased} == {None, alone.challenge_id, shared.challenge_id}
    assert all(e.detail["pseudonym"] == pseudonym and e.target_id == str(ada_id) for e in erased)
    assert client.post("/login", data={"email": EMAIL, "password": PASSWORD}).status_code == 400


def test_a_wrong_password_erases_nothing(client, make_user):
    ada = make_user(EMAIL, NAME)
    logged_in(client, ada)
    response = client.post("/account/erase", data={"erase-password": "not the password at all"})
    assert response.status_code == 400
    assert "That is not your password; nothing was erased." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, ada.id).email == EMAIL
    assert client.get("/account").status_code == 200  # still logged in


def test_the_export_holds_the_profile_teams_submissions_and_events_but_no_secrets(
        client, make_open_challenge, make_user, make_team, make_submission):
    ada, _mate, alone, shared = ada_with_teams(make_open_challenge, make_user, make_team, make_submission)
    assert client.get("/account/export.json").status_code == 302  # a login is needed
    logged_in(client, ada)

    response = client.get("/account/export.json")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    data = response.get_json()
    assert data["profile"]["email"] == EMAIL and data["profile"]["name"] == NAME
    # The settings the person chose are theirs too: their language and which e-mails they get.
    assert data["profile"]["language"] is None and data["profile"]["notifications"]["submission_failed"] is True
    assert {m["team"] for m in data["memberships"]} == {"Ada Lovelace's models", "Engines"}
    assert [s["note"] for s in data["submissions"]] == ["tuned by ada lovelace"]
    assert [t["name"] for t in data["api_tokens"]] == ["Ada's laptop"]
    assert "user.login" in {e["action"] for e in data["audit_events"]}
    token_hash = db.session.execute(db.select(ApiToken.token_hash)).scalar_one()
    assert token_hash not in response.get_data(as_text=True) and ada.password_hash not in response.get_data(as_text=True)


def test_the_export_gives_no_other_persons_address(client, make_open_challenge, make_user, make_team, make_submission):
    ada, *_ = ada_with_teams(make_open_challenge, make_user, make_team, make_submission)
    admin = make_user("admin@example.org")
    db.session.add(AuditEvent(actor_id=admin.id, action="user.disable", target_type="user", target_id=str(ada.id),
                              detail={}, ip="198.51.100.7"))
    db.session.commit()
    logged_in(client, ada)
    data = client.get("/account/export.json").get_json()
    acted_on = [e for e in data["audit_events"] if e["action"] == "user.disable"]
    assert acted_on and acted_on[0]["ip"] is None
    assert "198.51.100.7" not in json.dumps(data)


def test_the_pseudonym_is_stable_per_user_and_keyed_by_the_secret(ctx):
    first = pseudonym_for(7)
    assert first == pseudonym_for(7) and first.startswith("erased-user-") and first != pseudonym_for(8)
    secret = ctx.config["SECRET_KEY"]
    ctx.config["SECRET_KEY"] = "another secret key of some length"
    try:
        assert pseudonym_for(7) != first  # the id alone does not give it
    finally:
        ctx.config["SECRET_KEY"] = secret


def test_users_erase_on_the_command_line(runner, make_user):
    ada = make_user(EMAIL, NAME)
    result = runner.invoke(cli, ["users", "erase", "Ada.Lovelace@Example.org", "--yes"])
    assert result.exit_code == 0, result.output
    assert pseudonym_for(ada.id) in result.output
    assert EMAIL not in database_dump(db.engine)
    again = runner.invoke(cli, ["users", "erase", EMAIL, "--yes"])
    assert again.exit_code == 1 and f"no user with e-mail {EMAIL}" in again.output
    erased = f"{pseudonym_for(ada.id)}@erased.invalid"
    revived = runner.invoke(cli, ["users", "enable", erased])
    assert revived.exit_code == 1 and "is an erased account; it cannot be enabled again" in revived.output
    taken = runner.invoke(cli, ["users", "create", "someone@erased.invalid", "--password", PASSWORD])
    assert taken.exit_code == 1 and "name erased accounts" in taken.output


def test_an_organisers_address_is_not_erased_while_a_challenge_names_it(runner, make_challenge, make_user):
    make_challenge()
    make_user("organiser@example.org", "Olive Organiser")
    result = runner.invoke(cli, ["users", "erase", "organiser@example.org", "--yes"])
    assert result.exit_code == 1 and "organises breast-cancer-diagnosis" in result.output
    assert db.session.execute(db.select(User.name)).scalar_one() == "Olive Organiser"


def test_erasure_needs_the_csrf_token(app, client, make_user):
    ada = make_user(EMAIL, NAME)
    logged_in(client, ada)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/account/erase", data={"erase-password": PASSWORD})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, ada.id).email == EMAIL
