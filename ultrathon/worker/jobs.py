"""The scoring job: load a submission, call the scorers, store the scores, publish.

A run owns a submission only while the row is `scoring` under the job id that claimed it:
a superseded run (re-scored, re-delivered by the sweeper) finds its claim gone and stores
nothing, so every submission ends with the result of its latest delivery.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from sqlalchemy.exc import IntegrityError

from ultrathon.i18n import gettext as _, speaking
from ultrathon.platform.audit import record
from ultrathon.platform.extensions import db
from ultrathon.platform.models import Challenge, Score, Submission, SubmissionStatus, utcnow
from ultrathon.platform.challenges.feedback import set_shown
from ultrathon.platform.leaderboard.cache import clear_leaderboard
from ultrathon.platform.notifications.triggers import notify_submission_outcome
from ultrathon.platform.submissions.delivery import (
    message_language,
    publish_submission_event,
    scoring_timeout,
    timeout_message,
)
from ultrathon.platform.submissions.quota import lock_team
from ultrathon.worker.context import job_context

log = logging.getLogger(__name__)

QUEUED, SCORING = SubmissionStatus.QUEUED.value, SubmissionStatus.SCORING.value
SCORED, FAILED = SubmissionStatus.SCORED.value, SubmissionStatus.FAILED.value


def _current_job_id() -> str | None:
    from rq import get_current_job

    job = get_current_job()
    return job.id if job is not None else None


def caused_by_timeout(error: BaseException | None) -> bool:
    """Return whether an error is, or was raised while handling, RQ's job timeout."""
    from rq.timeouts import JobTimeoutException

    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, JobTimeoutException):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def _owned(submission_id: int, job_id: str | None):
    """Return the WHERE clause that holds while this run still owns the submission."""
    clause = [Submission.id == submission_id, Submission.status == SCORING]
    if job_id is not None:
        clause.append(Submission.job_id == job_id)
    return clause


def _claim(submission_id: int, job_id: str | None) -> Submission | None:
    """Move a queued (or interrupted) submission to `scoring`; return it, or None if not ours."""
    where = [Submission.id == submission_id, Submission.status.in_([QUEUED, SCORING])]
    if job_id is not None:  # a delivery the sweeper or a re-score has replaced does nothing
        where.append(Submission.job_id == job_id)
    claimed = db.session.execute(
        db.update(Submission).where(*where)
        .values(status=SCORING, started_at=utcnow(), attempts=Submission.attempts + 1,
                error=None, error_detail=None, problems=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if not claimed:
        return None
    return db.session.get(Submission, submission_id)


def _inputs(submission_id: int, challenge_id: int) -> tuple[bytes | None, bytes | None, str | None]:
    """Return the uploaded file, the hidden solution and any custom scorer's source."""
    content = db.session.execute(db.select(Submission.content).where(Submission.id == submission_id)).scalar()
    solution = db.session.execute(
        db.select(Challenge.solution_csv, Challenge.custom_scorer_source).where(Challenge.id == challenge_id)
    ).first()
    return (content, *(solution or (None, None)))


def _score(content: bytes, solution_csv: bytes, custom_source: str | None, spec, phase: str):
    """Score the stored bytes against the phase's solution rows in a sealed process; raise whatever scoring raised."""
    from ultrathon.sealed import score_sealed

    return score_sealed(spec, content, solution_csv, custom_source, phase=phase)


def describe_failure(error: Exception, timeout_s: int) -> dict[str, Any]:
    """Return the failed row's fields for a scoring error: a safe message, and detail for organisers."""
    from ultrathon.scorers import ParticipantVisibleError, ScoringError, SolutionError, SubmissionError
    from ultrathon.scorers.errors import scoring_failed

    if caused_by_timeout(error):
        return {"error": timeout_message(timeout_s), "error_detail": None, "problems": None}
    if isinstance(error, SubmissionError):
        problems = [{"row": p.row, "column": p.column, "message": p.message} for p in error.problems]
        return {"error": str(error), "error_detail": None, "problems": problems}
    if isinstance(error, ScoringError):
        return {"error": error.message, "error_detail": error.detail or None, "problems": None}
    if isinstance(error, ParticipantVisibleError):
        return {"error": str(error), "error_detail": traceback.format_exc(), "problems": None}
    if isinstance(error, SolutionError):
        return {"error": scoring_failed(), "error_detail": _("the solution file cannot be used:\n%(detail)s", detail=error),
                "problems": None}
    return {"error": scoring_failed(), "error_detail": traceback.format_exc(), "problems": None}


def _finish(submission_id: int, job_id: str | None, values: dict[str, Any], report=None) -> Submission | None:
    """Write the outcome if this run still owns the submission; return it, or None if superseded."""
    for attempt in (1, 2):
        try:
            owned = db.session.execute(
                db.update(Submission).where(*_owned(submission_id, job_id))
                .values(**values)
                .execution_options(synchronize_session=False)
            ).rowcount
            if not owned:
                db.session.rollback()
                return None
            submission = db.session.get(Submission, submission_id)
            db.session.refresh(submission)
            if report is not None:
                _store_scores(submission, report)
            record(f"submission.{values['status']}", challenge=submission.challenge, target=submission,
                   error=values.get("error"), scorer_version=values.get("scorer_version"),
                   fingerprint=report.fingerprint() if report is not None else None)
            db.session.commit()
            _measure(submission, job_id)
            return submission
        except IntegrityError:
            # Another run of the same delivery inserted the same scores first: update them instead.
            db.session.rollback()
            if attempt == 2:
                raise
    return None


def _measure(submission: Submission, job_id: str | None) -> None:
    """Count a stored outcome for /metrics: its upload-to-scored latency, or why it failed."""
    from ultrathon.platform import telemetry

    if submission.status == SCORED and submission.scored_at is not None:
        telemetry.observe_latency((submission.scored_at - submission.created_at).total_seconds())
    elif submission.status == FAILED:
        if (job_id or "").startswith("lease-"):  # an agent's lease: it reported the failure
            reason = "agent_report"
        elif submission.problems:
            reason = "invalid_file"
        elif submission.error == timeout_message(scoring_timeout(submission.challenge)):  # in the language it was written
            reason = "timeout"
        else:
            reason = "scoring_error"
        telemetry.count("scoring_failures", reason=reason)


def _store_scores(submission: Submission, report) -> None:
    """Upsert one Score row per split, so a rerun leaves the same rows with the same values."""
    existing = {
        s.split: s for s in db.session.execute(db.select(Score).where(Score.submission_id == submission.id)).scalars()
    }
    spec = submission.challenge.settings
    if submission.phase.settings.feedback.mode == "ladder":
        lock_team(submission.team_id)  # the Ladder's shown scores are fixed one scoring at a time per team
    for split, result in report.splits.items():
        row = existing.get(split)
        if row is None:
            row = Score(submission_id=submission.id, challenge_id=submission.challenge_id,
                        phase_id=submission.phase_id, team_id=submission.team_id, split=split)
            db.session.add(row)
        as_dict = result.to_dict()
        row.metric = report.primary
        row.value = as_dict["metrics"].get(report.primary)
        row.ci_low, row.ci_high = as_dict["ci_low"], as_dict["ci_high"]
        row.n_rows, row.n_filled = result.n_rows, result.n_filled
        row.metrics = as_dict["metrics"]
        row.subgroups = [cell.to_dict() for cell in report.subgroups if cell.split == split]
        row.replicates = report.replicates_bytes(split) or None
        row.curves = as_dict["curves"]
        row.horizons = as_dict["horizons"]
        row.metric_replicates = result.metric_replicates_json()
        set_shown(row, spec, submission.phase.settings)


def _announce(submission: Submission) -> None:
    """Tell the leaderboard and live pages, after the commit."""
    clear_leaderboard(submission.challenge_id, submission.challenge.slug)
    publish_submission_event(submission)
    notify_submission_outcome(submission)  # scored or failed: the team's mail, which never raises


def _scored_by_agent(submission_id: int) -> bool:
    """Return whether the submission's challenge is scored by an agent (its solution is not here)."""
    from ultrathon.platform.agents.challenges import agent_challenge_ids

    return db.session.execute(
        db.select(Submission.id).where(Submission.id == submission_id, Submission.challenge_id.in_(agent_challenge_ids()))
    ).first() is not None


def score_submission(submission_id: int) -> str:
    """Score one stored submission, leaving it `scored` or `failed`; return what happened."""
    with job_context():
        if _scored_by_agent(submission_id):
            return "skipped: the data holder's agent scores this challenge"
        job_id = _current_job_id()
        submission = _claim(submission_id, job_id)
        if submission is None:
            return "skipped: not queued for this delivery"
        publish_submission_event(submission)
        # What the team reads of a failure is stored once: written in the uploader's language.
        with speaking(message_language(submission)):
            return _score_claimed(submission, job_id)


def _score_claimed(submission: Submission, job_id: str | None) -> str:
    """Score a submission this run has claimed and store the outcome; return what happened."""
    submission_id, challenge = submission.id, submission.challenge
    timeout_s = scoring_timeout(challenge)
    # Read everything from the database first: an error here is infrastructure (RQ retries),
    # while any error inside the scorers below is the submission's outcome.
    content, solution_csv, custom_source = _inputs(submission.id, challenge.id)
    spec, phase = challenge.settings, submission.phase.slug
    db.session.commit()  # nothing holds a transaction open while scoring runs
    try:
        report = _score(content, solution_csv, custom_source, spec, phase)
    except Exception as error:  # noqa: BLE001 - every scoring error ends as a readable `failed`
        values = {"status": FAILED, **describe_failure(error, timeout_s)}
        finished = _finish(submission_id, job_id, values)
        if finished is None:
            return "superseded"
        _announce(finished)
        return "failed"
    values = {"status": SCORED, "scored_at": utcnow(), "scorer_version": report.version, "error": None, "error_detail": None, "problems": None}
    finished = _finish(submission_id, job_id, values, report)
    if finished is None:
        return "superseded"
    _announce(finished)
    return "scored"


def scoring_job_failed(job, connection, exc_type, exc_value, tb) -> None:
    """RQ's failure callback: a timeout that escaped the job still ends the submission `failed`.

    Other escaping errors are infrastructure: RQ retries them, and the sweeper catches the rest.
    """
    if not caused_by_timeout(exc_value):
        return
    submission_id = int(job.args[0])
    with job_context():
        try:
            submission = db.session.get(Submission, submission_id)
            if submission is None:
                return
            with speaking(message_language(submission)):
                values = {"status": FAILED, "error": timeout_message(scoring_timeout(submission.challenge)),
                          "error_detail": None, "problems": None}
                finished = _finish(submission_id, job.id, values)
            if finished is not None:
                _announce(finished)
        finally:
            db.session.remove()


def warm_up() -> None:
    """Prepare, once, in the parent what every job needs, so each forked work horse starts ready."""
    import gc

    from sqlalchemy.orm import configure_mappers

    import ultrathon.scorers  # noqa: F401 - pandas, numpy and the metric registry
    from ultrathon.sealed import default_scorer
    from ultrathon.worker.context import worker_app

    # Started before any fork, so every worker and work horse shares one sealed scoring server.
    default_scorer().ensure_running()

    app = worker_app()
    configure_mappers()  # else every horse configures every mapper on its first query
    with app.app_context():
        try:
            _rehearse_statements()
        except Exception as exc:  # the database may be down at start: horses then compile their own
            log.warning("could not prepare the scoring statements: %s", exc)
            db.session.rollback()
        finally:
            db.session.remove()
    # Objects that exist now live for the whole process: keep the collector off their pages,
    # so forked horses share those pages instead of copying them.
    gc.collect()
    gc.freeze()


def _rehearse_statements() -> None:
    """Run the job's own statements on no row, so horses inherit their compiled forms."""
    _claim(0, None)
    _inputs(0, 0)
    _finish(0, None, {"status": SCORED, "scored_at": utcnow(), "scorer_version": "", "error": None,
                      "error_detail": None, "problems": None})
    db.session.execute(db.select(Score).where(Score.submission_id == 0)).all()
    db.session.rollback()
