"""The dashboard's daily charts, laid out as inline SVG: submissions per day, teams over time."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from ..extensions import db
from ..models import Challenge, Submission, Team, utcnow

MAX_CHART_DAYS = 120  # a challenge runs for weeks; a longer span is shown from its last days


@dataclass(frozen=True)
class Bar:
    """One bar (or step) of a chart, in SVG coordinates, with its data."""

    x: float
    y: float
    width: float
    height: float
    day: date
    value: int


@dataclass(frozen=True)
class Tick:
    """An axis label at an SVG coordinate."""

    at: float
    label: str


@dataclass(frozen=True)
class Chart:
    """A daily chart drawn as inline SVG: bars or a step line, axes, and the data behind them."""

    title: str
    description: str
    width: int
    height: int
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float
    bars: list[Bar]
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    line: str  # SVG polyline points for a step line ("" for bar charts)

    @property
    def empty(self) -> bool:
        """Return whether there is nothing to draw."""
        return not any(b.value for b in self.bars)


def _nice_ceiling(value: int) -> tuple[int, int]:
    """Return an axis maximum at or above value and a tick step dividing it into a few steps."""
    if value <= 4:
        return max(value, 1), 1
    raw_step = value / 4
    magnitude = 10 ** math.floor(math.log10(raw_step))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw_step)
    return int(math.ceil(value / step) * step), int(step)


def _days(first: date, last: date) -> list[date]:
    if (last - first).days >= MAX_CHART_DAYS:
        first = last - timedelta(days=MAX_CHART_DAYS - 1)
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def daily_chart(title: str, description: str, values: list[tuple[date, int]], *, step_line: bool = False) -> Chart:
    """Lay out a value per day as an SVG chart of fixed size that scales with the page."""
    width, height = 640, 240
    left, right, top, bottom = 44.0, width - 12.0, 12.0, height - 36.0
    top_value, step = _nice_ceiling(max((v for _, v in values), default=0))
    plot_w, plot_h = right - left, bottom - top
    slot = plot_w / max(len(values), 1)
    bars = []
    for i, (day, value) in enumerate(values):
        h = plot_h * value / top_value
        bars.append(Bar(x=left + i * slot + slot * 0.1, y=bottom - h, width=slot * 0.8, height=h, day=day, value=value))
    y_ticks = [Tick(at=bottom - plot_h * v / top_value, label=str(v)) for v in range(0, top_value + 1, step)]
    label_every = max(1, math.ceil(len(values) / 8))  # about eight dates fit under the axis
    x_ticks = [Tick(at=left + (i + 0.5) * slot, label=day.strftime("%d %b")) for i, (day, _) in enumerate(values) if i % label_every == 0]
    line = ""
    if step_line and values:
        points = []
        for i, bar in enumerate(bars):
            points += [(left + i * slot, bar.y), (left + (i + 1) * slot, bar.y)]
        line = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    return Chart(title, description, width, height, left, right, top, bottom, bars, y_ticks, x_ticks, line)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _day_span(challenge: Challenge, moments: list[datetime], zone: tzinfo) -> list[date]:
    now = utcnow()
    first = min([challenge.opens_at, *moments]).astimezone(zone).date()
    last = max([min(now, challenge.closes_at), *moments]).astimezone(zone).date()
    return _days(first, max(first, last))


def submissions_per_day(challenge: Challenge, zone: tzinfo) -> Chart:
    """Return the chart of submissions made each day, days counted in the viewer's zone."""
    moments = list(db.session.execute(
        db.select(Submission.created_at).where(Submission.challenge_id == challenge.id)
    ).scalars())
    per_day = Counter(m.astimezone(zone).date() for m in moments)
    values = [(day, per_day.get(day, 0)) for day in _day_span(challenge, moments, zone)]
    total = sum(per_day.values())
    busiest = max(values, key=lambda dv: dv[1], default=None)
    description = f"{_count(total, 'submission')} over {_count(len(values), 'day')}"
    if busiest and busiest[1]:
        description += f"; busiest day {busiest[0]:%Y-%m-%d} with {busiest[1]}"
    return daily_chart("Submissions per day", description, values)


def teams_over_time(challenge: Challenge, zone: tzinfo) -> Chart:
    """Return the chart of how many competing teams existed at the end of each day."""
    moments = sorted(db.session.execute(
        db.select(Team.created_at).where(Team.challenge_id == challenge.id, Team.is_baseline.is_(False))
    ).scalars())
    per_day = Counter(m.astimezone(zone).date() for m in moments)
    values, running = [], 0
    days = _day_span(challenge, moments, zone)
    running = sum(n for day, n in per_day.items() if day < days[0])  # teams formed before a trimmed span
    for day in days:
        running += per_day.get(day, 0)
        values.append((day, running))
    description = f"{_count(running, 'team')} by {days[-1]:%Y-%m-%d}"
    return daily_chart("Teams over time", description, values, step_line=True)
