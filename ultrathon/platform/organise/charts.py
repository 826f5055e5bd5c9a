"""The dashboard's daily series, drawn by Chart.js in the browser: submissions per day, teams over time."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from flask_babel import gettext as _
from flask_babel import ngettext

from ..extensions import db
from ..models import Challenge, Submission, Team, utcnow

MAX_CHART_DAYS = 120  # a challenge runs for weeks; a longer span is shown from its last days


@dataclass(frozen=True)
class DailySeries:
    """A count per day, with the words that describe it and how static/js/organise.js draws it."""

    key: str  # names the canvas the series is drawn on
    title: str
    description: str
    style: str  # "bar", or "step" for a running total
    values: list[tuple[date, int]]

    @property
    def chart_data(self) -> dict:
        """Return what organise.js hands to Chart.js, as JSON-ready values."""
        return {
            "key": self.key,
            "title": self.title,
            "style": self.style,
            "days": [day.isoformat() for day, _count in self.values],
            "values": [value for _day, value in self.values],
        }


def _days(first: date, last: date) -> list[date]:
    if (last - first).days >= MAX_CHART_DAYS:
        first = last - timedelta(days=MAX_CHART_DAYS - 1)
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _day_span(challenge: Challenge, moments: list[datetime], zone: tzinfo) -> list[date]:
    now = utcnow()
    first = min([challenge.opens_at, *moments]).astimezone(zone).date()
    last = max([min(now, challenge.closes_at), *moments]).astimezone(zone).date()
    return _days(first, max(first, last))


def submissions_per_day(challenge: Challenge, zone: tzinfo) -> DailySeries:
    """Return the submissions made each day, days counted in the viewer's zone."""
    moments = list(db.session.execute(
        db.select(Submission.created_at).where(Submission.challenge_id == challenge.id)
    ).scalars())
    per_day = Counter(m.astimezone(zone).date() for m in moments)
    values = [(day, per_day.get(day, 0)) for day in _day_span(challenge, moments, zone)]
    total = sum(per_day.values())
    busiest = max(values, key=lambda dv: dv[1], default=None)
    submissions = ngettext("%(num)s submission", "%(num)s submissions", total)
    days = ngettext("%(num)s day", "%(num)s days", len(values))
    if busiest and busiest[1]:
        description = _("%(submissions)s over %(days)s; busiest day %(day)s with %(busiest)s",
                        submissions=submissions, days=days, day=busiest[0].isoformat(), busiest=busiest[1])
    else:
        description = _("%(submissions)s over %(days)s", submissions=submissions, days=days)
    return DailySeries("submissions-per-day", _("Submissions per day"), description, "bar", values)


def teams_over_time(challenge: Challenge, zone: tzinfo) -> DailySeries:
    """Return how many competing teams existed at the end of each day."""
    moments = sorted(db.session.execute(
        db.select(Team.created_at).where(Team.challenge_id == challenge.id, Team.is_baseline.is_(False))
    ).scalars())
    per_day = Counter(m.astimezone(zone).date() for m in moments)
    values = []
    days = _day_span(challenge, moments, zone)
    running = sum(n for day, n in per_day.items() if day < days[0])  # teams formed before a trimmed span
    for day in days:
        running += per_day.get(day, 0)
        values.append((day, running))
    description = ngettext("%(num)s team by %(day)s", "%(num)s teams by %(day)s", running, day=days[-1].isoformat())
    return DailySeries("teams-over-time", _("Teams over time"), description, "step", values)
