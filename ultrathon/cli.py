"""The `ultrathon` command: run the platform, manage it, and talk to its API."""

from __future__ import annotations

import os
import sys

import click
from flask.cli import FlaskGroup, with_appcontext

from ultrathon.platform.config import ConfigError, load_settings, new_password


def _create_app():
    from ultrathon.platform.app import create_app

    try:
        return create_app()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False, add_version_option=False)
def cli() -> None:
    """Ultrathon: machine-learning competitions on clinical data."""


def _settings():
    try:
        return load_settings()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


@cli.command(with_appcontext=False)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64), help="Scoring worker processes.")
@click.option("--web-workers", default=2, show_default=True, type=click.IntRange(1, 64), help="Gunicorn worker processes.")
@click.option("--challenges", "challenges_dir", default=None, help="Folder of challenge folders to load (default: the demo ones).")
def up(host: str, port: int, workers: int, web_workers: int, challenges_dir: str | None) -> None:
    """Run everything for one machine: migrations, demo data, Redis if needed, workers and web."""
    from ultrathon.platform.supervisor import run_all

    sys.exit(run_all(_settings(), host=host, port=port, workers=workers, web_workers=web_workers, challenges_dir=challenges_dir))


@cli.command(with_appcontext=False)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--web-workers", default=2, show_default=True, type=click.IntRange(1, 64))
def web(host: str, port: int, web_workers: int) -> None:
    """Serve the web app and API with gunicorn."""
    from ultrathon.platform.supervisor import serve_web

    sys.exit(serve_web(_settings(), host, port, web_workers))


@cli.command(with_appcontext=False)
@click.option("--processes", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(processes: int, burst: bool) -> None:
    """Run scoring worker processes (with the RQ scheduler) until stopped."""
    import logging

    from ultrathon.worker.runner import run_worker_pool

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    from ultrathon.platform.supervisor import ensure_redis

    settings, _server = ensure_redis(_settings())
    run_worker_pool(settings, processes=processes, burst=burst)


@cli.group()
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


@cli.group()
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

    from ultrathon.platform.auth.service import find_user
    from ultrathon.platform.auth.tokens import create_token
    from ultrathon.platform.extensions import db

    user = find_user(email)
    if user is None:
        raise click.ClickException(f"no user with e-mail {email}")
    token, secret = create_token(user, name, timedelta(days=days))
    db.session.commit()
    click.echo(f"token {token.prefix}… for {user.email}, expires {token.expires_at:%Y-%m-%d}; it is shown only once:")
    click.echo(secret)


@cli.group()
def challenges() -> None:
    """Validate, load and list challenge folders."""


@challenges.command("validate", with_appcontext=False)
@click.argument("dirs", nargs=-1, required=True, type=click.Path(file_okay=False))
def challenges_validate(dirs: tuple[str, ...]) -> None:
    """Print every problem in each folder as path:line: key: message; exit 1 if any."""
    from ultrathon.challenge_folder import validate_command

    sys.exit(validate_command(dirs))


@challenges.command("load")
@click.argument("dirs", nargs=-1, required=True, type=click.Path(file_okay=False))
@click.option("--rescore", is_flag=True, help="Allow a change of solution, metrics or split; re-score every submission.")
@with_appcontext
def challenges_load(dirs: tuple[str, ...], rescore: bool) -> None:
    """Validate and load folders; loading the same folder twice changes nothing."""
    from ultrathon.challenge_folder import ChallengeInvalid
    from ultrathon.platform.challenges.loader import LoadRefused, load_challenge_folder

    failed = False
    for folder in dirs:
        try:
            click.echo(f"{folder}: {load_challenge_folder(folder, rescore=rescore)}")
        except ChallengeInvalid as exc:
            click.echo(str(exc), err=True)
            failed = True
        except LoadRefused as exc:
            click.echo(f"{folder}: refused: {exc}", err=True)
            failed = True
    sys.exit(1 if failed else 0)


@challenges.command("list")
@click.option("--folders", type=click.Path(file_okay=False), default=None, help="List the challenge folders under this path instead.")
@with_appcontext
def challenges_list(folders: str | None) -> None:
    """List the loaded challenges, with their window and submission count."""
    if folders:
        from ultrathon.challenge_folder import list_command

        sys.exit(list_command(folders))
    from ultrathon.platform.extensions import db
    from ultrathon.platform.models import Challenge, Submission

    rows = db.session.execute(
        db.select(Challenge, db.func.count(Submission.id))
        .outerjoin(Submission, Submission.challenge_id == Challenge.id)
        .group_by(Challenge.id)
        .order_by(Challenge.slug)
    ).all()
    if not rows:
        click.echo("no challenges loaded")
    for challenge, count in rows:
        state = "open" if challenge.is_open() else ("closed" if challenge.is_closed() else "upcoming")
        click.echo(
            f"{challenge.slug:32} {challenge.task:10} {state:8} "
            f"{challenge.opens_at:%Y-%m-%d} → {challenge.closes_at:%Y-%m-%d}  {count} submission(s)  {challenge.title}"
        )


def main() -> None:
    """Run the command line."""
    cli(prog_name="ultrathon")


if __name__ == "__main__":
    main()
