"""The agent tables: kept beside models.py so the platform's own tables stay as they are."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from ..extensions import db
from ..models import Challenge, User, UTCDateTime, utcnow

agent_token_challenge = Table(
    "agent_token_challenge",
    db.metadata,
    Column("agent_token_id", ForeignKey("agent_token.id", ondelete="CASCADE"), primary_key=True),
    Column("challenge_id", ForeignKey("challenge.id", ondelete="CASCADE"), primary_key=True),
)


class AgentChallenge(db.Model):
    """What the platform knows of a challenge an agent scores: ids to accept, never a label."""

    __tablename__ = "agent_challenge"

    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"), primary_key=True)
    solution_sha256: Mapped[str] = mapped_column(String(64))
    submission_ids: Mapped[list[str]] = mapped_column(JSON)  # from the sample submission, in its order
    split_sizes: Mapped[dict[str, int] | None] = mapped_column(JSON)  # {public, private} when the organiser told them
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AgentToken(db.Model):
    """A scoring agent's bearer token, stored as a hash, for named challenges only."""

    __tablename__ = "agent_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    prefix: Mapped[str] = mapped_column(String(16))  # shown in lists so an organiser can tell tokens apart
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[str | None] = mapped_column(String(100))  # the agent's own, from its User-Agent
    jobs_done: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # refused results, failure reports
    heartbeats: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # counted here, not audited
    site: Mapped[str | None] = mapped_column(String(64))  # several sites: the one site whose jobs it leases

    created_by: Mapped[User | None] = relationship()
    challenges: Mapped[list[Challenge]] = relationship(secondary=agent_token_challenge, order_by="Challenge.slug")


class AgentLease(db.Model):
    """One agent's hold on one submission until `expires_at`; its id is the submission's job id."""

    __tablename__ = "agent_lease"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"))
    agent_token_id: Mapped[int] = mapped_column(ForeignKey("agent_token.id", ondelete="CASCADE"), index=True)
    leased_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(20))  # scored, failed, duplicate, expired, refused, released, revoked
    site: Mapped[str | None] = mapped_column(String(64))  # several sites: the site's job it holds
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AgentSite(db.Model):
    """One site of a challenge with several: its pinned fingerprint and the ids that are its own (never a label)."""

    __tablename__ = "agent_site"

    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"), primary_key=True)
    site: Mapped[str] = mapped_column(String(64), primary_key=True)
    solution_sha256: Mapped[str] = mapped_column(String(64))
    ids: Mapped[list[str]] = mapped_column(JSON)  # from sites/<site>.ids, in its order
    split_sizes: Mapped[dict[str, int] | None] = mapped_column(JSON)


class AgentSiteJob(db.Model):
    """One site's part of scoring one submission: who holds it, and the site's scores once posted."""

    __tablename__ = "agent_site_job"

    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"), primary_key=True)
    site: Mapped[str] = mapped_column(String(64), primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"), index=True)
    lease_id: Mapped[str | None] = mapped_column(String(64))  # the lease holding it; compare-and-set on lease
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fingerprint: Mapped[str | None] = mapped_column(String(64))  # of the site's report, as audited
    # {split: {value, ci_low, ci_high, n_rows, n_filled, metrics}}: the site's own figures, per split.
    scores: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # {split: [primary metric per resample]}: paired across submissions of one site, for the combination.
    replicates: Mapped[dict[str, list[float | None]] | None] = deferred(mapped_column(JSON))
