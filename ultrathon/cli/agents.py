"""`ultrathon agents`: tokens for scoring agents at the data holder, straight in the database."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ultrathon.i18n import N_, gettext as _

from .translated import group, option


@group(help=N_("Manage scoring-agent tokens (challenges with scoring: {where: agent})."))
def agents() -> None:
    """Manage scoring-agent tokens (challenges with scoring: {where: agent})."""


@agents.command("create", help=N_(
    "Create an agent token for the challenges; the token is printed alone on the last line, once."))
@option("--challenge", "slugs", multiple=True, required=True, help=N_("A challenge the agent scores (repeatable)."))
@option("--name", default="", help=N_("A label to recognise the agent by, e.g. the site."))
@option("--by", "email", default=None, help=N_("The organiser creating it, for the audit trail."))
@option("--site", default=None, help=N_("The site it scores for, when the challenges name several sites."))
@with_appcontext
def agents_create(slugs: tuple[str, ...], name: str, email: str | None, site: str | None) -> None:
    """Create an agent token for the challenges; the token is printed alone on the last line, once."""
    from ultrathon.platform.agents.tokens import create_agent_token
    from ultrathon.platform.extensions import db
    from ultrathon.platform.models import Challenge, User

    found = {c.slug: c for c in db.session.execute(db.select(Challenge).where(Challenge.slug.in_(slugs))).scalars()}
    missing = [s for s in slugs if s not in found]
    if missing:
        raise click.ClickException(_("no challenge loaded with slug %(slugs)s; see `ultrathon challenges list`",
                                     slugs=", ".join(missing)))
    creator = None
    if email:
        creator = db.session.execute(db.select(User).where(db.func.lower(User.email) == email.lower())).scalar_one_or_none()
        if creator is None:
            raise click.ClickException(_("no user with e-mail %(email)s", email=email))
    try:
        token, secret = create_agent_token([found[s] for s in dict.fromkeys(slugs)], name, creator, site=site)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    scope = {"id": token.id, "prefix": token.prefix, "slugs": ", ".join(dict.fromkeys(slugs)), "site": site}
    click.echo(_("agent token %(id)s (%(prefix)s…) for %(slugs)s at site %(site)s; it is shown only once:", **scope)
               if site else _("agent token %(id)s (%(prefix)s…) for %(slugs)s; it is shown only once:", **scope))
    click.echo(secret)


@agents.command("list", help=N_("List agent tokens: name, challenges, state, version, last seen, jobs done, failures."))
@with_appcontext
def agents_list() -> None:
    """List agent tokens: name, challenges, state, version, last seen, jobs done, failures."""
    from ultrathon.platform.agents.tokens import list_agent_tokens

    tokens = list_agent_tokens()
    if not tokens:
        click.echo(_("no agent tokens"))
    for t in tokens:
        state = _("revoked %(moment)s", moment=format(t.revoked_at, "%Y-%m-%d %H:%M")) if t.revoked_at else _("live")
        seen = f"{t.last_seen_at:%Y-%m-%d %H:%M:%S} UTC" if t.last_seen_at else _("never")
        scope = ",".join(c.slug for c in t.challenges) + (f"@{t.site}" if t.site else "")
        click.echo(_("%(id)s  %(prefix)s…  %(name)s %(scope)s %(state)s version %(version)s  last seen %(seen)s  "
                     "jobs %(jobs)s  failures %(failures)s",
                     id=format(t.id, "4"), prefix=t.prefix, name=format(t.name or "-", "20"), scope=format(scope, "30"), state=format(state, "22"),
                     version=t.version or "-", seen=seen, jobs=t.jobs_done, failures=t.failures))


@agents.command("revoke", help=N_(
    "Revoke an agent token at once; the jobs it holds go back to the queue for another agent."))
@click.argument("token_id", type=int)
@with_appcontext
def agents_revoke(token_id: int) -> None:
    """Revoke an agent token at once; the jobs it holds go back to the queue for another agent."""
    from ultrathon.platform.agents.models import AgentToken
    from ultrathon.platform.agents.tokens import revoke_agent_token
    from ultrathon.platform.extensions import db

    token = db.session.get(AgentToken, token_id)
    if token is None:
        raise click.ClickException(_("no agent token %(id)s; see `ultrathon agents list`", id=token_id))
    if token.revoked_at is not None:
        click.echo(_("agent token %(id)s was revoked already", id=token_id))
        return
    released = revoke_agent_token(token)
    click.echo(_("revoked agent token %(id)s; %(count)s job(s) it held are queued again", id=token_id, count=released))
