"""The leaderboard cache and its one invalidation function."""

from __future__ import annotations

import json
import logging
import threading
import uuid
from datetime import timedelta
from typing import Callable

from flask import current_app, has_app_context

from ..queueing import get_queue, get_redis

log = logging.getLogger(__name__)

EVENTS_CHANNEL = "ultrathon:events"
SPLITS = ("public", "private")
CACHE_TTL_S = 3600  # a safety net only: every write that changes standings clears the cache
STATS_JOB = "ultrathon.worker.leaderboard_jobs.update_leaderboard_stats"
DEFAULT_STATS_DELAY_S = 3  # changes within this window share one uncertainty computation

# Store a computed value only if no write cleared the cache since the computation began,
# so a slow reader can never put standings older than the last write back into the cache.
_SET_IF_CURRENT = """
if (redis.call('GET', KEYS[2]) or '0') == ARGV[2] then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
  return 1
end
return 0
"""


def cache_key(challenge_id: int, split: str, kind: str = "json") -> str:
    """Return the Redis key of a challenge's cached standings for one split (JSON, or page HTML)."""
    suffix = "" if kind == "json" else f":{kind}"
    return f"ultrathon:leaderboard:{challenge_id}:{split}{suffix}"


CACHED_KINDS = ("json", "html", "charts")


def generation_key(challenge_id: int) -> str:
    """Return the key naming the current state of a challenge's standings (new on every write)."""
    return f"ultrathon:leaderboard:{challenge_id}:generation"


def stats_pending_key(challenge_id: int) -> str:
    """Return the key that marks a challenge's uncertainty job as already scheduled."""
    return f"ultrathon:leaderboard:{challenge_id}:stats-pending"


def cache_generation(challenge_id: int) -> str:
    """Return the token of the standings' current state, to pass to store_if_current later."""
    redis = get_redis()
    value = redis.get(generation_key(challenge_id))
    if value is None:
        # A random token, never a counter: after Redis lost its data, no value built before
        # can match the new state by chance.
        redis.set(generation_key(challenge_id), uuid.uuid4().hex, nx=True)
        value = redis.get(generation_key(challenge_id))
    return value.decode()


def store_if_current(challenge_id: int, key: str, value: bytes, generation: str) -> bool:
    """Cache a value computed at `generation` unless the standings changed since; return if stored."""
    script = get_redis().register_script(_SET_IF_CURRENT)
    return bool(script(keys=[key, generation_key(challenge_id)], args=[value, generation, CACHE_TTL_S]))


# Each web process keeps the values it served, tagged with the generation they were built at: a
# request then costs one tiny Redis read (the generation) instead of moving the whole standings.
_local: dict[str, tuple[str, bytes]] = {}
# One computation per key at a time in this process: after a change, the hundreds of live pages
# that refetch at once wait for one standings query instead of each running their own.
_flights: dict[str, threading.Lock] = {}
_flights_lock = threading.Lock()


def cached(challenge_id: int, key: str, build: Callable[[], bytes], *, shared: bool = True) -> bytes:
    """Return the value at `key` for the current generation, building and caching it on a miss.

    shared=False keeps the value in this process only (cheap to rebuild from shared parts).
    """
    redis = get_redis()
    generation = cache_generation(challenge_id)
    local = _local.get(key)
    if local is not None and local[0] == generation:
        return local[1]
    with _flights_lock:
        flight = _flights.setdefault(key, threading.Lock())
    with flight:
        local = _local.get(key)  # built by the request this one waited for
        if local is not None and local[0] == generation:
            return local[1]
        # A value in Redis was stored at the generation current when it was stored (a clear bumps
        # the generation and deletes it at once), so it is at least as new as `generation`.
        value = redis.get(key) if shared else None
        if value is None:
            value = build()
            if shared and not store_if_current(challenge_id, key, value, generation):
                return value  # already outdated by a write: serve it once, keep nothing
        _local[key] = (generation, value)
        return value


def clear_leaderboard(challenge_id: int, slug: str | None = None, *, schedule_stats: bool = True) -> None:
    """Drop a challenge's cached standings, tell live pages, and schedule the uncertainty job.

    Every write that changes standings calls this, after its commit. The uncertainty job
    calls it with schedule_stats=False when it has stored new figures.
    """
    from .standings import forget_board

    forget_board(slug)
    try:
        redis = get_redis()
        with redis.pipeline(transaction=True) as pipe:
            pipe.set(generation_key(challenge_id), uuid.uuid4().hex)
            pipe.delete(*[cache_key(challenge_id, split, kind) for split in SPLITS for kind in CACHED_KINDS])
            pipe.publish(EVENTS_CHANNEL, json.dumps({"event": "leaderboard", "challenge_id": challenge_id, "slug": slug}))
            pipe.execute()
        if schedule_stats:
            schedule_leaderboard_stats(challenge_id)
    except Exception:
        # Redis down: standings are recomputed from the database once it is back; nothing is lost.
        log.warning("could not clear the leaderboard cache of challenge %s", challenge_id, exc_info=True)


def stats_delay_s() -> float:
    """Return how long changes are gathered before the uncertainty job runs."""
    if has_app_context():
        return float(current_app.config.get("LEADERBOARD_STATS_DELAY_S", DEFAULT_STATS_DELAY_S))
    return DEFAULT_STATS_DELAY_S


def schedule_leaderboard_stats(challenge_id: int) -> bool:
    """Schedule the uncertainty job unless one is already waiting; return whether this call did."""
    redis = get_redis()
    delay = stats_delay_s()
    # The job deletes the mark when it starts, so changes during a run schedule the next one;
    # the expiry only matters if no worker ever runs the job.
    if not redis.set(stats_pending_key(challenge_id), "1", nx=True, ex=int(delay) + 300):
        return False
    queue = get_queue(redis)
    if delay > 0:
        queue.enqueue_in(timedelta(seconds=delay), STATS_JOB, challenge_id, job_timeout=600)
    else:
        queue.enqueue(STATS_JOB, challenge_id, job_timeout=600)
    return True
