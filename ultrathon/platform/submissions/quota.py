"""Submission quotas: per team per UTC day and in total; failed submissions do not count."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

from ..extensions import db
from ..models import Challenge, Submission, SubmissionStatus, Team, utcnow


@dataclass(frozen=True)
class Quota:
    """How many submissions a team has used and has left, and when the daily count resets."""

    per_day: int
    used_today: int
    remaining_today: int  # also capped by what is left of the total
    resets_at: datetime  # the next UTC midnight, aware
    total: int | None
    used_total: int
    remaining_total: int | None  # None when the challenge sets no total

    @property
    def exhausted(self) -> bool:
        """Return whether the team may not submit now."""
        return self.remaining_today <= 0

    @property
    def total_exhausted(self) -> bool:
        """Return whether the team has used every submission the challenge allows."""
        return self.remaining_total is not None and self.remaining_total <= 0

    def seconds_to_reset(self, now: datetime | None = None) -> int:
        """Return the whole seconds until the daily count resets (at least 1)."""
        return max(1, int((self.resets_at - (now or utcnow())).total_seconds() + 0.999))

    def to_dict(self) -> dict:
        """Return the quota as JSON-ready data."""
        return {
            "per_day": self.per_day,
            "used_today": self.used_today,
            "remaining_today": self.remaining_today,
            "resets_at": self.resets_at.isoformat(),
            "total": self.total,
            "used_total": self.used_total,
            "remaining_total": self.remaining_total,
        }


def day_start(now: datetime) -> datetime:
    """Return the UTC midnight that starts the day of `now`."""
    return datetime.combine(now.astimezone(timezone.utc).date(), time(0), tzinfo=timezone.utc)


def limits_of(challenge: Challenge) -> tuple[int, int | None]:
    """Return the challenge's (per_day, total) submission limits."""
    limits = challenge.spec.get("limits", {}) or {}
    return int(limits.get("per_day", 5)), (int(limits["total"]) if limits.get("total") else None)


def quota_for(challenge: Challenge, team: Team, now: datetime | None = None) -> Quota:
    """Return the team's quota in this challenge as the database says it is now."""
    now = now or utcnow()
    per_day, total = limits_of(challenge)
    start = day_start(now)
    counted = db.select(
        db.func.count(Submission.id),
        db.func.coalesce(db.func.sum(db.case((Submission.created_at >= start, 1), else_=0)), 0),
    ).where(
        Submission.team_id == team.id,
        Submission.challenge_id == challenge.id,
        Submission.status != SubmissionStatus.FAILED.value,
    )
    used_total, used_today = db.session.execute(counted).one()
    used_total, used_today = int(used_total), int(used_today)
    remaining_total = None if total is None else max(0, total - used_total)
    remaining_today = max(0, per_day - used_today)
    if remaining_total is not None:
        remaining_today = min(remaining_today, remaining_total)
    return Quota(
        per_day=per_day,
        used_today=used_today,
        remaining_today=remaining_today,
        resets_at=start + timedelta(days=1),
        total=total,
        used_total=used_total,
        remaining_total=remaining_total,
    )


def lock_team(team_id: int) -> None:
    """Take the team's write lock for the rest of this transaction, so quota checks serialise.

    PostgreSQL locks the row; SQLite has one writer at a time, and a no-op UPDATE is the
    first write of the transaction, so it takes that lock before anything is counted.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(db.select(Team.id).where(Team.id == team_id).with_for_update())
    else:
        db.session.execute(
            db.update(Team).where(Team.id == team_id).values(id=Team.id).execution_options(synchronize_session=False)
        )
