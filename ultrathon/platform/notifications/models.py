"""The notification tables: each person's settings, and what has been announced (so each is sent once)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models import UTCDateTime, utcnow


class NotificationSettings(db.Model):
    """Which e-mails a person wants; a person without a row has the defaults (settings.DEFAULTS)."""

    __tablename__ = "notification_settings"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    submission_failed: Mapped[bool] = mapped_column(Boolean, default=True)
    submission_scored: Mapped[bool] = mapped_column(Boolean, default=False)
    access_decided: Mapped[bool] = mapped_column(Boolean, default=True)
    phase_opened: Mapped[bool] = mapped_column(Boolean, default=True)
    results_published: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class NotificationSent(db.Model):
    """One event announced by e-mail (a submission's outcome, a phase opening, a publication): claimed once."""

    __tablename__ = "notification_sent"
    # Several workers may see the same phase open at once: the unique key lets one of them announce it.
    __table_args__ = (UniqueConstraint("kind", "ref_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    ref_id: Mapped[int] = mapped_column(Integer)  # the submission, access request or phase announced
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
