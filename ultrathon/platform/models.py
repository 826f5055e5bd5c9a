"""The data model: typed SQLAlchemy 2 classes, one per table."""

from __future__ import annotations

import enum
from datetime import datetime, timezone
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, Session, deferred, mapped_column, relationship

from ultrathon.spec import ChallengeSpec

from .extensions import db


def utcnow() -> datetime:
    """Return the current time, aware, in UTC: the app's CLOCK when one is injected (tests of phase changes)."""
    if has_app_context():
        clock = current_app.config.get("CLOCK")
        if clock is not None:
            return clock()
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timestamp stored as naive UTC and always read back aware (SQLite keeps no zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is required")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):
        return None if value is None else value.replace(tzinfo=timezone.utc)


class SubmissionStatus(str, enum.Enum):
    """Where a submission is on its way to a score."""

    QUEUED = "queued"
    SCORING = "scoring"
    SCORED = "scored"
    FAILED = "failed"


class Split(str, enum.Enum):
    """The two leaderboards a solution's rows feed."""

    PUBLIC = "public"
    PRIVATE = "private"


class User(db.Model):
    """A person who competes, organises, or both."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active_account: Mapped[bool] = mapped_column(Boolean, default=True)
    # Part of the id every login session and remember cookie carries: bumping it ends them all.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Null until the owner follows the link mailed at registration (governance/verification.py).
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The language picked for pages and e-mails ("en", "da", "sv"); null follows the browser, then the challenge.
    language: Mapped[str | None] = mapped_column(String(8))

    memberships: Mapped[list[Membership]] = relationship(back_populates="user")

    # Flask-Login's protocol, written out instead of UserMixin to keep the model explicit.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.is_active_account

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        # Flask-Login's alternative-id pattern: the stored id goes stale when session_version moves.
        return f"{self.id}:{self.session_version or 0}"


class Challenge(db.Model):
    """A loaded challenge: its validated spec and every file the workers need."""

    __tablename__ = "challenge"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500), default="")
    description_md: Mapped[str] = mapped_column(Text, default="")
    task: Mapped[str] = mapped_column(String(20))
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Hash of what decides scores (solution, metrics, split): a change here needs a re-score.
    scoring_hash: Mapped[str] = mapped_column(String(64))
    content_hash: Mapped[str] = mapped_column(String(64))
    solution_csv: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    custom_scorer_source: Mapped[str | None] = deferred(mapped_column(Text))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    files: Mapped[list[ChallengeFile]] = relationship(
        back_populates="challenge", cascade="all, delete-orphan", order_by="ChallengeFile.position"
    )
    teams: Mapped[list[Team]] = relationship(back_populates="challenge")
    publications: Mapped[list[ResultsPublication]] = relationship(
        back_populates="challenge", cascade="all, delete-orphan", order_by="ResultsPublication.id"
    )
    phases: Mapped[list[Phase]] = relationship(
        back_populates="challenge", cascade="all, delete-orphan", order_by="Phase.position"
    )

    @property
    def settings(self) -> ChallengeSpec:
        """Return the validated spec, parsed once for each spec this row object holds."""
        raw = self.spec
        cached = getattr(self, "_settings", None)
        if cached is None or cached[0] is not raw:  # a refreshed or reassigned row holds a new dict
            # The stored spec was validated at load; the cross-field checks need not run again.
            cached = self._settings = (raw, ChallengeSpec.model_validate(raw, context={"cross_checks": False}))
        return cached[1]

    @property
    def organisers(self) -> list[str]:
        """Return the organisers' e-mail addresses from the spec."""
        return [e.lower() for e in self.settings.organisers]

    def is_open(self, now: datetime | None = None) -> bool:
        """Return whether submissions are accepted at this moment: one of its phases is open."""
        now = now or utcnow()
        return any(p.is_open(now) for p in self.phases) if self.phases else self.opens_at <= now < self.closes_at

    def is_closed(self, now: datetime | None = None) -> bool:
        """Return whether the challenge has ended: its last phase has closed."""
        return (now or utcnow()) >= self.closes_at


class ChallengeFile(db.Model):
    """A public file of a challenge, kept in the database so any web node can serve it."""

    __tablename__ = "challenge_file"
    __table_args__ = (UniqueConstraint("challenge_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    position: Mapped[int] = mapped_column(Integer, default=0)
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary))

    challenge: Mapped[Challenge] = relationship(back_populates="files")


class Team(db.Model):
    """A team competing in one challenge (or an organiser's baseline, shown unranked)."""

    __tablename__ = "team"
    __table_args__ = (UniqueConstraint("challenge_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    invite_code: Mapped[str] = mapped_column(String(32), unique=True)
    is_baseline: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    disqualified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disqualified_reason: Mapped[str | None] = mapped_column(Text)

    challenge: Mapped[Challenge] = relationship(back_populates="teams")
    memberships: Mapped[list[Membership]] = relationship(back_populates="team", cascade="all, delete-orphan")


class Membership(db.Model):
    """A user's place in a team; one team per user per challenge."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("challenge_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    # Repeated from the team so the database itself enforces one team per user per challenge.
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20), default="member")
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    team: Mapped[Team] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(back_populates="memberships")


class TermsAcceptance(db.Model):
    """A user's acceptance of a challenge's data-use terms: their version, and the digest and language of the exact text."""

    __tablename__ = "terms_acceptance"
    __table_args__ = (UniqueConstraint("challenge_id", "user_id", "version", "text_sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    version: Mapped[str] = mapped_column(String(40))
    # SHA-256 of the text shown, as UTF-8: a changed text under the same version is accepted anew.
    text_sha256: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(35), default="en")
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Submission(db.Model):
    """One uploaded prediction file; the row is the truth, the queue only delivers it."""

    __tablename__ = "submission"
    __table_args__ = (
        Index("ix_submission_team_created", "team_id", "created_at"),
        Index("ix_submission_status_created", "status", "created_at"),
        Index("ix_submission_challenge_created", "challenge_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"))
    phase_id: Mapped[int] = mapped_column(ForeignKey("phase.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default=SubmissionStatus.QUEUED.value)
    note: Mapped[str] = mapped_column(String(500), default="")
    filename: Mapped[str] = mapped_column(String(255), default="submission.csv")  # shown only, never a path
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scored_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)  # shown to the team
    error_detail: Mapped[str | None] = mapped_column(Text)  # organisers only (traces)
    problems: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)  # row/column problems
    scorer_version: Mapped[str | None] = mapped_column(String(40))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    job_id: Mapped[str | None] = mapped_column(String(64))
    selected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    team: Mapped[Team] = relationship()
    challenge: Mapped[Challenge] = relationship()
    phase: Mapped[Phase] = relationship()
    user: Mapped[User | None] = relationship()
    scores: Mapped[list[Score]] = relationship(back_populates="submission", cascade="all, delete-orphan")


class Score(db.Model):
    """A submission's result on one split: the primary metric ranks, the rest is detail."""

    __tablename__ = "score"
    __table_args__ = (
        UniqueConstraint("submission_id", "split"),
        # Fits the standings query: one phase and split, best value per team.
        Index("ix_score_leaderboard", "phase_id", "split", "team_id", "value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"))
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"))
    phase_id: Mapped[int] = mapped_column(ForeignKey("phase.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    split: Mapped[str] = mapped_column(String(10))
    metric: Mapped[str] = mapped_column(String(60))
    value: Mapped[float | None] = mapped_column()
    # The public score shown to teams under feedback: ladder, fixed when it was scored; null under live.
    shown: Mapped[float | None] = mapped_column()
    ci_low: Mapped[float | None] = mapped_column()
    ci_high: Mapped[float | None] = mapped_column()
    n_rows: Mapped[int] = mapped_column(Integer, default=0)
    n_filled: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # predictions filled (submission.missing)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    subgroups: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    replicates: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))  # float64 bootstrap values
    # Reliability bins and decision curve of a binary task (scorers/curves.py); loaded only where drawn.
    curves: Mapped[dict[str, Any] | None] = deferred(mapped_column(JSON))
    # td_auc and Brier per horizon of a survival-curve submission (scorers/horizon_table.py).
    horizons: Mapped[dict[str, Any] | None] = deferred(mapped_column(JSON))
    # {metric: [replicate, ...]} of the ranking scheme's metrics besides the primary (null under primary).
    metric_replicates: Mapped[dict[str, list[float | None]] | None] = deferred(mapped_column(JSON))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    submission: Mapped[Submission] = relationship(back_populates="scores")


class ApiToken(db.Model):
    """A bearer token for the API, stored as a hash; the secret is shown once."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    prefix: Mapped[str] = mapped_column(String(16))  # shown in lists so a user can tell tokens apart
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class AuditEvent(db.Model):
    """An append-only record of who did what, when, to what."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_challenge_at", "challenge_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))
    challenge_id: Mapped[int | None] = mapped_column(ForeignKey("challenge.id", ondelete="SET NULL"))
    target_type: Mapped[str | None] = mapped_column(String(40))
    target_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(String(45))


class LeaderboardStats(db.Model):
    """Rank-uncertainty figures computed in the background for one leaderboard."""

    __tablename__ = "leaderboard_stats"
    __table_args__ = (UniqueConstraint("phase_id", "split"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"))
    phase_id: Mapped[int] = mapped_column(ForeignKey("phase.id", ondelete="CASCADE"))
    split: Mapped[str] = mapped_column(String(10))
    as_of: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


@event.listens_for(Session, "before_flush")
def _audit_is_append_only(session: Session, _context, _instances) -> None:
    """Refuse to change or delete an audit event once written."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise ValueError("audit events are append-only")

from .agents import models as _agent_models  # noqa: E402,F401  (the agent tables join the metadata)
from .method_cards import models as _card_models  # noqa: E402,F401  (the method card table joins the metadata)
from .governance import models as _governance_models  # noqa: E402,F401  (the suspension table joins the metadata)
from .notifications import models as _notification_models  # noqa: E402,F401  (the settings tables join the metadata)
from .terms import models as _terms_models  # noqa: E402,F401  (the deletion attestation table joins the metadata)
from .phases.models import Commitment, Phase, ResultsPublication, current_phase  # noqa: E402,F401  (re-exported)
