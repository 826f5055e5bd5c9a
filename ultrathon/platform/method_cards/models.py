"""The method card table: kept beside models.py, which is at its size limit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from ..extensions import db
from ..models import Submission, UTCDateTime, utcnow


class MethodCard(db.Model):
    """One submission's method card: a title, a Markdown description, a link to code, the challenge's own fields."""

    __tablename__ = "method_card"

    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"), primary_key=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")  # Markdown, as the team wrote it
    code_url: Mapped[str] = mapped_column(String(500), default="")
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # method_card.fields, by name
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    submission: Mapped[Submission] = relationship(backref=backref("method_card", uselist=False, cascade="all, delete-orphan"))
