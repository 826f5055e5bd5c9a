"""The leaderboard cache and its one invalidation function."""

from __future__ import annotations

import json
import logging

from ..queueing import get_redis

log = logging.getLogger(__name__)

EVENTS_CHANNEL = "ultrathon:events"


def cache_key(challenge_id: int, split: str) -> str:
    """Return the Redis key of a challenge's cached standings for one split."""
    return f"ultrathon:leaderboard:{challenge_id}:{split}"


def clear_leaderboard(challenge_id: int, slug: str | None = None) -> None:
    """Drop a challenge's cached standings and tell live pages they changed.

    Every write that changes standings calls this, after its commit.
    """
    try:
        redis = get_redis()
        redis.delete(cache_key(challenge_id, "public"), cache_key(challenge_id, "private"))
        redis.publish(EVENTS_CHANNEL, json.dumps({"event": "leaderboard", "challenge_id": challenge_id, "slug": slug}))
    except Exception:
        # Redis down: standings are recomputed from the database once it is back; nothing is lost.
        log.warning("could not clear the leaderboard cache of challenge %s", challenge_id, exc_info=True)
