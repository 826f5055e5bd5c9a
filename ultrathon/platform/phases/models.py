"""The phase tables: a challenge's phases, their results publications, and teams' commitments before them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from ultrathon.i18n import gettext as _  # phases are named outside a request too (the CLI, the worker)
from ultrathon.spec import PhaseSettings

from ..extensions import db
from ..models import Challenge, Score, Submission, Team, User, UTCDateTime, utcnow


class Phase(db.Model):
    """One window of a challenge, kept in step with its spec's phases by the loader (challenges/loader.py)."""

    __tablename__ = "phase"
    __table_args__ = (UniqueConstraint("challenge_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)

    challenge: Mapped[Challenge] = relationship(back_populates="phases")
    publications: Mapped[list[ResultsPublication]] = relationship(
        back_populates="phase", cascade="all, delete-orphan", order_by="ResultsPublication.id"
    )

    @property
    def settings(self) -> PhaseSettings:
        """Return the phase's resolved keys (limits, feedback, files) from the challenge's spec."""
        return self.challenge.settings.phase(self.slug)

    def is_open(self, now: datetime | None = None) -> bool:
        """Return whether this phase accepts submissions at this moment."""
        return self.opens_at <= (now or utcnow()) < self.closes_at

    def is_closed(self, now: datetime | None = None) -> bool:
        """Return whether this phase has ended."""
        return (now or utcnow()) >= self.closes_at

    def has_opened(self, now: datetime | None = None) -> bool:
        """Return whether this phase has opened (its files are out)."""
        return (now or utcnow()) >= self.opens_at

    @property
    def publication(self) -> ResultsPublication | None:
        """Return the publication of this phase's final standings in force: the latest not withdrawn, if any."""
        return next((p for p in reversed(self.publications) if p.withdrawn_at is None), None)

    def results_published(self) -> bool:
        """Return whether the private standings go to everyone once closed (results.publish, or Publish pressed)."""
        return self.challenge.settings.results.publish == "at_close" or self.publication is not None


class ResultsPublication(db.Model):
    """An organiser's release of a phase's final standings to everyone, until withdrawn."""

    __tablename__ = "results_publication"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"), index=True)
    phase_id: Mapped[int] = mapped_column(ForeignKey("phase.id", ondelete="CASCADE"), index=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(String(500), default="")
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    challenge: Mapped[Challenge] = relationship(back_populates="publications")
    phase: Mapped[Phase] = relationship(back_populates="publications")
    published_by: Mapped[User | None] = relationship(foreign_keys=[published_by_id])
    withdrawn_by: Mapped[User | None] = relationship(foreign_keys=[withdrawn_by_id])

    @property
    def by_name(self) -> str:
        """Return who published, as the pages name them: the organiser's display name, or the operator's command line."""
        return self.published_by.name if self.published_by is not None else "the platform operator"


class Commitment(db.Model):
    """A team's SHA-256 of its model or code archive, made before a phase opened; never changed, only added to."""

    __tablename__ = "commitment"
    __table_args__ = (Index("ix_commitment_team_phase", "team_id", "phase_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"), index=True)
    phase_id: Mapped[int] = mapped_column(ForeignKey("phase.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    sha256: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200), default="")  # what the archive is, in the team's words
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    phase: Mapped[Phase] = relationship()
    team: Mapped[Team] = relationship()
    user: Mapped[User | None] = relationship()


def current_phase(challenge: Challenge, now: datetime | None = None) -> Phase:
    """Return the phase a challenge is in: the latest that has opened, else the first to come."""
    now = now or utcnow()
    phases = challenge.phases
    opened = [p for p in phases if p.opens_at <= now]
    return opened[-1] if opened else phases[0]


class UnknownPhase(ValueError):
    """A phase slug the challenge does not have."""


def phase_named(challenge: Challenge, slug: str | None) -> Phase:
    """Return the challenge's phase with this slug (the current one for None), or raise UnknownPhase."""
    if slug is None or slug == "":
        return current_phase(challenge)
    found = next((p for p in challenge.phases if p.slug == slug), None)
    if found is None:
        raise UnknownPhase(_("%(challenge)s has no phase %(phase)s; its phases are %(phases)s", challenge=challenge.slug,
                             phase=repr(slug[:64]), phases=", ".join(p.slug for p in challenge.phases)))
    return found


@event.listens_for(Session, "before_flush")
def _phase_of_new_rows(session: Session, _context, _instances) -> None:
    """Give a new submission its challenge's current phase, and a new score its submission's phase."""
    for obj in list(session.new):
        if isinstance(obj, Submission) and obj.phase_id is None and obj.phase is None:
            challenge = obj.challenge or session.get(Challenge, obj.challenge_id)
            obj.phase = current_phase(challenge)
    for obj in list(session.new):
        if isinstance(obj, Score) and obj.phase_id is None:
            submission = obj.submission or session.get(Submission, obj.submission_id)
            obj.phase_id = submission.phase_id if submission.phase_id is not None else submission.phase.id


@event.listens_for(Session, "before_flush")
def _commitments_are_append_only(session: Session, _context, _instances) -> None:
    """Refuse to change or delete a commitment once made: a later one is added instead."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, Commitment) and (obj in session.deleted or session.is_modified(obj)):
            raise ValueError("commitments are append-only: make a new one instead")
