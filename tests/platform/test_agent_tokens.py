"""Agent tokens: created for agent challenges only, shown once, stored hashed, revocable, audited."""

from __future__ import annotations

import hashlib

from ultrathon.cli import cli
from ultrathon.platform.agents.models import AgentToken
from ultrathon.platform.extensions import db
from ultrathon.platform.models import AuditEvent


def actions() -> list[str]:
    return list(db.session.execute(db.select(AuditEvent.action).order_by(AuditEvent.id)).scalars())


def test_create_prints_the_token_once_and_stores_its_hash(runner, make_agent_challenge):
    challenge = make_agent_challenge()
    result = runner.invoke(cli, ["agents", "create", "--challenge", challenge.slug, "--name", "odense"])
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    assert secret.startswith("uta_")
    token = db.session.execute(db.select(AgentToken)).scalar_one()
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.name == "odense" and [c.slug for c in token.challenges] == [challenge.slug]
    assert token.jobs_done == 0 and token.failures == 0 and token.revoked_at is None
    assert secret not in str(db.session.execute(db.select(AuditEvent.detail)).scalars().all())
    assert actions()[-1] == "agent.create"


def test_create_refuses_a_challenge_the_platform_scores(runner, make_challenge):
    challenge = make_challenge()
    result = runner.invoke(cli, ["agents", "create", "--challenge", challenge.slug])
    assert result.exit_code == 1
    assert f"{challenge.slug}: scoring.where is platform" in result.output
    assert db.session.execute(db.select(AgentToken)).first() is None


def test_create_names_an_unknown_challenge(runner, ctx):
    result = runner.invoke(cli, ["agents", "create", "--challenge", "no-such-thing"])
    assert result.exit_code == 1 and "no challenge loaded with slug no-such-thing" in result.output


def test_list_and_revoke(runner, make_agent_challenge):
    challenge = make_agent_challenge()
    runner.invoke(cli, ["agents", "create", "--challenge", challenge.slug, "--name", "odense"])
    token_id = db.session.execute(db.select(AgentToken.id)).scalar_one()
    listed = runner.invoke(cli, ["agents", "list"]).output
    assert "odense" in listed and challenge.slug in listed and "live" in listed and "last seen never" in listed
    result = runner.invoke(cli, ["agents", "revoke", str(token_id)])
    assert result.exit_code == 0 and f"revoked agent token {token_id}" in result.output
    db.session.expire_all()
    assert db.session.get(AgentToken, token_id).revoked_at is not None
    assert "revoked" in runner.invoke(cli, ["agents", "list"]).output
    assert actions()[-1] == "agent.revoke"
    again = runner.invoke(cli, ["agents", "revoke", str(token_id)])
    assert again.exit_code == 0 and "revoked already" in again.output
    assert actions().count("agent.revoke") == 1


def test_revoke_names_an_unknown_token(runner, ctx):
    result = runner.invoke(cli, ["agents", "revoke", "404"])
    assert result.exit_code == 1 and "no agent token 404" in result.output
