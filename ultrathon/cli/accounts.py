"""`ultrathon users` and `ultrathon tokens`: accounts and API tokens, straight in the database."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ultrathon.i18n import N_, gettext as _
from ultrathon.platform.config import new_password

from .translated import group, option


@group(help=N_("Manage user accounts."))
def users() -> None:
    """Manage user accounts."""


@users.command("create", help=N_("Create a user; print the generated password when none is given."))
@click.argument("email")
@option("--name", default="", help=N_("Display name."))
@option("--password", default=None, help=N_("Generated and printed when omitted."))
@option("--admin", is_flag=True, help=N_("Give the user every organiser right."))
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
    click.echo(_("created %(email)s (admin)", email=user.email) if admin else _("created %(email)s", email=user.email))
    if generated:
        click.echo(_("password: %(password)s", password=password))


def _user_or_fail(email: str):
    """Return the user with this address, or stop with a message naming it."""
    from ultrathon.platform.auth.service import find_user

    user = find_user(email)
    if user is None:
        raise click.ClickException(_("no user with e-mail %(email)s", email=email))
    return user


@users.command("disable", help=N_("Disable an account: end its login sessions and revoke its API tokens at once."))
@click.argument("email")
@with_appcontext
def users_disable(email: str) -> None:
    """Disable an account: end its login sessions and revoke its API tokens at once."""
    from ultrathon.platform.auth.service import disable_user
    from ultrathon.platform.extensions import db

    user = _user_or_fail(email)
    if not user.is_active:
        click.echo(_("%(email)s is disabled already", email=user.email))
        return
    revoked = disable_user(user, via="cli")
    db.session.commit()
    click.echo(_("disabled %(email)s: its sessions are logged out and %(count)s API token(s) revoked",
                 email=user.email, count=revoked))


@users.command("enable", help=N_(
    "Let a disabled account log in again; the tokens revoked when it was disabled stay revoked."))
@click.argument("email")
@with_appcontext
def users_enable(email: str) -> None:
    """Let a disabled account log in again; the tokens revoked when it was disabled stay revoked."""
    from ultrathon.platform.auth.erasure import is_erased
    from ultrathon.platform.auth.service import enable_user
    from ultrathon.platform.extensions import db

    user = _user_or_fail(email)
    if is_erased(user):
        raise click.ClickException(_("%(email)s is an erased account; it cannot be enabled again", email=user.email))
    if user.is_active:
        click.echo(_("%(email)s is enabled already", email=user.email))
        return
    enable_user(user, via="cli")
    db.session.commit()
    click.echo(_("enabled %(email)s: it can log in again (its old API tokens stay revoked; create new ones)",
                 email=user.email))


@users.command("erase", help=N_("Erase a person's data for good; their team's scores stay under a pseudonym."))
@click.argument("email")
@option("--yes", is_flag=True, help=N_("Do not ask for confirmation."))
@with_appcontext
def users_erase(email: str, yes: bool) -> None:
    """Erase a person's data for good; their team's scores stay under a pseudonym."""
    from ultrathon.platform.auth.erasure import erase_user
    from ultrathon.platform.auth.service import AccountError

    user = _user_or_fail(email)
    if not yes:
        click.confirm(_("Erase %(email)s for good (name, e-mail address, password, tokens)?", email=user.email),
                      abort=True)
    try:
        pseudonym = erase_user(user, via="cli")
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(_("erased %(email)s: the account is now %(pseudonym)s", email=email.strip().lower(), pseudonym=pseudonym))


@group(help=N_("Manage API tokens."))
def tokens() -> None:
    """Manage API tokens."""


@tokens.command("create", help=N_("Create an API token for a user; the token is printed alone on the last line."))
@click.argument("email")
@option("--name", default="cli", show_default=True, help=N_("A label to recognise the token by."))
@option("--days", default=180, show_default=True, type=click.IntRange(1, 3650))
@with_appcontext
def tokens_create(email: str, name: str, days: int) -> None:
    """Create an API token for a user; the token is printed alone on the last line."""
    from datetime import timedelta

    from ultrathon.platform.auth.tokens import create_token
    from ultrathon.platform.extensions import db

    user = _user_or_fail(email)
    if not user.is_active:
        raise click.ClickException(_("the account %(email)s is disabled; `ultrathon users enable %(email)s` first",
                                     email=user.email))
    token, secret = create_token(user, name, timedelta(days=days))
    db.session.commit()
    click.echo(_("token %(prefix)s… for %(email)s, expires %(date)s; it is shown only once:",
                 prefix=token.prefix, email=user.email, date=format(token.expires_at, "%Y-%m-%d")))
    click.echo(secret)
