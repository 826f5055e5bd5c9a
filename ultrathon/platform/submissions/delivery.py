"""Deliver submissions to the scoring queue and announce their status, for the web and the worker alike."""

# The Submission row is the truth; RQ only delivers. A failed enqueue or publish loses nothing:
# the rows stay as committed, and the sweeper and the next page load catch up.

from __future__ import annotations

import json
import logging
import secrets
from typing import Iterable

from ultrathon.i18n import supported
from ultrathon.scorers.errors import time_limit_message
from ultrathon.spec import ScoringSpec

from ..leaderboard.cache import EVENTS_CHANNEL
from ..models import Challenge, Submission
from ..queueing import get_queue, get_redis

log = logging.getLogger(__name__)

SCORE_JOB = "ultrathon.worker.jobs.score_submission"
SCORING_FAILED_CALLBACK = "ultrathon.worker.jobs.scoring_job_failed"
DEFAULT_TIMEOUT_S: int = ScoringSpec.model_fields["timeout_s"].default  # for a job whose challenge is gone
RESULT_TTL_S = 24 * 3600
FAILURE_TTL_S = 7 * 24 * 3600
# RQ retries a job only when an exception escapes it, and the job turns every scoring problem
# into a `failed` row itself: what escapes is the database, Redis or a killed work horse.
INFRA_RETRIES = 2
INFRA_RETRY_INTERVALS_S = [2, 10]


def scoring_timeout(challenge: Challenge) -> int:
    """Return how many seconds one scoring job of this challenge may run."""
    return challenge.settings.scoring.timeout_s


def timeout_message(seconds: int) -> str:
    """Return what a team reads when scoring ran out of time."""
    return time_limit_message(seconds)


def message_language(submission: Submission) -> str:
    """Return the language a submission's stored messages are written in: its uploader's setting, else the challenge's."""
    # The worker writes a failure once, for the team to read later: in the uploader's language, not the viewer's.
    uploader = submission.user
    return supported(uploader.language if uploader is not None else None) or submission.challenge.settings.language


def new_job_id(submission_id: int) -> str:
    """Return a fresh RQ job id for one delivery of a submission."""
    return f"score-{submission_id}-{secrets.token_hex(4)}"


def publish_submission_event(submission: Submission) -> None:
    """Tell live pages a submission's status changed (after the commit that changed it)."""
    message = {
        "event": "submission",
        "id": submission.id,
        "status": submission.status,
        "team_id": submission.team_id,
        "challenge_id": submission.challenge_id,
    }
    try:
        get_redis().publish(EVENTS_CHANNEL, json.dumps(message))
    except Exception:
        # Live pages miss one update and show it on their next load; the row is the truth.
        log.warning("could not publish the status of submission %s", submission.id, exc_info=True)


JOB_TIMEOUT_GRACE_S = 8  # below the sweeper's grace for a stalled job


def _job_data(queue, submission_id: int, job_id: str, timeout: int):
    from rq import Callback, Retry

    return queue.prepare_data(
        SCORE_JOB,
        args=(submission_id,),
        job_id=job_id,
        # The sealed process is killed at `timeout`; RQ's own limit only catches a worker stuck elsewhere.
        timeout=timeout + JOB_TIMEOUT_GRACE_S,
        result_ttl=RESULT_TTL_S,
        failure_ttl=FAILURE_TTL_S,
        description=f"score submission {submission_id}",
        retry=Retry(max=INFRA_RETRIES, interval=INFRA_RETRY_INTERVALS_S),
        on_failure=Callback(SCORING_FAILED_CALLBACK),
    )


def enqueue_scoring(deliveries: Iterable[tuple[int, str, int]]) -> bool:
    """Put (submission id, job id, timeout) deliveries on the queue; return False if Redis failed."""
    # A failed enqueue loses nothing: the rows stay `queued` and the sweeper delivers them later.
    deliveries = list(deliveries)
    if not deliveries:
        return True
    try:
        from ..agents.challenges import split_agent_deliveries, wake_agents

        # A data holder's agent leases its challenges' submissions: wake it, never a worker.
        deliveries, waiting = split_agent_deliveries(deliveries)
        wake_agents(waiting)
        if not deliveries:
            return True
        queue = get_queue()
        queue.enqueue_many([_job_data(queue, sid, job_id, timeout) for sid, job_id, timeout in deliveries])
        return True
    except Exception:
        log.warning("could not enqueue %d scoring job(s); the sweeper will deliver them", len(deliveries), exc_info=True)
        return False
