"""The `ultrathon` command: run the platform, manage it, and talk to its API."""

from __future__ import annotations

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
    from ultrathon.platform.auth.service import enable_user
    from ultrathon.platform.extensions import db

    user = _user_or_fail(email)
    if user.is_active:
        click.echo(f"{user.email} is enabled already")
        return
    enable_user(user, via="cli")
    db.session.commit()
    click.echo(f"enabled {user.email}: it can log in again (its old API tokens stay revoked; create new ones)")


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

    from ultrathon.platform.auth.tokens import create_token
    from ultrathon.platform.extensions import db

    user = _user_or_fail(email)
    if not user.is_active:
        raise click.ClickException(f"the account {user.email} is disabled; `ultrathon users enable {user.email}` first")
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


# ---- the API client: these commands talk to a server over HTTP and never touch the database ----

EXIT_FAILED, EXIT_USAGE, EXIT_QUOTA = 1, 2, 3


def _api_client():
    """Return an API client from ULTRATHON_URL / ULTRATHON_TOKEN or the config file (exit 2 if unset)."""
    from ultrathon.client import Client, ClientConfigError

    try:
        return Client.from_environment()
    except ClientConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE)


def _run_api(call):
    """Run a client call; turn its errors into a message and the documented exit code."""
    import requests

    from ultrathon.client import ApiError

    try:
        return call()
    except ApiError as exc:
        # The detail of an invalid file repeats its problems; list them once, one a line.
        click.echo(f"error: {exc.status} {exc.title}:" if exc.problems else f"error: {exc}", err=True)
        for problem in exc.problems:
            click.echo(f"  {_where(problem)}: {problem.get('message')}", err=True)
        if exc.is_quota:
            if exc.quota:
                click.echo(f"  quota: {exc.quota.get('remaining_today')} of {exc.quota.get('per_day')} left today; "
                           f"the count resets at {exc.quota.get('resets_at')}", err=True)
            sys.exit(EXIT_QUOTA)
        sys.exit(EXIT_USAGE if exc.is_auth else EXIT_FAILED)
    except requests.RequestException as exc:
        click.echo(f"error: could not reach the server: {exc}", err=True)
        sys.exit(EXIT_FAILED)


def _where(problem: dict) -> str:
    row, column = problem.get("row"), problem.get("column")
    parts = ([f"line {row}"] if row is not None else []) + ([f"column {column}"] if column else [])
    return ", ".join(parts) or "file"


def _score_text(submission: dict) -> str:
    metric = submission.get("metric")
    public = submission.get("public") or {}
    value = public.get(metric) if metric in public else next(iter(public.values()), None)
    text = f"{metric} = {value}" if value is not None else "no public score"
    if submission.get("ci_low") is not None and submission.get("ci_high") is not None:
        text += f" (95% CI {submission['ci_low']} to {submission['ci_high']})"
    return text


def _table(headers: list[str], rows: list[list]) -> None:
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    click.echo("  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip())
    for row in cells:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())


@cli.command(with_appcontext=False)
@click.argument("slug")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--note", default="", help="A note to remember this submission by.")
@click.option("--wait", is_flag=True, help="Follow the submission until it is scored or failed.")
@click.option("--timeout", default=1800, show_default=True, type=click.IntRange(1), help="Seconds --wait waits at most.")
def submit(slug: str, file: str, note: str, wait: bool, timeout: int) -> None:
    """Upload a prediction FILE to challenge SLUG.

    Exit codes: 0 accepted (with --wait: scored), 1 failed, 2 usage or auth error, 3 quota reached.
    """
    client = _api_client()
    accepted = _run_api(lambda: client.submit(slug, file, note))
    quota = accepted.get("quota") or {}
    click.echo(f"submission {accepted['id']} {accepted['status']}; "
               f"{quota.get('remaining_today', '?')} of {quota.get('per_day', '?')} left today")
    if not wait:
        return
    try:
        submission = _run_api(lambda: client.wait(
            accepted["id"], timeout=timeout, on_status=lambda s: click.echo(f"  {s['status']}…", err=True)))
    except TimeoutError as exc:
        click.echo(f"error: {exc}; follow it with `ultrathon submissions {slug}`", err=True)
        sys.exit(EXIT_FAILED)
    if submission["status"] == "scored":
        click.echo(f"scored: {_score_text(submission)}")
        return
    problems = submission.get("problems") or []
    if problems:
        click.echo(f"failed: {len(problems)} problem{'s' if len(problems) > 1 else ''} in the file:")
    else:
        click.echo(f"failed: {submission.get('error') or 'no reason given'}")
    for problem in problems:
        click.echo(f"  {_where(problem)}: {problem.get('message')}")
    sys.exit(EXIT_FAILED)


@cli.command(with_appcontext=False)
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for machines.")
def submissions(slug: str, as_json: bool) -> None:
    """List your team's submissions to challenge SLUG, newest first."""
    import json

    client = _api_client()
    first = _run_api(lambda: client.submissions_page(slug, limit=100))
    items = first["items"] if not first.get("next_cursor") else _run_api(lambda: client.submissions(slug))
    if as_json:
        click.echo(json.dumps({"team": first.get("team"), "quota": first.get("quota"), "items": items}, indent=2))
        return
    if first.get("team") is None:
        click.echo(f"you are in no team in {slug}; create or join one first")
        return
    _table(["id", "created", "status", "public", "final", "note"], [
        [s["id"], (s.get("created_at") or "")[:16].replace("T", " "), s["status"],
         _score_text(s) if s["status"] == "scored" else (s.get("error") or ""),
         "yes" if s.get("selected") else "", s.get("note") or ""]
        for s in items
    ])
    quota = first.get("quota") or {}
    click.echo(f"{quota.get('remaining_today')} of {quota.get('per_day')} submissions left today; "
               f"the count resets at {quota.get('resets_at')}")


@cli.command(with_appcontext=False)
@click.argument("slug")
@click.option("--private", "private", is_flag=True, help="The private split (organisers, or after the close).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for machines.")
def leaderboard(slug: str, private: bool, as_json: bool) -> None:
    """Show the leaderboard of challenge SLUG."""
    import json

    client = _api_client()
    board = _run_api(lambda: client.leaderboard(slug, "private" if private else "public"))
    if as_json:
        click.echo(json.dumps(board, indent=2))
        return
    order = "higher is better" if board.get("higher_is_better") else "lower is better"
    click.echo(f"{board['challenge']} — {board['split']} leaderboard, {board['metric']} ({order}), as of {board.get('as_of')}")
    _table(["rank", "team", "score", "95% CI", "submissions", "last submission"], [
        [e.get("rank") if e.get("rank") is not None else "-", e["team"], e.get("score"),
         f"{e['ci_low']} to {e['ci_high']}" if e.get("ci_low") is not None else "",
         e.get("submissions"), (e.get("last_submission_at") or "")[:16].replace("T", " ")]
        for e in board["entries"]
    ])


@cli.command(with_appcontext=False)
@click.argument("slug")
@click.argument("folder", default=".", type=click.Path(file_okay=False))
def download(slug: str, folder: str) -> None:
    """Download the public files of challenge SLUG into FOLDER (default: here)."""
    client = _api_client()
    for path in _run_api(lambda: client.download_all(slug, folder)):
        click.echo(str(path))


def main() -> None:
    """Run the command line."""
    cli(prog_name="ultrathon")


if __name__ == "__main__":
    main()
