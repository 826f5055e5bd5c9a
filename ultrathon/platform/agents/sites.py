"""Several sites: each submission is one job per site; a site's token leases and posts only its own."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import numpy as np
from sqlalchemy.exc import IntegrityError

from ultrathon.challenge_folder import ValidatedChallenge

from ..audit import record
from ..extensions import db
from ..models import Challenge, Submission, SubmissionStatus, utcnow
from .leases import CANDIDATES, LeaseView, _holds, lease_seconds, token_challenge_ids
from .models import AgentLease, AgentSite, AgentSiteJob, AgentToken

QUEUED, SCORING = SubmissionStatus.QUEUED.value, SubmissionStatus.SCORING.value
PENDING = "pending"  # a site that has not reported, as the leaderboard and the API say it


def store_sites(challenge: Challenge, validated: ValidatedChallenge) -> None:
    """Keep each site's pinned fingerprint, split sizes and id list (ids only); forget sites no longer named."""
    spec = validated.spec
    kept = {row.site: row for row in db.session.execute(
        db.select(AgentSite).where(AgentSite.challenge_id == challenge.id)).scalars()}
    for site, row in kept.items():
        if site not in spec.sites:
            db.session.delete(row)
    for site in spec.sites:
        row = kept.get(site) or AgentSite(challenge_id=challenge.id, site=site)
        pin = spec.scoring.sites[site]
        row.solution_sha256 = pin.solution_sha256
        row.split_sizes = pin.split_sizes.model_dump() if pin.split_sizes else None
        row.ids = list((validated.site_ids or {}).get(site, ()))
        db.session.add(row)


def site_ids(challenge_id: int) -> dict[str, set[str]]:
    """Return each site's ids, for telling a site's result from another site's."""
    rows = db.session.execute(db.select(AgentSite.site, AgentSite.ids).where(AgentSite.challenge_id == challenge_id)).all()
    return {site: set(ids) for site, ids in rows}


def _job(submission: Submission, site: str) -> AgentSiteJob | None:
    """Return the site's job row of a submission, adding it the first time it is leased."""
    job = db.session.get(AgentSiteJob, (submission.id, site))
    if job is not None:
        return job
    db.session.add(AgentSiteJob(submission_id=submission.id, site=site, challenge_id=submission.challenge_id))
    try:
        db.session.flush()
    except IntegrityError:  # another agent of the site added it first: look again on the next poll
        db.session.rollback()
        return None
    return db.session.get(AgentSiteJob, (submission.id, site))


def lease_site_job(token: AgentToken) -> LeaseView | None:
    """Lease the oldest submission whose job for the token's site is neither done nor held."""
    now, site = utcnow(), token.site
    done = db.select(AgentSiteJob.submission_id).where(AgentSiteJob.site == site, AgentSiteJob.done_at.is_not(None))
    candidates = db.session.execute(
        db.select(Submission.id)
        .where(Submission.challenge_id.in_(token_challenge_ids(token)), Submission.status.in_([QUEUED, SCORING]),
               Submission.id.not_in(done))
        .order_by(Submission.id).limit(CANDIDATES)
    ).scalars().all()
    for submission_id in candidates:
        submission = db.session.get(Submission, submission_id)
        job = _job(submission, site) if submission is not None else None
        if job is None or job.done_at is not None:
            continue
        previous = db.session.get(AgentLease, job.lease_id) if job.lease_id else None
        if _holds(previous, now):
            continue
        lease_id = f"lease-{submission_id}-{secrets.token_hex(6)}"
        held_by = AgentSiteJob.lease_id.is_(None) if job.lease_id is None else AgentSiteJob.lease_id == job.lease_id
        # Compare and set: of a site's agents racing for one job, one wins and the others try the next.
        taken = db.session.execute(
            db.update(AgentSiteJob)
            .where(AgentSiteJob.submission_id == submission_id, AgentSiteJob.site == site, held_by,
                   AgentSiteJob.done_at.is_(None))
            .values(lease_id=lease_id).execution_options(synchronize_session=False)
        ).rowcount
        if not taken:
            db.session.rollback()
            continue
        db.session.execute(
            db.update(Submission).where(Submission.id == submission_id, Submission.status == QUEUED)
            .values(status=SCORING, started_at=now, error=None, error_detail=None, problems=None)
            .execution_options(synchronize_session=False))
        if previous is not None and previous.ended_at is None:
            previous.ended_at, previous.outcome = now, "expired"
        lease = AgentLease(id=lease_id, submission_id=submission_id, challenge_id=submission.challenge_id, site=site,
                           agent_token_id=token.id, leased_at=now, expires_at=now + timedelta(seconds=lease_seconds()))
        db.session.add(lease)
        record("agent.lease", challenge=submission.challenge, target=submission, lease=lease_id, site=site,
               agent_token_id=token.id, agent=token.name, again=previous is not None)
        view = LeaseView(lease_id, submission_id, submission.challenge.slug, lease.expires_at.isoformat(),
                         submission.sha256, submission.size, site, submission.phase.slug)
        db.session.commit()
        return view
    db.session.rollback()
    return None


def site_job_holder(lease: AgentLease) -> str | None:
    """Return the lease id that holds the site job of a site lease (None once the job is done)."""
    job = db.session.get(AgentSiteJob, (lease.submission_id, lease.site))
    return None if job is None or job.done_at is not None else job.lease_id


def release_site_job(lease: AgentLease) -> int:
    """Give a site lease's job back to the site's agents; return 1 if it still held it, else 0."""
    return db.session.execute(
        db.update(AgentSiteJob)
        .where(AgentSiteJob.submission_id == lease.submission_id, AgentSiteJob.site == lease.site,
               AgentSiteJob.lease_id == lease.id, AgentSiteJob.done_at.is_(None))
        .values(lease_id=None).execution_options(synchronize_session=False)
    ).rowcount


def site_figures(submission_ids: list[int], split: str, decimals: int | None = None) -> dict[int, dict[str, Any]]:
    """Return {submission id: {site: {score, ci_low, ci_high, n_rows} or "pending"}} for one split."""
    if not submission_ids:
        return {}
    jobs = db.session.execute(
        db.select(AgentSiteJob.submission_id, AgentSiteJob.site, AgentSiteJob.scores)
        .where(AgentSiteJob.submission_id.in_(submission_ids), AgentSiteJob.done_at.is_not(None))
    ).all()

    def rounded(value):
        return None if value is None or decimals is None else round(float(value), decimals)

    out: dict[int, dict[str, Any]] = {}
    for submission_id, site, scores in jobs:
        figures = (scores or {}).get(split)
        if figures is not None:
            out.setdefault(submission_id, {})[site] = {
                "score": rounded(figures["value"]) if decimals is not None else figures["value"],
                "ci_low": rounded(figures["ci_low"]) if decimals is not None else figures["ci_low"],
                "ci_high": rounded(figures["ci_high"]) if decimals is not None else figures["ci_high"],
                "n_rows": figures["n_rows"]}
    return out


def with_pending(figures: dict[str, Any], sites: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """Return one submission's site figures in the sites' order, "pending" for each site yet to report."""
    return {site: figures.get(site, PENDING) for site in sites}


def submission_sites(challenge: Challenge, submissions: list[Submission],
                     private_visible: bool) -> dict[int, dict[str, Any]]:
    """Return {submission id: {"public": {site: figures or "pending"}, "private": ... or None}}.

    Only a site challenge's submissions that are, or are being, scored: a failed or cancelled one waits for no site.
    """
    spec = challenge.settings
    if not spec.sites:
        return {}
    ids = [s.id for s in submissions if s.status in (QUEUED, SCORING, SubmissionStatus.SCORED.value)]
    decimals = spec.leaderboard.decimals
    public = site_figures(ids, "public", decimals)
    private = site_figures(ids, "private", decimals) if private_visible else {}
    return {sid: {"public": with_pending(public.get(sid, {}), spec.sites),
                  "private": with_pending(private.get(sid, {}), spec.sites) if private_visible else None}
            for sid in ids}


def as_split_score(scores: dict[str, Any], replicates: list | None):
    """Rebuild a site's stored split figures as a SplitScore, for the combination."""
    from ultrathon.scorers.report import SplitScore

    return SplitScore(metrics={k: (np.nan if v is None else v) for k, v in scores["metrics"].items()},
                      ci_low=scores["ci_low"], ci_high=scores["ci_high"], n_rows=scores["n_rows"],
                      n_positive=scores.get("n_positive"), n_filled=scores.get("n_filled", 0),
                      replicates=None if replicates is None else np.array(
                          [np.nan if v is None else v for v in replicates], dtype=float))
