"""Submissions: accepting uploads, reading them, and organisers' actions.

The Submission row is the truth; RQ only delivers (see `delivery`). Every function here commits
its own transaction, then talks to Redis, so a Redis outage never loses or refuses an upload.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
import unicodedata
from datetime import datetime, timezone
from typing import Any

from sqlalchemy.exc import IntegrityError

from ..audit import record
from ..challenges.access import has_accepted_terms, is_organiser, team_of
from ..extensions import db
from ..leaderboard.cache import clear_leaderboard
from ..models import Challenge, Score, Split, Submission, SubmissionStatus, Team, User, utcnow
from ..queueing import get_redis
from .delivery import enqueue_scoring, new_job_id, publish_submission_event, scoring_timeout
from .quota import Quota, lock_person, lock_team, quota_for

CANCELLED = "cancelled by the organisers"
MAX_NOTE = 500
MAX_FILENAME = 200

__all__ = [
    "CANCELLED",
    "Quota",
    "SubmissionRefused",
    "accept_baseline",
    "accept_submission",
    "cancel_submission",
    "disqualify_team",
    "quota_for",
    "requalify_team",
    "rescore_challenge",
    "rescore_submission",
    "select_submission",
    "submission_for_viewer",
    "submission_to_dict",
    "unselect_submission",
]


class SubmissionRefused(Exception):
    """A submission request that cannot be carried out, with the HTTP answer that fits it."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        retry_after: int | None = None,
        quota: Quota | None = None,
        problems: list[dict] | None = None,
    ):
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.retry_after = retry_after
        self.quota = quota
        self.problems = problems


# --- small helpers ----------------------------------------------------------------------------

def display_filename(filename: str | None) -> str:
    """Return the uploaded file's name fit for display: no folders, no control characters."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in unicodedata.normalize("NFKC", name) if ch.isprintable())
    name = re.sub(r"[^\w.() +-]+", "_", name).strip(" ._")
    return name[:MAX_FILENAME] or "submission.csv"


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _duration_text(seconds: int) -> str:
    hours, rest = divmod(max(0, seconds), 3600)
    minutes = max(1, rest // 60) if not hours else rest // 60
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def _megabytes(size: int) -> str:
    return f"{size / 2**20:.1f}".rstrip("0").rstrip(".") + " MB"


# --- accepting uploads ------------------------------------------------------------------------


def _check_size(challenge: Challenge, data: bytes) -> None:
    if not data:
        raise SubmissionRefused(400, "Empty file", "the file is empty: upload a CSV file with a header and one row per id")
    max_mb = challenge.settings.submission.max_mb
    if len(data) > max_mb * 2**20:
        limit = f"{max_mb:g} MB"
        raise SubmissionRefused(413, "File too large", f"the file is {_megabytes(len(data))}; this challenge accepts files up to {limit}")


def _check_format(challenge: Challenge, data: bytes) -> None:
    """Refuse a file whose format is wrong on its own, before it is stored."""
    from ultrathon.scorers import SubmissionError, read_submission

    try:
        read_submission(data, challenge.settings)
    except SubmissionError as error:
        problems = [{"row": p.row, "column": p.column, "message": p.message} for p in error.problems]
        raise SubmissionRefused(400, "Invalid submission file", str(error), problems=problems) from None


def _check_note(note: str | None) -> str:
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise SubmissionRefused(400, "Note too long", f"a note has at most {MAX_NOTE} characters; this one has {len(note)}")
    return note


def _refuse_over_quota(quota: Quota, now: datetime) -> None:
    if quota.total_exhausted:
        used = (f"you have used all {quota.total} submissions this challenge allows a person, counting those you "
                "made in other teams" if quota.personal_total
                else f"your team has used all {quota.total} submissions this challenge allows")
        raise SubmissionRefused(429, "Submission quota used up", used, quota=quota)
    if quota.exhausted:
        wait = quota.seconds_to_reset(now)
        used = (f"you have made the {quota.per_day} submissions a person may make today (UTC), counting those in "
                "other teams" if quota.personal_today
                else f"your team has used its {quota.per_day} submissions for today (UTC)")
        raise SubmissionRefused(
            429, "Daily submission quota used up",
            f"{used}; the count resets at {_utc_text(quota.resets_at)}, in {_duration_text(wait)}",
            retry_after=wait, quota=quota,
        )


def _store(challenge: Challenge, team: Team, user: User | None, data: bytes, filename: str, note: str,
           *, check_quota: bool, action: str) -> Submission:
    """Store the file and its row in one transaction (under the team's and the uploader's locks when quota applies)."""
    try:
        if check_quota:
            lock_team(team.id)
            if user is not None:
                lock_person(user.id)
            now = utcnow()
            _refuse_over_quota(quota_for(challenge, team, now, user=user), now)
        submission = Submission(
            challenge_id=challenge.id,
            team_id=team.id,
            user_id=user.id if user is not None else None,
            status=SubmissionStatus.QUEUED.value,
            note=note,
            filename=display_filename(filename),
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            content=data,
        )
        db.session.add(submission)
        db.session.flush()
        submission.job_id = new_job_id(submission.id)
        record(action, actor=user, challenge=challenge, target=submission, team_id=team.id,
               size=submission.size, sha256=submission.sha256, filename=submission.filename)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return submission


def _deliver(submission: Submission, challenge: Challenge) -> None:
    # With Redis down, a second try to reach it would only make the upload wait longer.
    if enqueue_scoring([(submission.id, submission.job_id, scoring_timeout(challenge))]):
        publish_submission_event(submission)


def accept_submission(challenge: Challenge, user: User | None, data: bytes, filename: str, note: str = "") -> Submission:
    """Check and store a team's upload, then queue it for scoring; raise SubmissionRefused if refused."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise SubmissionRefused(401, "Login required", "log in to submit")
    team = team_of(user, challenge)
    if team is None:
        raise SubmissionRefused(403, "Not in a team", "join or create a team first")
    if not has_accepted_terms(user, challenge):
        raise SubmissionRefused(403, "Terms not accepted", "accept the challenge's data-use terms before submitting")
    if team.disqualified_at is not None:
        reason = f": {team.disqualified_reason}" if team.disqualified_reason else ""
        raise SubmissionRefused(403, "Team disqualified", f"your team has been disqualified{reason}")
    now = utcnow()
    if now < challenge.opens_at:
        raise SubmissionRefused(403, "Challenge not open", f"the challenge is not open: it opens at {_utc_text(challenge.opens_at)}")
    if now >= challenge.closes_at:
        raise SubmissionRefused(403, "Challenge not open", f"the challenge is not open: it closed at {_utc_text(challenge.closes_at)}")
    _check_size(challenge, data)
    note = _check_note(note)
    # Answer an uploader over the quota before reading the file; the check that counts is
    # repeated under the team's and the person's locks when the row is written.
    _refuse_over_quota(quota_for(challenge, team, now, user=user), now)
    _check_format(challenge, data)
    submission = _store(challenge, team, user, data, filename, note, check_quota=True, action="submission.upload")
    _deliver(submission, challenge)
    return submission


BASELINE_NAME = "Baseline"


def accept_baseline(challenge: Challenge, organiser: User, data: bytes, filename: str, note: str = "",
                    name: str = BASELINE_NAME) -> Submission:
    """Store an organiser's reference submission on a baseline team (shown unranked, no quota)."""
    if not is_organiser(organiser, challenge):
        raise SubmissionRefused(403, "Organisers only", "only the challenge's organisers can submit a baseline")
    name = " ".join((name or "").split()) or BASELINE_NAME
    _check_size(challenge, data)
    note = _check_note(note)
    _check_format(challenge, data)
    team = db.session.execute(
        db.select(Team).where(Team.challenge_id == challenge.id, db.func.lower(Team.name) == name.lower())
    ).scalar_one_or_none()
    if team is not None and not team.is_baseline:
        raise SubmissionRefused(409, "Name taken", f"a competing team is named {name!r}; choose another baseline name")
    if team is None:
        team = Team(challenge_id=challenge.id, name=name[:80], invite_code=secrets.token_urlsafe(12), is_baseline=True)
        db.session.add(team)
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            raise SubmissionRefused(409, "Name taken", f"a team named {name!r} was created at the same moment; try again") from None
    submission = _store(challenge, team, organiser, data, filename, note, check_quota=False, action="submission.baseline")
    _deliver(submission, challenge)
    return submission


# --- reading ----------------------------------------------------------------------------------


def submission_for_viewer(submission_id: int, user: User | None) -> Submission | None:
    """Return the submission if the user is in its team or organises its challenge, else None."""
    submission = db.session.get(Submission, submission_id)
    if submission is None or user is None or not getattr(user, "is_authenticated", False):
        return None
    if is_organiser(user, submission.challenge):
        return submission
    team = team_of(user, submission.challenge)
    return submission if team is not None and team.id == submission.team_id else None


def _rounded(value: float | None, decimals: int) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), decimals)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def submission_to_dict(submission: Submission, viewer: User | None) -> dict[str, Any]:
    """Return a submission in the API's shape; private scores only after the close or to organisers."""
    challenge = submission.challenge
    decimals = challenge.settings.leaderboard.decimals
    organiser = is_organiser(viewer, challenge)
    scores = {s.split: s for s in submission.scores} if submission.status == SubmissionStatus.SCORED.value else {}

    def split_dict(split: str) -> dict[str, float | None] | None:
        score = scores.get(split)
        if score is None:
            return None
        return {name: _rounded(value, decimals) for name, value in (score.metrics or {}).items()}

    public = scores.get(Split.PUBLIC.value)
    private_visible = organiser or challenge.is_closed()
    private = scores.get(Split.PRIVATE.value) if private_visible else None
    out: dict[str, Any] = {
        "id": submission.id,
        "challenge": challenge.slug,
        "team": submission.team.name,
        "status": submission.status,
        "created_at": _iso(submission.created_at),
        "scored_at": _iso(submission.scored_at),
        "metric": challenge.settings.metrics.primary,
        "public": split_dict(Split.PUBLIC.value),
        "private": split_dict(Split.PRIVATE.value) if private_visible else None,
        "ci_low": _rounded(public.ci_low, decimals) if public else None,
        "ci_high": _rounded(public.ci_high, decimals) if public else None,
        "private_ci_low": _rounded(private.ci_low, decimals) if private else None,
        "private_ci_high": _rounded(private.ci_high, decimals) if private else None,
        "error": submission.error,
        "problems": submission.problems,
        "note": submission.note,
        "filename": submission.filename,
        "size": submission.size,
        "sha256": submission.sha256,
        "selected": submission.selected_at is not None,
        "scorer_version": submission.scorer_version,
    }
    if organiser:
        out["error_detail"] = submission.error_detail
        out["attempts"] = submission.attempts
    return out


# --- organisers' actions ----------------------------------------------------------------------


def _require_organiser(user: User | None, challenge: Challenge) -> None:
    # actor None is the system itself (the CLI loader, the sweeper): trusted callers.
    if user is not None and not is_organiser(user, challenge):
        raise SubmissionRefused(403, "Organisers only", "only the challenge's organisers can do this")


def _reset_for_scoring(submission: Submission) -> tuple[int, str, int]:
    """Put a submission back in the queue state and return its delivery."""
    submission.status = SubmissionStatus.QUEUED.value
    submission.error = submission.error_detail = submission.problems = None
    submission.started_at = submission.scored_at = None
    submission.attempts = 0
    submission.job_id = new_job_id(submission.id)
    # Old scores would stand on the leaderboard until the new ones arrive: drop them now.
    db.session.execute(db.delete(Score).where(Score.submission_id == submission.id))
    return submission.id, submission.job_id, scoring_timeout(submission.challenge)


def rescore_submission(submission: Submission, actor: User | None) -> Submission:
    """Score one submission again from its stored file."""
    challenge = submission.challenge
    _require_organiser(actor, challenge)
    delivery = _reset_for_scoring(submission)
    record("submission.rescore", actor=actor, challenge=challenge, target=submission)
    db.session.commit()
    clear_leaderboard(challenge.id, challenge.slug)
    enqueue_scoring([delivery])
    publish_submission_event(submission)
    return submission


def rescore_challenge(challenge: Challenge, actor: User | None = None) -> int:
    """Score every submission of a challenge again (cancelled ones stay cancelled); return how many."""
    _require_organiser(actor, challenge)
    submissions = db.session.execute(
        db.select(Submission).where(
            Submission.challenge_id == challenge.id,
            db.or_(Submission.error.is_(None), Submission.error != CANCELLED),
        ).order_by(Submission.id)
    ).scalars().all()
    deliveries = [_reset_for_scoring(s) for s in submissions]
    record("challenge.rescore", actor=actor, challenge=challenge, target=challenge, submissions=len(deliveries))
    db.session.commit()
    clear_leaderboard(challenge.id, challenge.slug)
    enqueue_scoring(deliveries)
    return len(deliveries)


def cancel_submission(submission: Submission, actor: User | None) -> Submission:
    """Cancel a queued submission: it ends `failed` and does not count against the quota."""
    challenge = submission.challenge
    _require_organiser(actor, challenge)
    # A conditional update: a worker may be claiming this very submission at this moment.
    changed = db.session.execute(
        db.update(Submission)
        .where(Submission.id == submission.id, Submission.status == SubmissionStatus.QUEUED.value)
        .values(status=SubmissionStatus.FAILED.value, error=CANCELLED)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        db.session.rollback()
        db.session.refresh(submission)
        raise SubmissionRefused(409, "Not queued", f"only a queued submission can be cancelled; this one is {submission.status}")
    record("submission.cancel", actor=actor, challenge=challenge, target=submission)
    db.session.commit()
    db.session.refresh(submission)
    _cancel_job(submission.job_id)
    publish_submission_event(submission)
    return submission


def _cancel_job(job_id: str | None) -> None:
    if not job_id:
        return
    try:
        from rq.job import Job

        Job.fetch(job_id, connection=get_redis()).cancel()
    except Exception:
        pass  # gone already; were it delivered, the job finds the row failed and does nothing


def disqualify_team(team: Team, reason: str, actor: User | None) -> Team:
    """Disqualify a team with a recorded reason; its entries leave the leaderboard."""
    challenge = team.challenge
    _require_organiser(actor, challenge)
    reason = " ".join((reason or "").split())
    if not reason:
        raise SubmissionRefused(400, "Reason required", "a disqualification needs a reason; it is recorded and shown to the team")
    team.disqualified_at = utcnow()
    team.disqualified_reason = reason
    record("team.disqualify", actor=actor, challenge=challenge, target=team, reason=reason)
    db.session.commit()
    clear_leaderboard(challenge.id, challenge.slug)
    return team


def requalify_team(team: Team, actor: User | None) -> Team:
    """Lift a team's disqualification; its entries return to the leaderboard."""
    challenge = team.challenge
    _require_organiser(actor, challenge)
    previous = team.disqualified_reason
    team.disqualified_at = None
    team.disqualified_reason = None
    record("team.requalify", actor=actor, challenge=challenge, target=team, previous_reason=previous)
    db.session.commit()
    clear_leaderboard(challenge.id, challenge.slug)
    return team


# --- final selections -------------------------------------------------------------------------


def _own_submission(submission: Submission, user: User | None) -> Team:
    team = team_of(user, submission.challenge)
    if team is None or team.id != submission.team_id:
        raise SubmissionRefused(404, "Not found", "no such submission in your team")
    if submission.challenge.is_closed():
        raise SubmissionRefused(403, "Challenge closed", "the challenge has closed; final selections can no longer change")
    return team


def select_submission(submission: Submission, user: User | None) -> Submission:
    """Choose a scored submission as one of the team's final ones, within the challenge's limit."""
    team = _own_submission(submission, user)
    if submission.status != SubmissionStatus.SCORED.value:
        raise SubmissionRefused(409, "Not scored", f"only a scored submission can be chosen; this one is {submission.status}")
    if submission.selected_at is not None:
        return submission
    limit = submission.challenge.settings.limits.final_selections
    try:
        lock_team(team.id)  # two choices at the same instant must not both pass the count
        chosen = db.session.execute(
            db.select(db.func.count(Submission.id)).where(Submission.team_id == team.id, Submission.selected_at.is_not(None))
        ).scalar_one()
        if chosen >= limit:
            raise SubmissionRefused(
                409, "Selection limit reached",
                f"your team has already chosen {chosen} final submission{'s' if chosen != 1 else ''}, the most this "
                "challenge allows; unchoose one first",
            )
        submission.selected_at = utcnow()
        record("submission.select", actor=user, challenge=submission.challenge, target=submission)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    clear_leaderboard(submission.challenge_id, submission.challenge.slug)
    return submission


def unselect_submission(submission: Submission, user: User | None) -> Submission:
    """Remove a submission from the team's final ones."""
    _own_submission(submission, user)
    if submission.selected_at is None:
        return submission
    submission.selected_at = None
    record("submission.unselect", actor=user, challenge=submission.challenge, target=submission)
    db.session.commit()
    clear_leaderboard(submission.challenge_id, submission.challenge.slug)
    return submission
