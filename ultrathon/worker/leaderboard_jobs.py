"""The leaderboard's background job: rank uncertainty, shake-up, subgroups and chart series."""

from __future__ import annotations

import logging

from sqlalchemy.exc import IntegrityError

from ultrathon.platform.extensions import db
from ultrathon.platform.leaderboard.cache import clear_leaderboard, stats_pending_key
from ultrathon.platform.leaderboard.stats import compute_leaderboard_stats, store_leaderboard_stats
from ultrathon.platform.leaderboard.standings import board_of
from ultrathon.platform.models import Challenge
from ultrathon.platform.queueing import get_redis
from ultrathon.worker.context import job_context

log = logging.getLogger(__name__)


def update_leaderboard_stats(challenge_id: int) -> str:
    """Recompute and store a challenge's leaderboard stats, then tell live pages."""
    with job_context():
        # Cleared first: a change that lands while this runs schedules the next run.
        get_redis().delete(stats_pending_key(challenge_id))
        challenge = db.session.get(Challenge, challenge_id)
        if challenge is None:
            return "challenge gone"
        counts = {}
        for phase in challenge.phases:
            board = board_of(challenge, phase)
            payloads = compute_leaderboard_stats(board)
            _store(board, payloads)
            counts[phase.slug] = {split: len(p["teams"]) for split, p in payloads.items()}
        clear_leaderboard(challenge.id, challenge.slug, schedule_stats=False)
        log.info("leaderboard stats of %s: %s teams with rank figures", challenge.slug, counts)
        return f"stats for {counts}"


def _store(board, payloads) -> None:
    """Store one phase's stats, retrying once when another run inserted the first row at the same time."""
    for attempt in (1, 2):
        try:
            store_leaderboard_stats(board, payloads)
            db.session.commit()
            return
        except IntegrityError:
            # Two runs inserted the first stats row at once; the loser updates the winner's.
            db.session.rollback()
            if attempt == 2:
                raise
