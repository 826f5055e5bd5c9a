"""`ultrathon users` and `ultrathon tokens`: accounts and API tokens, straight in the database."""

from __future__ import annotations

import click
from flask.cli import AppGroup, with_appcontext

from ultrathon.platform.config import new_password


@click.group(cls=AppGroup)
def users() -> None:
    """Manage user accounts."""


@users.command("create")
@click.argument("email")
@click.option("--name", default="", help="Display name.")
@click.option("--password", default=None, help="Generated and printed when omitted.")
@click.option("--admin", is_flag=True, help="Give the user every organiser right.")
@with_appcontext
def users_create(email: str, name: str, password: str | None, admin: bool) -> None:
    """Create a user; print the generated password when none is given."""
    from ultrathon.platform.auth.service import AccountError, create_user
    from ultrathon.platform.extensions import db

    generated = password is None
    password = password or new_password()
    try:
        user = create_user(email, name, password, is_admin=admin)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"created {user.email}" + (" (admin)" if admin else ""))
    if generated:
        click.echo(f"password: {password}")


def _user_or_fail(email: str):
    """Return the user with this address, or stop with a message naming it."""
    from ultrathon.platform.auth.service import find_user

    user = find_user(email)
    if user is None:
        raise click.ClickException(f"no user with e-mail {email}")
    return user


@users.command("disable")
@click.argument("email")
@with_appcontext
def users_disable(email: str) -> None:
    """Disable an account: end its login sessions and revoke its API tokens at once."""
    from ultrathon.platform.auth.service import disable_user
    from ultrathon.platform.extensions import db

    user = _user_or_fail(email)
    if not user.is_active:
        click.echo(f"{user.email} is disabled already")
        return
    revoked = disable_user(user, via="cli")
    db.session.commit()
    click.echo(f"disabled {user.email}: its sessions are logged out and {revoked} API token(s) revoked")


@users.command("enable")
@click.argument("email")
@with_appcontext
def users_enable(email: str) -> None:
    """Let a disabled account log in again; the tokens revoked when it was disabled stay revoked."""
    from ultrathon.platform.auth.erasure import is_erased
    from ultrathon.platform.auth.service import enable_user
    from ultrathon.platform.extensions import db

    user = _user_or_fail(email)
    if is_erased(user):
        raise click.ClickException(f"{user.email} is an erased account; it cannot be enabled again")
    if user.is_active:
        click.echo(f"{user.email} is enabled already")
        return
    enable_user(user, via="cli")
    db.session.commit()
    click.echo(f"enabled {user.email}: it can log in again (its old API tokens stay revoked; create new ones)")


@users.command("erase")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def users_erase(email: str, yes: bool) -> None:
    """Erase a person's data for good; their team's scores stay under a pseudonym."""
    from ultrathon.platform.auth.erasure import erase_user
    from ultrathon.platform.auth.service import AccountError

    user = _user_or_fail(email)
    if not yes:
        click.confirm(f"Erase {user.email} for good (name, e-mail address, password, tokens)?", abort=True)
    try:
        pseudonym = erase_user(user, via="cli")
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"erased {email.strip().lower()}: the account is now {pseudonym}")


@click.group(cls=AppGroup)
def tokens() -> None:
    """Manage API tokens."""


@tokens.command("create")
@click.argument("email")
@click.option("--name", default="cli", show_default=True, help="A label to recognise the token by.")
@click.option("--days", default=180, show_default=True, type=click.IntRange(1, 3650))
@with_appcontext
def tokens_create(email: str, name: str, days: int) -> None:
    """Create an API token for a user; the token is printed alone on the last line."""
    from datetime import timedelta

    from ultrathon.platform.auth.tokens import create_token
    from ultrathon.platform.extensions import db

    user = _user_or_fail(email)
    if not user.is_active:
        raise click.ClickException(f"the account {user.email} is disabled; `ultrathon users enable {user.email}` first")
    token, secret = create_token(user, name, timedelta(days=days))
    db.session.commit()
    click.echo(f"token {token.prefix}… for {user.email}, expires {token.expires_at:%Y-%m-%d}; it is shown only once:")
    click.echo(secret)
