"""Operator commands: users and tokens."""

import hashlib


from ultrathon.cli import cli

from ultrathon.platform.extensions import db
from ultrathon.platform.models import ApiToken, AuditEvent, User


def test_users_create_prints_a_generated_password(runner, ctx):
    result = invoke(runner, ["users", "create", "Ada@Example.org", "--name", "Ada", "--admin"])
    assert result.exit_code == 0, result.output
    password = result.output.strip().splitlines()[-1].removeprefix("password: ")
    assert len(password) >= 12
    user = db.session.execute(db.select(User).where(User.email == "ada@example.org")).scalar_one()
    assert user.is_admin and user.name == "Ada"
    assert password not in user.password_hash and user.password_hash.startswith("$argon2id$")


def test_users_create_refuses_a_short_password_and_a_duplicate(runner, ctx):
    short = invoke(runner, ["users", "create", "b@example.org", "--password", "tooshort"])
    assert short.exit_code == 1
    assert "at least 12 characters" in short.output
    invoke(runner, ["users", "create", "b@example.org", "--password", "long enough password"])
    again = invoke(runner, ["users", "create", "B@example.org", "--password", "long enough password"])
    assert again.exit_code == 1 and "exists already" in again.output


def test_tokens_create_prints_the_token_alone_on_the_last_line(runner, ctx, make_user):
    user = make_user("c@example.org")
    result = invoke(runner, ["tokens", "create", "c@example.org"])
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    assert secret.startswith("ut_") and " " not in secret
    token = db.session.execute(db.select(ApiToken)).scalar_one()
    assert token.user_id == user.id
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in token.token_hash
    assert db.session.execute(db.select(AuditEvent.action)).scalars().all() == ["token.create"]


def test_tokens_create_for_an_unknown_user_fails_clearly(runner, ctx):
    result = invoke(runner, ["tokens", "create", "nobody@example.org"])
    assert result.exit_code == 1
    assert "no user with e-mail nobody@example.org" in result.output


def test_users_disable_ends_access_and_enable_restores_the_login(runner, ctx, make_user, token_for):
    user = make_user("d@example.org")
    token_for(user)
    disabled = invoke(runner, ["users", "disable", "D@example.org"])
    assert disabled.exit_code == 0, disabled.output
    assert "disabled d@example.org: its sessions are logged out and 1 API token(s) revoked" in disabled.output
    db.session.expire_all()
    assert not user.is_active and user.session_version == 1
    assert db.session.execute(db.select(ApiToken.revoked_at)).scalar_one() is not None
    assert "is disabled already" in invoke(runner, ["users", "disable", "d@example.org"]).output
    refused = invoke(runner, ["tokens", "create", "d@example.org"])
    assert refused.exit_code == 1 and "the account d@example.org is disabled" in refused.output

    enabled = invoke(runner, ["users", "enable", "d@example.org"])
    assert enabled.exit_code == 0 and "enabled d@example.org: it can log in again" in enabled.output
    db.session.expire_all()
    assert user.is_active
    events = db.session.execute(db.select(AuditEvent).where(AuditEvent.action.like("user.%")).order_by(AuditEvent.id)).scalars().all()
    assert [(e.action, e.target_id, e.detail.get("via")) for e in events] == [
        ("user.disable", str(user.id), "cli"), ("user.enable", str(user.id), "cli")]
    assert events[0].detail["tokens_revoked"] == 1


def test_users_disable_and_enable_name_an_unknown_address(runner, ctx):
    for command in ("disable", "enable"):
        result = invoke(runner, ["users", command, "nobody@example.org"])
        assert result.exit_code == 1 and "no user with e-mail nobody@example.org" in result.output


def invoke(runner, args):
    """Run the `ultrathon` command group against the test app."""
    return runner.invoke(cli, args)
