"""Accepting uploads: check a team's file or an organiser's baseline, store it, deliver it.

The Submission row is the truth; RQ only delivers (see `delivery`). Each upload commits its own
transaction, then talks to Redis, so a Redis outage never loses or refuses an upload.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from datetime import datetime, timezone

from sqlalchemy.exc import IntegrityError

from ..audit import record
from ..challenges.access import has_accepted_terms, is_organiser, team_of
from ..extensions import db
from ..models import Challenge, Phase, Submission, SubmissionStatus, Team, User, utcnow
from ..phases.models import UnknownPhase, phase_named
from .delivery import enqueue_scoring, new_job_id, publish_submission_event, scoring_timeout
from .errors import SubmissionRefused, refuse_if_barred
from .quota import Quota, lock_person, lock_team, quota_for

MAX_NOTE = 500
MAX_FILENAME = 200


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

    from ..agents.challenges import accepted_ids

    try:
        # An agent challenge's ids are checked here: no worker on the platform will see the file.
        read_submission(data, challenge.settings, solution_ids=accepted_ids(challenge))
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


def _store(challenge: Challenge, phase: Phase, team: Team, user: User | None, data: bytes, filename: str, note: str,
           *, check_quota: bool, action: str) -> Submission:
    """Store the file and its row in one transaction (under the team's and the uploader's locks when quota applies)."""
    try:
        if check_quota:
            lock_team(team.id)
            if user is not None:
                lock_person(user.id)
            now = utcnow()
            _refuse_over_quota(quota_for(challenge, team, now, user=user, phase=phase), now)
        submission = Submission(
            challenge_id=challenge.id,
            phase_id=phase.id,
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
        record(action, actor=user, challenge=challenge, target=submission, team_id=team.id, phase=phase.slug,
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


def _phase_of_upload(challenge: Challenge, slug: str | None) -> Phase:
    """Return the phase an upload is for (the current one when no slug is given), or refuse an unknown slug."""
    try:
        return phase_named(challenge, slug)
    except UnknownPhase as error:
        raise SubmissionRefused(404, "No such phase", str(error)) from None


def _refuse_outside_window(challenge: Challenge, phase: Phase, now: datetime) -> None:
    """Refuse an upload to a phase that is not open, saying when it opens or closed (and what comes next)."""
    name = "the challenge" if len(challenge.phases) == 1 else f"the {phase.title} phase"
    if now < phase.opens_at:
        raise SubmissionRefused(403, "Challenge not open", f"{name} is not open: it opens at {_utc_text(phase.opens_at)}")
    if now >= phase.closes_at:
        later = [p for p in challenge.phases if p.position > phase.position and now < p.closes_at]
        after = f"; the {later[0].title} phase opens at {_utc_text(later[0].opens_at)}" if later and now < later[0].opens_at else ""
        raise SubmissionRefused(403, "Challenge not open", f"{name} is not open: it closed at {_utc_text(phase.closes_at)}{after}")


def accept_submission(challenge: Challenge, user: User | None, data: bytes, filename: str, note: str = "",
                      phase: str | None = None) -> Submission:
    """Check and store a team's upload to a phase (the current one), then queue it; raise SubmissionRefused if refused."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise SubmissionRefused(401, "Login required", "log in to submit")
    refuse_if_barred(challenge, user)
    team = team_of(user, challenge)
    if team is None:
        raise SubmissionRefused(403, "Not in a team", "join or create a team first")
    if not has_accepted_terms(user, challenge):
        raise SubmissionRefused(403, "Terms not accepted", "accept the challenge's data-use terms before submitting")
    if team.disqualified_at is not None:
        reason = f": {team.disqualified_reason}" if team.disqualified_reason else ""
        raise SubmissionRefused(403, "Team disqualified", f"your team has been disqualified{reason}")
    now = utcnow()
    target = _phase_of_upload(challenge, phase)
    _refuse_outside_window(challenge, target, now)
    _check_size(challenge, data)
    note = _check_note(note)
    # Answer an uploader over the quota before reading the file; the check that counts is
    # repeated under the team's and the person's locks when the row is written.
    _refuse_over_quota(quota_for(challenge, team, now, user=user, phase=target), now)
    _check_format(challenge, data)
    submission = _store(challenge, target, team, user, data, filename, note, check_quota=True, action="submission.upload")
    _deliver(submission, challenge)
    return submission


BASELINE_NAME = "Baseline"


def accept_baseline(challenge: Challenge, organiser: User, data: bytes, filename: str, note: str = "",
                    name: str = BASELINE_NAME, phase: str | None = None) -> Submission:
    """Store an organiser's reference submission on a baseline team in a phase (shown unranked, no quota)."""
    if not is_organiser(organiser, challenge):
        raise SubmissionRefused(403, "Organisers only", "only the challenge's organisers can submit a baseline")
    target = _phase_of_upload(challenge, phase)
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
    submission = _store(challenge, target, team, organiser, data, filename, note, check_quota=False, action="submission.baseline")
    _deliver(submission, challenge)
    return submission
