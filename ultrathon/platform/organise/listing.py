"""What the organisers' dashboard lists: submissions under filters, teams, counts, in the viewer's zone."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any, Iterable
from urllib.parse import unquote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import gettext as _

from ..arguments import positive_int
from ..challenges.access import is_organiser
from ..extensions import db
from ..models import Challenge, Score, Submission, SubmissionStatus, Team, User

PER_PAGE = 50


# --- The viewer's time zone ------------------------------------------------------------------

def viewer_zone(name: str | None) -> tzinfo:
    """Return the IANA zone the browser reported (a cookie), or UTC when none or unknown."""
    name = unquote(name or "")
    if name and len(name) <= 64:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return timezone.utc


def zone_name(zone: tzinfo) -> str:
    """Return a zone's IANA name, as shown beside dates."""
    return getattr(zone, "key", None) or "UTC"


# --- Submissions, filtered -------------------------------------------------------------------

STATUSES = [s.value for s in SubmissionStatus]


@dataclass
class SubmissionFilters:
    """What the organiser narrowed the submission list to; `problems` says what was ignored and why."""

    team_id: int | None = None
    status: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    problems: list[str] = field(default_factory=list)

    def query_args(self) -> dict[str, str]:
        """Return the filters as URL query arguments (for pagination links)."""
        args = {
            "team": str(self.team_id) if self.team_id else "",
            "status": self.status or "",
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
        }
        return {k: v for k, v in args.items() if v}


def _parse_date(raw: str, label: str, problems: list[str]) -> date | None:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        problems.append(_("%(filter)s: %(value)s is not a date; use the form YYYY-MM-DD", filter=label, value=repr(raw)))
        return None


def parse_filters(args: Any, challenge: Challenge) -> SubmissionFilters:
    """Read the filter arguments of the dashboard; a bad value is reported and left out."""
    filters = SubmissionFilters()
    team = (args.get("team") or "").strip()
    if team:
        team_id = positive_int(team)
        found = find_team(challenge, team_id) if team_id else None
        if found is None:
            filters.problems.append(_("team: %(value)s is not a team of this challenge", value=repr(team)))
        else:
            filters.team_id = found.id
    status = (args.get("status") or "").strip()
    if status:
        if status in STATUSES:
            filters.status = status
        else:
            filters.problems.append(_("status: %(value)s is not one of %(statuses)s", value=repr(status), statuses=", ".join(STATUSES)))
    for key, label, attr in (("from", "from", "date_from"), ("to", "to", "date_to")):
        raw = (args.get(key) or "").strip()
        if raw:
            setattr(filters, attr, _parse_date(raw, label, filters.problems))
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        filters.problems.append(_("dates: 'from' (%(start)s) is after 'to' (%(end)s); both left out",
                                  start=filters.date_from, end=filters.date_to))
        filters.date_from = filters.date_to = None
    return filters


def _start_of_day(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def submission_query(challenge: Challenge, filters: SubmissionFilters, zone: tzinfo):
    """Return the select of the challenge's submissions under the filters, newest first."""
    query = db.select(Submission).where(Submission.challenge_id == challenge.id)
    if filters.team_id:
        query = query.where(Submission.team_id == filters.team_id)
    if filters.status:
        query = query.where(Submission.status == filters.status)
    if filters.date_from:
        query = query.where(Submission.created_at >= _start_of_day(filters.date_from, zone))
    if filters.date_to:
        query = query.where(Submission.created_at < _start_of_day(filters.date_to + timedelta(days=1), zone))
    return query.order_by(Submission.created_at.desc(), Submission.id.desc())


def scores_of(submission_ids: Iterable[int]) -> dict[tuple[int, str], Score]:
    """Return the stored scores of these submissions, keyed by (submission id, split)."""
    ids = list(submission_ids)
    if not ids:
        return {}
    rows = db.session.execute(db.select(Score).where(Score.submission_id.in_(ids))).scalars()
    return {(s.submission_id, s.split): s for s in rows}


def teams_of(challenge: Challenge) -> list[Team]:
    """Return the challenge's teams (baselines included), by name."""
    return list(db.session.execute(
        db.select(Team).where(Team.challenge_id == challenge.id).order_by(db.func.lower(Team.name))
    ).scalars())


@dataclass(frozen=True)
class TeamRow:
    """One team as the dashboard lists it."""

    team: Team
    members: int
    submissions: int
    last_submission_at: datetime | None


def team_rows(challenge: Challenge) -> list[TeamRow]:
    """Return every team with its member and submission counts."""
    members = dict(db.session.execute(
        db.select(Team.id, db.func.count()).join(Team.memberships).where(Team.challenge_id == challenge.id).group_by(Team.id)
    ).all())
    submitted = {
        team_id: (count, last) for team_id, count, last in db.session.execute(
            db.select(Submission.team_id, db.func.count(), db.func.max(Submission.created_at))
            .where(Submission.challenge_id == challenge.id).group_by(Submission.team_id)
        ).all()
    }
    rows = []
    for team in teams_of(challenge):
        count, last = submitted.get(team.id, (0, None))
        if last is not None and last.tzinfo is None:
            last = last.replace(tzinfo=timezone.utc)  # an aggregate bypasses the column's type on SQLite
        rows.append(TeamRow(team, members.get(team.id, 0), count, last))
    return rows


def status_counts(challenge: Challenge) -> dict[str, int]:
    """Return how many of the challenge's submissions are in each status."""
    counts = dict(db.session.execute(
        db.select(Submission.status, db.func.count()).where(Submission.challenge_id == challenge.id).group_by(Submission.status)
    ).all())
    return {status: counts.get(status, 0) for status in STATUSES}


def find_submission(challenge: Challenge, submission_id: int) -> Submission | None:
    """Return a submission of this challenge (None for another challenge's)."""
    sub = db.session.get(Submission, submission_id)
    return sub if sub is not None and sub.challenge_id == challenge.id else None


def find_team(challenge: Challenge, team_id: int) -> Team | None:
    """Return a team of this challenge (None for another challenge's)."""
    team = db.session.get(Team, team_id)
    return team if team is not None and team.challenge_id == challenge.id else None


def organised_challenges(user: User) -> list[Challenge]:
    """Return the challenges this user organises (all of them for an admin), newest first."""
    challenges = db.session.execute(db.select(Challenge).order_by(Challenge.opens_at.desc())).scalars()
    return [c for c in challenges if is_organiser(user, c)]
