"""`ultrathon challenges`: validate, load and list challenge folders."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from ultrathon.i18n import N_, gettext as _

from .translated import group, option


@group(help=N_("Validate, load and list challenge folders."))
def challenges() -> None:
    """Validate, load and list challenge folders."""


@challenges.command("validate", with_appcontext=False, help=N_(
    "Print every problem in each folder as path:line: key: message; exit 1 if any."))
@click.argument("dirs", nargs=-1, required=True, type=click.Path(file_okay=False))
def challenges_validate(dirs: tuple[str, ...]) -> None:
    """Print every problem in each folder as path:line: key: message; exit 1 if any."""
    from ultrathon.challenge_folder import validate_command

    sys.exit(validate_command(dirs))


@challenges.command("load", help=N_("Validate and load folders; loading the same folder twice changes nothing."))
@click.argument("dirs", nargs=-1, required=True, type=click.Path(file_okay=False))
@option("--rescore", is_flag=True, help=N_("Allow a change of solution, metrics or split; re-score every submission."))
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
            click.echo(_("%(folder)s: refused: %(reason)s", folder=folder, reason=exc), err=True)
            failed = True
    sys.exit(1 if failed else 0)


@challenges.command("list", help=N_("List the loaded challenges, with their window and submission count."))
@option("--folders", type=click.Path(file_okay=False), default=None,
        help=N_("List the challenge folders under this path instead."))
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
        click.echo(_("no challenges loaded"))
    for challenge, count in rows:
        state = _("open") if challenge.is_open() else (_("closed") if challenge.is_closed() else _("upcoming"))
        click.echo(_("%(slug)s %(task)s %(state)s %(opens)s → %(closes)s  %(count)s submission(s)  %(title)s",
                     slug=format(challenge.slug, "32"), task=format(challenge.task, "10"), state=format(state, "8"),
                     opens=format(challenge.opens_at, "%Y-%m-%d"), closes=format(challenge.closes_at, "%Y-%m-%d"), count=count,
                     title=challenge.title))


def _publication_command(slug: str, act) -> None:
    """Run a publish or withdraw on a loaded challenge as the operator; print the outcome or why not."""
    from ultrathon.platform.challenges.access import get_challenge
    from ultrathon.platform.challenges.publication import PublicationRefused

    challenge = get_challenge(slug)
    if challenge is None:
        click.echo(_("no challenge called %(slug)s is loaded", slug=repr(slug)), err=True)
        sys.exit(1)
    try:
        click.echo(act(challenge))
    except PublicationRefused as exc:
        click.echo(_("%(slug)s: refused: %(reason)s", slug=slug, reason=exc.detail), err=True)
        sys.exit(1)


@challenges.command("publish", help=N_("Show a closed phase's final standings to everyone (results.publish: manual)."))
@click.argument("slug")
@option("--note", default="", help=N_("Shown on the leaderboard beside the date of publication."))
@option("--phase", default=None, help=N_("The phase whose results to publish (default: the current phase)."))
@with_appcontext
def challenges_publish(slug: str, note: str, phase: str | None) -> None:
    """Show a closed phase's final standings to everyone (results.publish: manual)."""
    from ultrathon.platform.challenges.publication import publish_results

    _publication_command(slug, lambda c: _(
        "%(slug)s: results published at %(moment)s UTC", slug=slug,
        moment=format(publish_results(c, None, note, phase).published_at, "%Y-%m-%d %H:%M")))


@challenges.command("withdraw", help=N_("Take a phase's published final standings back to its organisers."))
@click.argument("slug")
@option("--phase", default=None, help=N_("The phase whose publication to withdraw (default: the current phase)."))
@with_appcontext
def challenges_withdraw(slug: str, phase: str | None) -> None:
    """Take a phase's published final standings back to its organisers."""
    from ultrathon.platform.challenges.publication import withdraw_results

    _publication_command(slug, lambda c: _(
        "%(slug)s: publication withdrawn at %(moment)s UTC", slug=slug,
        moment=format(withdraw_results(c, None, phase).withdrawn_at, "%Y-%m-%d %H:%M")))
