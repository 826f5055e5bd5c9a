"""Challenges an agent scores: what the platform keeps of them, and waking the agents that wait."""

from __future__ import annotations

import logging
from typing import Iterable

import numpy as np

from ultrathon.challenge_folder import ValidatedChallenge

from ..extensions import db
from ..models import Challenge, Submission
from ..queueing import get_redis
from .models import AgentChallenge

log = logging.getLogger(__name__)

WAKE_KEY = "ultrathon:agent:wake:{challenge_id}"
WAKE_TTL_S = 60  # a wake-up nobody waited for is only a hint; let it go


def store_agent_challenge(challenge: Challenge, validated: ValidatedChallenge) -> None:
    """Keep an agent challenge's accepted ids, split sizes and pinned fingerprint (never a label)."""
    scoring = validated.spec.scoring
    row = db.session.get(AgentChallenge, challenge.id) if challenge.id else None
    if not scoring.by_agent:
        if row is not None:
            db.session.delete(row)
        return
    if row is None:
        row = AgentChallenge(challenge_id=challenge.id)
        db.session.add(row)
    row.solution_sha256 = scoring.solution_sha256 or ""  # several sites pin theirs in agent_site
    row.submission_ids = list(validated.accepted_ids)
    row.split_sizes = scoring.split_sizes.model_dump() if scoring.split_sizes else None
    from .sites import store_sites

    store_sites(challenge, validated)


def accepted_ids(challenge: Challenge) -> np.ndarray | None:
    """Return the ids an agent challenge's submissions must hold, or None when the platform scores it."""
    if not challenge.settings.scoring.by_agent:
        return None
    ids = db.session.execute(
        db.select(AgentChallenge.submission_ids).where(AgentChallenge.challenge_id == challenge.id)
    ).scalar_one_or_none()
    return None if ids is None else np.asarray(ids, dtype=object)


def agent_challenge_ids() -> db.Select:
    """Return a query of the ids of challenges agents score, for the platform's workers to leave alone."""
    return db.select(AgentChallenge.challenge_id)


def split_agent_deliveries(deliveries: list[tuple[int, str, int]]) -> tuple[list[tuple[int, str, int]], set[int]]:
    """Return the deliveries for the platform's workers, and the agent challenges the rest wait in."""
    if not deliveries:
        return deliveries, set()
    rows = db.session.execute(
        db.select(Submission.id, Submission.challenge_id)
        .where(Submission.id.in_([d[0] for d in deliveries]), Submission.challenge_id.in_(agent_challenge_ids()))
    ).all()
    by_agent = {sid: cid for sid, cid in rows}
    return [d for d in deliveries if d[0] not in by_agent], set(by_agent.values())


def wake_agents(challenge_ids: Iterable[int]) -> None:
    """Tell agents waiting in a long poll that a job may be there (after the commit that made it)."""
    try:
        pipe = get_redis().pipeline()
        for challenge_id in challenge_ids:
            key = WAKE_KEY.format(challenge_id=challenge_id)
            pipe.rpush(key, "1").expire(key, WAKE_TTL_S)
        pipe.execute()
    except Exception:
        # An agent's long poll looks again on its own within seconds; the row is the truth.
        log.warning("could not wake the scoring agents of %s", list(challenge_ids), exc_info=True)
