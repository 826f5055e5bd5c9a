"""What the organisers' pages show and do: submission lists, charts, audit, export, challenge upload."""

from __future__ import annotations

import csv
import dataclasses
import io
import math
import stat
import tempfile
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from pathlib import Path, PurePosixPath
from typing import Any, Iterable
from urllib.parse import unquote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ultrathon.challenge_folder import YAML_NAME, ChallengeInvalid, ValidatedChallenge, validate_folder

from ..arguments import positive_int
from ..challenges.access import is_organiser
from ..challenges.loader import load_validated
from ..extensions import db
from ..models import AuditEvent, Challenge, Score, Split, Submission, SubmissionStatus, Team, User, utcnow

PER_PAGE = 50
AUDIT_PER_PAGE = 50
MAX_CHART_DAYS = 120  # a challenge runs for weeks; a longer span is shown from its last days

# Limits on an uploaded challenge zip: generous for a challenge folder, small enough to stop a zip bomb.
MAX_ZIP_MEMBERS = 200
MAX_UNZIPPED_BYTES = 512 * 1024 * 1024
# Files that archivers add beside the real content and that no challenge needs.
_ARCHIVER_LITTER = ("__MACOSX/", ".DS_Store", "Thumbs.db")


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
        problems.append(f"{label}: {raw!r} is not a date; use the form YYYY-MM-DD")
        return None


def parse_filters(args: Any, challenge: Challenge) -> SubmissionFilters:
    """Read the filter arguments of the dashboard; a bad value is reported and left out."""
    filters = SubmissionFilters()
    team = (args.get("team") or "").strip()
    if team:
        team_id = positive_int(team)
        found = find_team(challenge, team_id) if team_id else None
        if found is None:
            filters.problems.append(f"team: {team!r} is not a team of this challenge")
        else:
            filters.team_id = found.id
    status = (args.get("status") or "").strip()
    if status:
        if status in STATUSES:
            filters.status = status
        else:
            filters.problems.append(f"status: {status!r} is not one of {', '.join(STATUSES)}")
    for key, label, attr in (("from", "from", "date_from"), ("to", "to", "date_to")):
        raw = (args.get(key) or "").strip()
        if raw:
            setattr(filters, attr, _parse_date(raw, label, filters.problems))
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        filters.problems.append(f"dates: 'from' ({filters.date_from}) is after 'to' ({filters.date_to}); both left out")
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


# --- Charts ----------------------------------------------------------------------------------

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


# --- Audit log -------------------------------------------------------------------------------

def audit_page(challenge: Challenge, page: int):
    """Return one page of the challenge's audit events, newest first, each with its actor."""
    query = (
        db.select(AuditEvent, User)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.challenge_id == challenge.id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )
    total = db.session.execute(
        db.select(db.func.count()).select_from(AuditEvent).where(AuditEvent.challenge_id == challenge.id)
    ).scalar_one()
    pages = max(1, math.ceil(total / AUDIT_PER_PAGE))
    page = min(max(page, 1), pages)
    rows = db.session.execute(query.limit(AUDIT_PER_PAGE).offset((page - 1) * AUDIT_PER_PAGE)).all()
    return rows, page, pages, total


def team_names(rows) -> dict[str, str]:
    """Return the names of the teams audit events point at, keyed by the event's target id."""
    ids = {int(event.target_id) for event, _ in rows if event.target_type == "team" and (event.target_id or "").isdigit()}
    if not ids:
        return {}
    return {str(i): name for i, name in db.session.execute(db.select(Team.id, Team.name).where(Team.id.in_(ids))).all()}


# --- Export ----------------------------------------------------------------------------------

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """Return a text cell that a spreadsheet will not run as a formula; numbers pass unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _iso(moment: datetime | None) -> str:
    return moment.astimezone(timezone.utc).isoformat() if moment else ""


def metric_names(challenge: Challenge, scores: Iterable[Score]) -> list[str]:
    """Return the metric columns of an export: the spec's order first, then any others stored."""
    names = list(challenge.settings.metrics.all)
    for score in scores:
        for name in score.metrics or {}:
            if name not in names:
                names.append(name)
    return names


def export_scores_csv(challenge: Challenge) -> str:
    """Return every submission of the challenge with its status, times and scores, as CSV text."""
    submissions = list(db.session.execute(
        db.select(Submission, Team, User)
        .join(Team, Team.id == Submission.team_id)
        .outerjoin(User, User.id == Submission.user_id)
        .where(Submission.challenge_id == challenge.id)
        .order_by(Submission.created_at, Submission.id)
    ).all())
    scores = scores_of(sub.id for sub, _, _ in submissions)
    metrics = metric_names(challenge, scores.values())
    primary = challenge.settings.metrics.primary
    header = [
        "submission_id", "team_id", "team", "baseline", "disqualified", "submitted_by", "status",
        "created_at", "scored_at", "filename", "note", "sha256", "scorer_version", "error",
        "primary_metric",
    ]
    for split in (Split.PUBLIC.value, Split.PRIVATE.value):
        header += [f"{split}_{primary}", f"{split}_ci_low", f"{split}_ci_high", f"{split}_n_rows"]
    for split in (Split.PUBLIC.value, Split.PRIVATE.value):
        header += [f"{split}_metric_{name}" for name in metrics]

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for sub, team, user in submissions:
        row: list[Any] = [
            sub.id, team.id, team.name, int(team.is_baseline), int(team.disqualified_at is not None),
            user.email if user else "", sub.status, _iso(sub.created_at), _iso(sub.scored_at),
            sub.filename, sub.note, sub.sha256, sub.scorer_version or "", sub.error or "", primary,
        ]
        for split in (Split.PUBLIC.value, Split.PRIVATE.value):
            score = scores.get((sub.id, split))
            row += [score.value, score.ci_low, score.ci_high, score.n_rows] if score else ["", "", "", ""]
        for split in (Split.PUBLIC.value, Split.PRIVATE.value):
            score = scores.get((sub.id, split))
            stored = (score.metrics or {}) if score else {}
            row += [stored.get(name, "") for name in metrics]
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float) and not math.isfinite(value):
        return ""  # a metric undefined on a split (one class only) is an empty cell, not 'nan'
    return csv_safe(value)


# --- Challenge upload ------------------------------------------------------------------------

class UploadRefused(ValueError):
    """An uploaded challenge zip that cannot be used; the message says what and where."""


def _member_problem(info: zipfile.ZipInfo) -> str | None:
    """Return why a zip member may not be unpacked, or None when it is safe."""
    name = info.filename
    path = PurePosixPath(name)
    if "\\" in name:
        return f"{name!r}: a path with a backslash; zip the folder with a standard tool"
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return f"{name!r}: an absolute path; paths in the zip must be relative to the challenge folder"
    if ".." in path.parts:
        return f"{name!r}: a path with '..'; paths in the zip must stay inside the challenge folder"
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return f"{name!r}: a symbolic link; put the file itself in the zip"
    if info.flag_bits & 0x1:
        return f"{name!r}: encrypted; upload a zip without a password"
    return None


def _is_litter(name: str) -> bool:
    return name.startswith(_ARCHIVER_LITTER[0]) or PurePosixPath(name).name in _ARCHIVER_LITTER[1:]


def unpack_challenge_zip(data: bytes, into: Path) -> Path:
    """Unpack a zip of a challenge folder safely into a folder; return the folder holding challenge.yaml."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise UploadRefused("the file is not a zip archive; zip the challenge folder and upload the .zip") from None
    with archive:
        members = [m for m in archive.infolist() if not _is_litter(m.filename)]
        if len(members) > MAX_ZIP_MEMBERS:
            raise UploadRefused(f"the zip holds {len(members)} entries; a challenge zip holds at most {MAX_ZIP_MEMBERS}")
        problems = [p for p in map(_member_problem, members) if p]
        if problems:
            raise UploadRefused("the zip cannot be unpacked safely: " + "; ".join(problems[:5]))
        names = Counter(m.filename.rstrip("/") for m in members)
        twice = [n for n, count in names.items() if count > 1]
        if twice:
            raise UploadRefused(f"the zip holds {twice[0]!r} more than once")
        files = [m for m in members if not m.is_dir()]
        if not files:
            raise UploadRefused("the zip is empty; it should hold challenge.yaml and the challenge's files")
        declared = sum(m.file_size for m in files)
        if declared > MAX_UNZIPPED_BYTES:
            raise UploadRefused(f"the zip unpacks to {declared / 2**20:.0f} MB; at most {MAX_UNZIPPED_BYTES // 2**20} MB")
        root = into.resolve()
        try:
            _extract(archive, files, root)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as damaged:
            raise UploadRefused(f"the zip is damaged or uses an unsupported format ({damaged}); zip the folder again") from None
    return _challenge_root(root, [m.filename for m in files])


def _extract(archive: zipfile.ZipFile, files: list[zipfile.ZipInfo], root: Path) -> None:
    budget = MAX_UNZIPPED_BYTES
    for member in files:
        target = (root / member.filename).resolve()
        if not target.is_relative_to(root):  # belt and braces after the name checks
            raise UploadRefused(f"{member.filename!r}: a path outside the challenge folder")
        target.parent.mkdir(parents=True, exist_ok=True)
        # Count the bytes really written: a member's declared size can lie (a zip bomb).
        with archive.open(member) as source, open(target, "wb") as sink:
            while chunk := source.read(1024 * 1024):
                budget -= len(chunk)
                if budget < 0:
                    raise UploadRefused(f"the zip unpacks to more than {MAX_UNZIPPED_BYTES // 2**20} MB")
                sink.write(chunk)


def _challenge_root(root: Path, names: list[str]) -> Path:
    """Return the folder of the zip that holds challenge.yaml: the zip's top, or its one top folder."""
    if (root / YAML_NAME).is_file():
        return root
    tops = {PurePosixPath(n).parts[0] for n in names}
    if len(tops) == 1:
        top = root / tops.pop()
        if (top / YAML_NAME).is_file():
            return top
    raise UploadRefused(f"no {YAML_NAME} in the zip: put it at the top of the zip or in its one top folder")


def _relative_problems(invalid: ChallengeInvalid, base: Path) -> ChallengeInvalid:
    """Return the problems with file paths relative to the unpacked zip, as the CLI shows them for that folder."""
    prefix = str(base) + "/"
    problems = []
    for problem in invalid.problems:
        name = problem.file[len(prefix):] if problem.file.startswith(prefix) else problem.file
        if problem.file == str(base):
            name = "."
        problems.append(dataclasses.replace(problem, file=name))
    return ChallengeInvalid(problems)


def validate_zip(data: bytes) -> tuple[ValidatedChallenge, tempfile.TemporaryDirectory]:
    """Unpack and validate an uploaded challenge zip; the caller cleans up the returned folder."""
    workdir = tempfile.TemporaryDirectory(prefix="ultrathon-upload-")
    base = Path(workdir.name).resolve()
    try:
        folder = unpack_challenge_zip(data, base)
        try:
            return validate_folder(folder), workdir
        except ChallengeInvalid as invalid:
            raise _relative_problems(invalid, base) from None
    except BaseException:
        workdir.cleanup()
        raise


def upload_challenge(data: bytes, user: User, *, rescore: bool = False, slug: str | None = None) -> tuple[str, str]:
    """Validate and load a challenge zip; return (slug, what happened).

    With slug, the zip must hold that challenge (an organiser's update); without, the user must be
    an admin to create a challenge, or an organiser of the one the zip updates. Raises
    UploadRefused, ChallengeInvalid (paths relative to the zip) or LoadRefused.
    """
    validated, workdir = validate_zip(data)
    try:
        found = validated.slug
        if slug is not None and found != slug:
            raise UploadRefused(f"this zip holds the challenge {found!r}, not {slug!r}; upload it from that challenge's page")
        existing = db.session.execute(db.select(Challenge).where(Challenge.slug == found)).scalar_one_or_none()
        if existing is None and not user.is_admin:
            raise UploadRefused(f"only an administrator can create a new challenge ({found!r} is not loaded yet)")
        if existing is not None and not is_organiser(user, existing):
            raise UploadRefused(f"you do not organise the challenge {found!r}, so you cannot update it")
        outcome = load_validated(validated, rescore=rescore, actor=user)
        return found, outcome
    finally:
        workdir.cleanup()
