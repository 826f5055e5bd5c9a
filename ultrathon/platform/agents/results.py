"""An agent's score report: checked strictly, stored once, exactly as a worker stores a score."""

from __future__ import annotations

from typing import Any

from ..audit import record
from ..extensions import db
from ..models import Submission, SubmissionStatus, utcnow
from .leases import LeaseRefused, refuse, token_challenge_ids
from .models import AgentChallenge, AgentLease, AgentToken

SCORED = SubmissionStatus.SCORED.value
WAITING = (SubmissionStatus.QUEUED.value, SubmissionStatus.SCORING.value)
RESULT_KEYS = {"solution_sha256", "report"}
REPORT_KEYS = {"version", "primary", "higher_is_better", "seed", "n_resamples", "splits", "subgroups"}
SPLITS = {"public", "private"}


def _checked_report(body: Any, lease: AgentLease, token: AgentToken, keys: set[str] = RESULT_KEYS,
                    pinned: tuple[str, dict | None] | None = None):
    """Return the report in the body as a ScoreReport, or refuse (400) and give the job back.

    pinned: the fingerprint and split sizes to hold the report to (a site's), else the challenge's.
    """
    from ultrathon.scorers.report import ReportInvalid, report_from_wire

    def bad(detail: str) -> None:
        refuse(token, lease, 400, detail, release=True)

    if not isinstance(body, dict) or set(body) != keys:
        bad(f"the body must be a JSON object with exactly the keys {sorted(keys)}")
    if pinned is None:
        challenge = db.session.get(AgentChallenge, lease.challenge_id)
        pinned = (challenge.solution_sha256, challenge.split_sizes)
    if not pinned[0]:
        bad("this challenge is scored at several sites: each site's agent posts its own rows' result with its site's token")
    if not isinstance(body["solution_sha256"], str) or body["solution_sha256"].lower() != pinned[0]:
        bad("solution_sha256 is not the fingerprint this challenge pins: the agent holds another solution; "
            "the job goes back to the queue")
    wire = body["report"]
    if not isinstance(wire, dict) or set(wire) != REPORT_KEYS:
        bad(f"report must be an object with exactly the keys {sorted(REPORT_KEYS)}")
    spec = db.session.get(Submission, lease.submission_id).challenge.settings
    try:
        report = report_from_wire(wire, spec.metrics.all, spec.leaderboard.bootstrap)
    except ReportInvalid as error:
        bad(f"report: {error}")
    if set(report.splits) != SPLITS or report.primary != spec.metrics.primary or report.n_resamples != spec.leaderboard.bootstrap:
        bad(f"report must score both splits with the primary metric {spec.metrics.primary!r} "
            f"and {spec.leaderboard.bootstrap} bootstrap resamples")
    sizes = pinned[1] or {}
    for split, size in sizes.items():
        if report.splits[split].n_rows != size:
            bad(f"report: the {split} split scores {report.splits[split].n_rows} rows; this challenge's has {size}")
    return report


def store_result(token: AgentToken, lease_id: str, body: Any) -> dict[str, Any]:
    """Store an agent's result for its lease, once per submission and solution; return what happened."""
    from ultrathon.worker.jobs import _announce, _finish

    lease = db.session.get(AgentLease, lease_id)
    if lease is None:
        raise LeaseRefused(404, f"no job {lease_id!r}")
    if lease.challenge_id not in token_challenge_ids(token) or lease.agent_token_id != token.id:
        refuse(token, lease, 403, "this job belongs to another agent's challenge or lease; this token may not post its result")
    if lease.site is not None:
        from .site_results import store_site_result

        return store_site_result(token, lease, body)
    report = _checked_report(body, lease, token)
    submission = db.session.get(Submission, lease.submission_id)
    if submission.status == SCORED:
        # Posted twice, or after the lease expired and another lease stored it: the same solution, stored once.
        _end(token, lease, "duplicate", submission, report, stored=False)
        return {"submission_id": submission.id, "status": SCORED, "stored": False}
    if submission.status not in WAITING:
        refuse(token, lease, 409, f"the submission is {submission.status} (cancelled by an organiser); nothing is stored")
    # Take the submission under this lease (it may have been re-offered meanwhile), then store as a worker does.
    db.session.execute(
        db.update(Submission).where(Submission.id == submission.id, Submission.status == submission.status,
                                    Submission.job_id == submission.job_id)
        .values(status=SubmissionStatus.SCORING.value, job_id=lease.id).execution_options(synchronize_session=False)
    )
    db.session.commit()
    values = {"status": SCORED, "scored_at": utcnow(), "scorer_version": report.version,
              "error": None, "error_detail": None, "problems": None}
    finished = _finish(submission.id, lease.id, values, report)
    if finished is None:  # another result won the race: it is stored once
        return {"submission_id": submission.id, "status": SCORED, "stored": False}
    _announce(finished)
    _end(token, lease, "scored", finished, report, stored=True)
    return {"submission_id": finished.id, "status": SCORED, "stored": True}


def _end(token: AgentToken, lease: AgentLease, outcome: str, submission: Submission, report, *, stored: bool) -> None:
    lease = db.session.merge(lease)
    token = db.session.merge(token)
    if lease.ended_at is None:
        lease.ended_at, lease.outcome = utcnow(), outcome
    if stored:
        token.jobs_done = (token.jobs_done or 0) + 1
    record("agent.result", challenge=submission.challenge, target=submission, lease=lease.id, agent_token_id=token.id,
           agent=token.name, stored=stored, fingerprint=report.fingerprint())
    db.session.commit()
