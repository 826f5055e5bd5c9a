"""A site's score report: only its own ids, stored once; the last site's completes the submission."""

from __future__ import annotations

from typing import Any

from ..audit import record
from ..extensions import db
from ..models import Submission, SubmissionStatus, utcnow
from .leases import refuse
from .models import AgentLease, AgentSite, AgentSiteJob, AgentToken
from .results import RESULT_KEYS, _checked_report, _end
from .sites import as_split_score, site_ids

SCORED = SubmissionStatus.SCORED.value
SITE_RESULT_KEYS = RESULT_KEYS | {"ids"}
SHOWN = 3  # ids named in a refusal: enough to find the mix-up, too few to list a site's rows


def _checked_ids(body: dict, lease: AgentLease, token: AgentToken) -> None:
    """Refuse (400) a site result whose ids are not exactly the site's own: none of another site's, none left out."""
    ids = body.get("ids")
    if not isinstance(ids, list) or not all(isinstance(v, str) for v in ids):
        refuse(token, lease, 400, "ids must be the list of the ids the site scored (strings)", release=True)
    owners = site_ids(lease.challenge_id)
    own = owners[lease.site]
    foreign = [v for v in dict.fromkeys(ids) if v not in own]
    if foreign:
        # Which site holds an id is not this site's to learn: the refusal names the ids only.
        named = ", ".join(repr(v) for v in foreign[:SHOWN])
        refuse(token, lease, 400, f"ids: {len(foreign)} id(s) are not {lease.site}'s, e.g. {named}; "
                                  f"a site scores only its own rows; the job goes back to the queue", release=True)
    if len(set(ids)) != len(own) or len(ids) != len(set(ids)):
        refuse(token, lease, 400, f"ids: the report covers {len(set(ids))} distinct ids of {lease.site}'s {len(own)}, "
                                  f"listed {len(ids)} times; list each of the site's ids once", release=True)


def store_site_result(token: AgentToken, lease: AgentLease, body: Any) -> dict[str, Any]:
    """Store one site's result for its lease, once per submission and site; combine when every site has reported."""
    site = db.session.get(AgentSite, (lease.challenge_id, lease.site))
    report = _checked_report(body, lease, token, SITE_RESULT_KEYS, (site.solution_sha256, site.split_sizes))
    _checked_ids(body, lease, token)
    submission = db.session.get(Submission, lease.submission_id)
    if submission.status not in (SubmissionStatus.QUEUED.value, SubmissionStatus.SCORING.value, SCORED):
        refuse(token, lease, 409, f"the submission is {submission.status} (cancelled by an organiser); nothing is stored")
    scores = {split: {"value": s.to_dict()["metrics"].get(report.primary), "ci_low": s.to_dict()["ci_low"],
                      "ci_high": s.to_dict()["ci_high"], "n_rows": s.n_rows, "n_positive": s.n_positive,
                      "n_filled": s.n_filled, "metrics": s.to_dict()["metrics"],
                      "version": report.version}
              for split, s in report.splits.items()}
    replicates = {split: [None if v != v else float(v) for v in (s.replicates if s.replicates is not None else [])]
                  for split, s in report.splits.items()}
    # Stored once: the first result of the site's job wins, whichever lease posted it (same pinned solution).
    stored = db.session.execute(
        db.update(AgentSiteJob)
        .where(AgentSiteJob.submission_id == submission.id, AgentSiteJob.site == lease.site, AgentSiteJob.done_at.is_(None))
        .values(done_at=utcnow(), lease_id=lease.id, fingerprint=report.fingerprint()[:64], scores=scores,
                replicates=replicates)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    _end(token, lease, "scored" if stored else "duplicate", submission, report, stored=bool(stored))
    status = _complete_if_every_site(submission.id) if stored else db.session.get(Submission, submission.id).status
    return {"submission_id": submission.id, "status": status, "stored": bool(stored), "site": lease.site}


def _complete_if_every_site(submission_id: int) -> str:
    """Store the combined score once every site has reported; return the submission's status."""
    from ultrathon.scorers.sites import combine_reports
    from ultrathon.worker.jobs import _announce, _finish

    submission = db.session.get(Submission, submission_id)
    spec = submission.challenge.settings
    jobs = {job.site: job for job in db.session.execute(
        db.select(AgentSiteJob).where(AgentSiteJob.submission_id == submission_id, AgentSiteJob.done_at.is_not(None))
    ).scalars()}
    if set(jobs) != set(spec.sites):
        _announce(submission)  # a site's column is no longer pending
        return submission.status
    reports = [_site_report(jobs[site], spec) for site in spec.sites]
    directions = {name: spec.metrics.facts(name).higher_is_better for name in spec.metrics.all}
    combined = combine_reports(reports, spec.leaderboard.combine, directions, spec.leaderboard.ci_level)
    values = {"status": SCORED, "scored_at": utcnow(), "scorer_version": combined.version,
              "error": None, "error_detail": None, "problems": None}
    finished = _finish(submission_id, None, values, combined)
    if finished is None:  # another site's result completed it first
        return SCORED
    record("agent.sites_combined", challenge=finished.challenge, target=finished, combine=spec.leaderboard.combine,
           sites=list(spec.sites))
    db.session.commit()
    _announce(finished)
    return SCORED


def _site_report(job: AgentSiteJob, spec):
    """Rebuild one site's stored result as a ScoreReport with its replicates."""
    from ultrathon.scorers.report import ScoreReport

    splits = {split: as_split_score(figures, (job.replicates or {}).get(split)) for split, figures in job.scores.items()}
    return ScoreReport(splits=splits, subgroups=[], primary=spec.metrics.primary,
                       higher_is_better=spec.metrics.facts().higher_is_better,
                       version=next(iter(job.scores.values())).get("version", ""),
                       seed=0, n_resamples=spec.leaderboard.bootstrap)
