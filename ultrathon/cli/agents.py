"""`ultrathon agents`: tokens for scoring agents at the data holder, straight in the database."""

from __future__ import annotations

import click
from flask.cli import AppGroup, with_appcontext


@click.group(cls=AppGroup)
def agents() -> None:
    """Manage scoring-agent tokens (challenges with scoring: {where: agent})."""


@agents.command("create")
@click.option("--challenge", "slugs", multiple=True, required=True, help="A challenge the agent scores (repeatable).")
@click.option("--name", default="", help="A label to recognise the agent by, e.g. the site.")
@click.option("--by", "email", default=None, help="The organiser creating it, for the audit trail.")
@click.option("--site", default=None, help="The site it scores for, when the challenges name several sites.")
@with_appcontext
def agents_create(slugs: tuple[str, ...], name: str, email: str | None, site: str | None) -> None:
    """Create an agent token for the challenges; the token is printed alone on the last line, once."""
    from ultrathon.platform.agents.tokens import create_agent_token
    from ultrathon.platform.extensions import db
    from ultrathon.platform.models import Challenge, User

    found = {c.slug: c for c in db.session.execute(db.select(Challenge).where(Challenge.slug.in_(slugs))).scalars()}
    missing = [s for s in slugs if s not in found]
    if missing:
        raise click.ClickException(f"no challenge loaded with slug {', '.join(missing)}; see `ultrathon challenges list`")
    creator = None
    if email:
        creator = db.session.execute(db.select(User).where(db.func.lower(User.email) == email.lower())).scalar_one_or_none()
        if creator is None:
            raise click.ClickException(f"no user with e-mail {email}")
    try:
        token, secret = create_agent_token([found[s] for s in dict.fromkeys(slugs)], name, creator, site=site)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    at = f" at site {site}" if site else ""
    click.echo(f"agent token {token.id} ({token.prefix}…) for {', '.join(dict.fromkeys(slugs))}{at}; it is shown only once:")
    click.echo(secret)


@agents.command("list")
@with_appcontext
def agents_list() -> None:
    """List agent tokens: name, challenges, state, version, last seen, jobs done, failures."""
    from ultrathon.platform.agents.tokens import list_agent_tokens

    tokens = list_agent_tokens()
    if not tokens:
        click.echo("no agent tokens")
    for t in tokens:
        state = f"revoked {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "live"
        seen = f"{t.last_seen_at:%Y-%m-%d %H:%M:%S} UTC" if t.last_seen_at else "never"
        scope = ",".join(c.slug for c in t.challenges) + (f"@{t.site}" if t.site else "")
        click.echo(f"{t.id:4}  {t.prefix}…  {t.name or '-':20} {scope:30} {state:22} "
                   f"version {t.version or '-'}  last seen {seen}  jobs {t.jobs_done}  failures {t.failures}")


@agents.command("revoke")
@click.argument("token_id", type=int)
@with_appcontext
def agents_revoke(token_id: int) -> None:
    """Revoke an agent token at once; the jobs it holds go back to the queue for another agent."""
    from ultrathon.platform.agents.models import AgentToken
    from ultrathon.platform.agents.tokens import revoke_agent_token
    from ultrathon.platform.extensions import db

    token = db.session.get(AgentToken, token_id)
    if token is None:
        raise click.ClickException(f"no agent token {token_id}; see `ultrathon agents list`")
    if token.revoked_at is not None:
        click.echo(f"agent token {token_id} was revoked already")
        return
    released = revoke_agent_token(token)
    click.echo(f"revoked agent token {token_id}; {released} job(s) it held are queued again")
