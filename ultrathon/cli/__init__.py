"""The `ultrathon` command: run the platform, manage it, and talk to its API."""

from __future__ import annotations

import sys

import click

from ultrathon.i18n import N_
from ultrathon.platform.config import ConfigError, load_settings

from .accounts import tokens, users
from .agents import agents
from .challenges import challenges
from .commitments import commit, commitments
from .team import download, leaderboard, submissions, submit
from .translated import SpeakingGroup, option


def _create_app():
    from ultrathon.platform.app import create_app

    try:
        return create_app()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


@click.group(cls=SpeakingGroup, create_app=_create_app, add_default_commands=False, add_version_option=False,
             help=N_("Ultrathon: machine-learning competitions on clinical data."))
def cli() -> None:
    """Ultrathon: machine-learning competitions on clinical data."""


def _settings():
    try:
        return load_settings()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


@cli.command(with_appcontext=False, help=N_(
    "Run everything for one machine: migrations, demo data, Redis if needed, workers and web."))
@option("--host", default="127.0.0.1", show_default=True)
@option("--port", default=8000, show_default=True, type=int)
@option("--workers", default=2, show_default=True, type=click.IntRange(1, 64), help=N_("Scoring worker processes."))
@option("--web-workers", default=2, show_default=True, type=click.IntRange(1, 64), help=N_("Gunicorn worker processes."))
@option("--challenges", "challenges_dir", default=None,
        help=N_("Folder of challenge folders to load (default: the demo ones)."))
def up(host: str, port: int, workers: int, web_workers: int, challenges_dir: str | None) -> None:
    """Run everything for one machine: migrations, demo data, Redis if needed, workers and web."""
    from ultrathon.platform.supervisor import run_all

    sys.exit(run_all(_settings(), host=host, port=port, workers=workers, web_workers=web_workers, challenges_dir=challenges_dir))


@cli.command(with_appcontext=False, help=N_("Serve the web app and API with gunicorn."))
@option("--host", default="127.0.0.1", show_default=True)
@option("--port", default=8000, show_default=True, type=int)
@option("--web-workers", default=2, show_default=True, type=click.IntRange(1, 64))
def web(host: str, port: int, web_workers: int) -> None:
    """Serve the web app and API with gunicorn."""
    from ultrathon.platform.supervisor import serve_web

    sys.exit(serve_web(_settings(), host, port, web_workers))


@cli.command(with_appcontext=False, help=N_("Run scoring worker processes (with the RQ scheduler) until stopped."))
@option("--processes", default=2, show_default=True, type=click.IntRange(1, 64))
@option("--burst", is_flag=True, help=N_("Stop when the queue is empty."))
def worker(processes: int, burst: bool) -> None:
    """Run scoring worker processes (with the RQ scheduler) until stopped."""
    import logging

    from ultrathon.worker.runner import run_worker_pool

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("ultrathon").setLevel(logging.INFO)  # the agent's own lines; libraries only when they warn
    from ultrathon.platform.supervisor import ensure_redis

    settings, _server = ensure_redis(_settings())
    run_worker_pool(settings, processes=processes, burst=burst)


@cli.command(with_appcontext=False, help=N_(
    "Run a scoring agent at the data holder: lease jobs for these challenge folders and score them."))
@option("--url", envvar="ULTRATHON_URL", required=True, help=N_("The platform, e.g. https://ultrathon.example"))
@option("--token", envvar="ULTRATHON_AGENT_TOKEN", required=True, help=N_("An agent token (uta_...)."))
@option("--once", is_flag=True, help=N_("Score at most one job, then stop (for scripts and tests)."))
@click.argument("dirs", nargs=-1, required=True, type=click.Path(file_okay=False))
def agent(url: str, token: str, once: bool, dirs: tuple[str, ...]) -> None:
    """Run a scoring agent at the data holder: lease jobs for these challenge folders and score them."""
    import logging

    from ultrathon.agent import Agent, AgentError, load_folders

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("ultrathon").setLevel(logging.INFO)  # the agent's own lines; libraries only when they warn
    try:
        runner = Agent(url, token, load_folders(dirs))
        runner.run_once(wait=5) if once else runner.run_forever()
    except AgentError as exc:
        raise click.ClickException(str(exc)) from None


for command in (users, tokens, agents, challenges, submit, submissions, leaderboard, download, commit, commitments):
    cli.add_command(command)


def main() -> None:
    """Run the command line."""
    cli(prog_name="ultrathon")
