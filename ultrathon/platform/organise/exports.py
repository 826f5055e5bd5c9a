"""The organisers' exports: every submission with its status, times and scores, and per-horizon figures, as CSV."""

from __future__ import annotations

import csv
import io
import math
from datetime import datetime, timezone
from typing import Any, Iterable

from ultrathon.scorers.horizon_table import ROW_FIELDS as HORIZON_FIELDS
from ultrathon.scorers.horizon_table import horizons_from_dict

from ..extensions import db
from ..models import Challenge, Score, Split, Submission, Team, User
from ..challenges.feedback import public_value
from .listing import scores_of

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
    header.append("public_shown")  # what teams were shown of the public score (the Ladder's, under ladder)

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
        public = scores.get((sub.id, Split.PUBLIC.value))
        row.append(public_value(public) if public is not None else "")
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float) and not math.isfinite(value):
        return ""  # a metric undefined on a split (one class only) is an empty cell, not 'nan'
    return csv_safe(value)


def export_horizons_csv(challenge: Challenge) -> str:
    """Return td_auc and the Brier score per horizon of every scored survival-curve submission, as CSV text."""
    rows = db.session.execute(
        db.select(Score.submission_id, Team.name, Score.split, Score.horizons)
        .join(Team, Team.id == Score.team_id)
        .join(Submission, Submission.id == Score.submission_id)
        .where(Score.challenge_id == challenge.id, Submission.status == "scored", Score.horizons.is_not(None))
        .order_by(Score.submission_id, Score.split.desc())  # public before private
    ).all()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["submission_id", "team", "split", *HORIZON_FIELDS])
    for submission_id, team, split, table in rows:
        try:
            table = horizons_from_dict(table)
        except ValueError:
            continue  # written by a scorer this version cannot read: left out, not misreported
        for row in (table or {}).get("rows", []):
            writer.writerow([submission_id, csv_safe(team), split, *("" if row[f] is None else row[f] for f in HORIZON_FIELDS)])
    return out.getvalue()
