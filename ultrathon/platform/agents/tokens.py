"""Agent tokens: created for named challenges, stored hashed, shown once, revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from ..audit import record
from ..extensions import db
from ..models import Challenge, Submission, SubmissionStatus, User, utcnow
from .models import AgentLease, AgentToken

AGENT_TOKEN_PREFIX = "uta_"  # told apart from a person's API token ("ut_") at a glance
LAST_SEEN_RESOLUTION = timedelta(seconds=10)


def _digest(secret: str) -> str:
    # 32 random bytes: a fast hash is enough, as for API tokens.
    return hashlib.sha256(secret.encode()).hexdigest()


def create_agent_token(challenges: list[Challenge], name: str = "", created_by: User | None = None,
                       site: str | None = None) -> tuple[AgentToken, str]:
    """Add a token that may lease only these challenges' jobs (of one site, if named); return it and the secret."""
    if not challenges:
        raise ValueError("an agent token needs at least one challenge")
    not_agent = [c.slug for c in challenges if not c.settings.scoring.by_agent]
    if not_agent:
        raise ValueError(f"{', '.join(not_agent)}: scoring.where is platform; an agent scores only challenges "
                         "whose challenge.yaml says scoring: {where: agent}")
    _check_site(challenges, site)
    secret = AGENT_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = AgentToken(name=name[:100], prefix=secret[:12], token_hash=_digest(secret),
                       created_by_id=created_by.id if created_by is not None else None, challenges=list(challenges),
                       site=site)
    db.session.add(token)
    db.session.flush()
    for challenge in challenges:
        record("agent.create", actor=created_by, challenge=challenge, target=token, name=token.name, prefix=token.prefix,
               site=site)
    return token, secret


def _check_site(challenges: list[Challenge], site: str | None) -> None:
    """Refuse a site a challenge does not name, and a challenge with sites but no site named."""
    for challenge in challenges:
        sites = challenge.settings.sites
        if site is None and sites:
            raise ValueError(f"{challenge.slug} is scored at several sites ({', '.join(sites)}); "
                             "name the site this agent scores for with --site")
        if site is not None and site not in sites:
            named = f"its sites are {', '.join(sites)}" if sites else "it names no sites"
            raise ValueError(f"{challenge.slug}: no site {site!r}; {named}")


def live_agent_token(secret: str) -> AgentToken | None:
    """Return the unrevoked agent token with this secret, or None."""
    if not secret.startswith(AGENT_TOKEN_PREFIX):
        return None
    token = db.session.execute(db.select(AgentToken).where(AgentToken.token_hash == _digest(secret))).scalar_one_or_none()
    return token if token is not None and token.revoked_at is None else None


def note_seen(token: AgentToken, version: str | None) -> None:
    """Stamp when the agent was last seen, and its version, in a short transaction of its own."""
    now = utcnow()
    version = (version or "")[:100] or token.version
    if token.last_seen_at is not None and now - token.last_seen_at < LAST_SEEN_RESOLUTION and version == token.version:
        return
    token.last_seen_at, token.version = now, version
    db.session.commit()


def list_agent_tokens() -> list[AgentToken]:
    """Return every agent token, newest first."""
    return list(db.session.execute(db.select(AgentToken).order_by(AgentToken.id.desc())).scalars())


def revoke_agent_token(token: AgentToken, actor: User | None = None) -> int:
    """Revoke a token and give its live leases back to the queue at once; return how many."""
    now = utcnow()
    released = 0
    if token.revoked_at is None:
        token.revoked_at = now
        leases = db.session.execute(
            db.select(AgentLease).where(AgentLease.agent_token_id == token.id, AgentLease.ended_at.is_(None))
        ).scalars().all()
        for lease in leases:
            released += release_lease(lease, "revoked")
        for challenge in token.challenges:
            record("agent.revoke", actor=actor, challenge=challenge, target=token, name=token.name, released=released)
    challenge_ids = [c.id for c in token.challenges]
    db.session.commit()
    from .challenges import wake_agents

    # Its own long poll ends now with a 401, and another agent takes the released jobs at once.
    wake_agents(challenge_ids)
    return released


def release_lease(lease: AgentLease, outcome: str) -> int:
    """End a lease; if it still holds its submission, queue the submission for the next lease (1), else 0."""
    lease.ended_at, lease.outcome = utcnow(), outcome
    if lease.site is not None:
        from .sites import release_site_job

        return release_site_job(lease)
    return db.session.execute(
        db.update(Submission)
        .where(Submission.id == lease.submission_id, Submission.job_id == lease.id,
               Submission.status == SubmissionStatus.SCORING.value)
        .values(status=SubmissionStatus.QUEUED.value)
        .execution_options(synchronize_session=False)
    ).rowcount


def agent_rows(challenge_ids: list[int] | None = None) -> list[dict]:
    """Return each live agent (of these challenges, or all) and its site as /readyz shows it, no secret."""
    rows = []
    for token in list_agent_tokens():
        slugs = [c.slug for c in token.challenges if challenge_ids is None or c.id in challenge_ids]
        if token.revoked_at is not None or not slugs:
            continue
        rows.append({"name": token.name, "site": token.site, "version": token.version, "challenges": slugs,
                     "last_seen": token.last_seen_at.isoformat() if token.last_seen_at else None,
                     "jobs_done": token.jobs_done or 0, "failures": token.failures or 0,
                     "heartbeats": token.heartbeats or 0})
    return rows


def challenge_tokens(challenge: Challenge) -> list[AgentToken]:
    """Return every agent token of this challenge, live and revoked, newest first."""
    return [t for t in list_agent_tokens() if any(c.id == challenge.id for c in t.challenges)]


def challenge_agents(challenge: Challenge) -> list[AgentToken] | None:
    """Return the live agent tokens of an agent-scored challenge (None when the platform scores it)."""
    if not challenge.settings.scoring.by_agent:
        return None
    return [t for t in list_agent_tokens() if t.revoked_at is None and any(c.id == challenge.id for c in t.challenges)]
