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

# ultrathon.i18n, not Flask-Babel: uploads are also taken outside a request (the CLI's baselines),
# and inside one it follows the request's language all the same.
from ultrathon.i18n import gettext as _

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
    return _("%(hours)s h %(minutes)s min", hours=hours, minutes=minutes) if hours else _("%(minutes)s min", minutes=minutes)


def _megabytes(size: int) -> str:
    return f"{size / 2**20:.1f}".rstrip("0").rstrip(".") + " MB"


def _check_size(challenge: Challenge, data: bytes) -> None:
    if not data:
        raise SubmissionRefused(400, _("Empty file"), _("the file is empty: upload a CSV file with a header and one row per id"))
    max_mb = challenge.settings.submission.max_mb
    if len(data) > max_mb * 2**20:
        raise SubmissionRefused(413, _("File too large"), _("the file is %(size)s; this challenge accepts files up to %(limit)s",
                                                            size=_megabytes(len(data)), limit=format(max_mb, "g") + " MB"))


def _check_format(challenge: Challenge, data: bytes) -> None:
    """Refuse a file whose format is wrong on its own, before it is stored."""
    from ultrathon.scorers import SubmissionError, read_submission

    from ..agents.challenges import accepted_ids

    try:
        # An agent challenge's ids are checked here: no worker on the platform will see the file.
        read_submission(data, challenge.settings, solution_ids=accepted_ids(challenge))
    except SubmissionError as error:
        problems = [{"row": p.row, "column": p.column, "message": p.message} for p in error.problems]
        raise SubmissionRefused(400, _("Invalid submission file"), str(error), problems=problems) from None


def _check_note(note: str | None) -> str:
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise SubmissionRefused(400, _("Note too long"), _("a note has at most %(most)s characters; this one has %(length)s",
                                                           most=MAX_NOTE, length=len(note)))
    return note


def _refuse_over_quota(quota: Quota, now: datetime) -> None:
    if quota.total_exhausted:
        used = (_("you have used all %(total)s submissions this challenge allows a person, counting those you made in "
                  "other teams", total=quota.total) if quota.personal_total
                else _("your team has used all %(total)s submissions this challenge allows", total=quota.total))
        raise SubmissionRefused(429, _("Submission quota used up"), used, quota=quota)
    if quota.exhausted:
        wait = quota.seconds_to_reset(now)
        when = {"per_day": quota.per_day, "time": _utc_text(quota.resets_at), "wait": _duration_text(wait)}
        used = (_("you have made the %(per_day)s submissions a person may make today (UTC), counting those in other "
                  "teams; the count resets at %(time)s, in %(wait)s", **when) if quota.personal_today
                else _("your team has used its %(per_day)s submissions for today (UTC); the count resets at %(time)s, "
                       "in %(wait)s", **when))
        raise SubmissionRefused(429, _("Daily submission quota used up"), used, retry_after=wait, quota=quota)


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
        raise SubmissionRefused(404, _("No such phase"), str(error)) from None


def _refuse_outside_window(challenge: Challenge, phase: Phase, now: datetime) -> None:
    """Refuse an upload to a phase that is not open, saying when it opens or closed (and what comes next)."""
    single = len(challenge.phases) == 1
    if now < phase.opens_at:
        when = {"phase": phase.title, "time": _utc_text(phase.opens_at)}
        raise SubmissionRefused(403, _("Challenge not open"), _("the challenge is not open: it opens at %(time)s", **when)
                                if single else _("the %(phase)s phase is not open: it opens at %(time)s", **when))
    if now >= phase.closes_at:
        later = [p for p in challenge.phases if p.position > phase.position and now < p.closes_at]
        when = {"phase": phase.title, "time": _utc_text(phase.closes_at)}
        if later and now < later[0].opens_at:
            when.update(next=later[0].title, next_time=_utc_text(later[0].opens_at))
            detail = _("the %(phase)s phase is not open: it closed at %(time)s; the %(next)s phase opens at %(next_time)s", **when)
        else:
            detail = (_("the challenge is not open: it closed at %(time)s", **when) if single
                      else _("the %(phase)s phase is not open: it closed at %(time)s", **when))
        raise SubmissionRefused(403, _("Challenge not open"), detail)


def accept_submission(challenge: Challenge, user: User | None, data: bytes, filename: str, note: str = "",
                      phase: str | None = None) -> Submission:
    """Check and store a team's upload to a phase (the current one), then queue it; raise SubmissionRefused if refused."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise SubmissionRefused(401, _("Login required"), _("log in to submit"))
    refuse_if_barred(challenge, user)
    team = team_of(user, challenge)
    if team is None:
        raise SubmissionRefused(403, _("Not in a team"), _("join or create a team first"))
    if not has_accepted_terms(user, challenge):
        raise SubmissionRefused(403, _("Terms not accepted"), _("accept the challenge's data-use terms before submitting"))
    if team.disqualified_at is not None:
        detail = (_("your team has been disqualified: %(reason)s", reason=team.disqualified_reason) if team.disqualified_reason
                  else _("your team has been disqualified"))
        raise SubmissionRefused(403, _("Team disqualified"), detail)
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
        raise SubmissionRefused(403, _("Organisers only"), _("only the challenge's organisers can submit a baseline"))
    target = _phase_of_upload(challenge, phase)
    name = " ".join((name or "").split()) or BASELINE_NAME
    _check_size(challenge, data)
    note = _check_note(note)
    _check_format(challenge, data)
    team = db.session.execute(
        db.select(Team).where(Team.challenge_id == challenge.id, db.func.lower(Team.name) == name.lower())
    ).scalar_one_or_none()
    if team is not None and not team.is_baseline:
        raise SubmissionRefused(409, _("Name taken"), _("a competing team is named %(name)s; choose another baseline name",
                                                        name=repr(name)))
    if team is None:
        team = Team(challenge_id=challenge.id, name=name[:80], invite_code=secrets.token_urlsafe(12), is_baseline=True)
        db.session.add(team)
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            raise SubmissionRefused(409, _("Name taken"), _("a team named %(name)s was created at the same moment; try again",
                                                            name=repr(name))) from None
    submission = _store(challenge, target, team, organiser, data, filename, note, check_quota=False, action="submission.baseline")
    _deliver(submission, challenge)
    return submission
