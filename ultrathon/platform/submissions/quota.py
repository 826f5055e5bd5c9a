"""Submission quotas, per UTC day and in total, for the team and for the person who uploads.

A person's submissions in a challenge count against the limits whatever team they were in, so
leaving a team and starting another does not start a new count. Failed submissions do not count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

from ..extensions import db
from ..models import Challenge, Phase, Submission, SubmissionStatus, Team, User, current_phase, utcnow


@dataclass(frozen=True)
class Quota:
    """How many submissions an uploader has used and has left, and when the daily count resets.

    Each figure is the tighter of the team's count and the person's own count in the challenge.
    """

    per_day: int
    used_today: int
    remaining_today: int  # also capped by what is left of the total
    resets_at: datetime  # the next UTC midnight, aware
    total: int | None
    used_total: int
    remaining_total: int | None  # None when the challenge sets no total
    # Whether the person's own count (in every team they were in) is the tighter one, so a
    # refusal can say why a team with submissions left refuses this person.
    personal_today: bool = False
    personal_total: bool = False

    @property
    def exhausted(self) -> bool:
        """Return whether the uploader may not submit now."""
        return self.remaining_today <= 0

    @property
    def total_exhausted(self) -> bool:
        """Return whether the uploader has used every submission the challenge allows."""
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


def limits_of(phase: Phase) -> tuple[int, int | None]:
    """Return a phase's (per_day, total) submission limits."""
    limits = phase.settings.limits
    return limits.per_day, limits.total


def quota_for(challenge: Challenge, team: Team, now: datetime | None = None, *, user: User | None = None,
              phase: Phase | None = None) -> Quota:
    """Return the quota of the team, and of the user when given, in a phase (the current one) as the database says it is now."""
    now = now or utcnow()
    phase = phase or current_phase(challenge, now)
    per_day, total = limits_of(phase)
    start = day_start(now)
    today = Submission.created_at >= start
    in_team = Submission.team_id == team.id
    # A baseline is an organiser's upload outside any quota, so it is not the person's either.
    by_person = db.and_(Submission.user_id == user.id, Team.is_baseline.is_(False)) if user is not None else db.false()

    def count(condition):
        return db.func.coalesce(db.func.sum(db.case((condition, 1), else_=0)), 0)

    counted = (
        db.select(count(in_team), count(db.and_(in_team, today)), count(by_person), count(db.and_(by_person, today)))
        .select_from(Submission)
        .join(Team, Team.id == Submission.team_id)
        .where(
            Submission.phase_id == phase.id,
            Submission.status != SubmissionStatus.FAILED.value,
            db.or_(in_team, by_person),
        )
    )
    team_total, team_today, person_total, person_today = (int(n) for n in db.session.execute(counted).one())
    # The tighter count wins; on a tie the team's is named, as it is used up just as much.
    used_total, used_today = max(team_total, person_total), max(team_today, person_today)
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
        personal_today=person_today > team_today,
        personal_total=person_total > team_total,
    )


def _lock_row(model, row_id: int) -> None:
    """Take a row's write lock for the rest of this transaction.

    PostgreSQL locks the row; SQLite has one writer at a time, and a no-op UPDATE is the
    first write of the transaction, so it takes that lock before anything is counted.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        # NO KEY UPDATE: still one holder at a time, but rows that only refer to this one
        # (a new submission, an audit event) need not wait for it.
        db.session.execute(db.select(model.id).where(model.id == row_id).with_for_update(key_share=True))
    else:
        db.session.execute(
            db.update(model).where(model.id == row_id).values(id=model.id).execution_options(synchronize_session=False)
        )


def lock_team(team_id: int) -> None:
    """Take the team's write lock for the rest of this transaction, so team counts serialise."""
    _lock_row(Team, team_id)


def lock_person(user_id: int) -> None:
    """Take the user's write lock for the rest of this transaction, so the person's counts serialise.

    Take it after the team's: every path that holds both takes them in that order.
    """
    _lock_row(User, user_id)
