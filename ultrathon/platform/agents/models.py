"""The agent tables: kept beside models.py so the platform's own tables stay as they are."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

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
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
