"""The leaderboard cache and its one invalidation function."""

from __future__ import annotations

import contextvars
import json
import logging
import threading
import time
import uuid
from datetime import timedelta
from typing import Callable

from flask import current_app, has_app_context

from ..queueing import STATS_QUEUE_NAME, get_queue, get_redis

log = logging.getLogger(__name__)

EVENTS_CHANNEL = "ultrathon:events"
SPLITS = ("public", "private")
CACHED_KINDS = ("json", "html", "charts")  # what is cached per split: standings, page table, chart series
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
    """Return the Redis key of a challenge's cached standings for one split (or another CACHED_KINDS)."""
    suffix = "" if kind == "json" else f":{kind}"
    return f"ultrathon:leaderboard:{challenge_id}:{split}{suffix}"



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


REVALIDATE_S = 5.0  # even with the events listener healthy, a kept copy is checked this often


class NearCache:
    """The values this process served, each tagged with the generation it was built at.

    A kept value is served without asking Redis while this process's events listener (live.py)
    is subscribed, has seen no change of that challenge since, and the value was checked within
    REVALIDATE_S; otherwise one small Redis read of the generation decides. A reader that knows
    a newer generation (a live page passes the one its event named) skips the kept value.
    """

    def __init__(self) -> None:
        self.values: dict[str, tuple[str, tuple[int, int], float, bytes]] = {}
        self.changes: dict[int, int] = {}  # challenge id -> changes seen by the listener
        self.epoch = 0  # bumped when changes may have gone unseen (listener (re)connected)
        self.listening = False

    def version(self, challenge_id: int) -> tuple[int, int]:
        """Return what this process has seen of a challenge's changes."""
        return self.epoch, self.changes.get(challenge_id, 0)

    def note_change(self, challenge_id: int | None) -> None:
        """Record that a challenge's standings changed (every challenge's may have when None)."""
        if challenge_id is None:
            self.epoch += 1
        else:
            self.changes[challenge_id] = self.changes.get(challenge_id, 0) + 1

    def fresh(self, challenge_id: int, key: str, generation: str | None) -> bytes | None:
        """Return the kept value if it can be served without asking Redis."""
        kept = self.values.get(key)
        if kept is None or not self.listening:
            return None
        token, version, checked_at, value = kept
        if version != self.version(challenge_id) or time.monotonic() - checked_at > REVALIDATE_S:
            return None
        if generation is not None and generation != token:
            return None
        return value


near_cache = NearCache()
# The generation a value is being built at: a cached value read while building it (a page cut
# from the standings) must be at least that new, or the old state would be kept under the new tag.
_building_at: contextvars.ContextVar[str | None] = contextvars.ContextVar("building_at", default=None)
# One computation per key at a time in this process: after a change, the hundreds of live pages
# that refetch at once wait for one standings query instead of each running their own.
_flights: dict[str, threading.Lock] = {}
_flights_lock = threading.Lock()


def cached(challenge_id: int, key: str, build: Callable[[], bytes], *, shared: bool = True,
           generation: str | None = None) -> bytes:
    """Return the value at `key` for the current generation, building and caching it on a miss.

    shared=False keeps the value in this process only (cheap to rebuild from shared parts);
    `generation` is one the caller knows to exist (from an event), if any.
    """
    generation = generation or _building_at.get()
    value = near_cache.fresh(challenge_id, key, generation)
    if value is not None:
        return value
    from .live import broadcaster  # the listener that keeps kept values honest

    broadcaster.ensure_listening()
    version = near_cache.version(challenge_id)  # read before Redis: a change after it shows
    redis = get_redis()
    current = cache_generation(challenge_id)
    kept = near_cache.values.get(key)
    if kept is not None and kept[0] == current:
        near_cache.values[key] = (current, version, time.monotonic(), kept[3])
        return kept[3]
    with _flights_lock:
        flight = _flights.setdefault(key, threading.Lock())
    with flight:
        kept = near_cache.values.get(key)  # built by the request this one waited for
        if kept is not None and kept[0] == current:
            return kept[3]
        # A value in Redis was stored at the generation current when it was stored (a clear
        # replaces the generation and deletes it at once), so it is at least as new as `current`.
        value = redis.get(key) if shared else None
        if value is None:
            building = _building_at.set(current)
            try:
                value = build()
            finally:
                _building_at.reset(building)
            if shared and not store_if_current(challenge_id, key, value, current):
                return value  # already outdated by a write: serve it once, keep nothing
        near_cache.values[key] = (current, version, time.monotonic(), value)
        return value


def clear_leaderboard(challenge_id: int, slug: str | None = None, *, schedule_stats: bool = True,
                      settings_changed: bool = False) -> None:
    """Drop a challenge's cached standings, tell live pages, and schedule the uncertainty job.

    Every write that changes standings calls this, after its commit. The uncertainty job
    calls it with schedule_stats=False when it has stored new figures; a challenge reload with
    settings_changed=True, so every process also forgets its copy of the challenge's settings.
    """
    from .standings import forget_board

    if settings_changed:
        forget_board(slug)
    try:
        redis = get_redis()
        generation = uuid.uuid4().hex
        with redis.pipeline(transaction=True) as pipe:
            pipe.set(generation_key(challenge_id), generation)
            pipe.delete(*[cache_key(challenge_id, split, kind) for split in SPLITS for kind in CACHED_KINDS])
            pipe.publish(EVENTS_CHANNEL, json.dumps({"event": "leaderboard", "challenge_id": challenge_id,
                                                     "slug": slug, "generation": generation,
                                                     "settings_changed": settings_changed}))
            pipe.execute()
        near_cache.note_change(challenge_id)  # this process knows at once, before its listener does
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
    queue = get_queue(redis, STATS_QUEUE_NAME)
    if delay > 0:
        queue.enqueue_in(timedelta(seconds=delay), STATS_JOB, challenge_id, job_timeout=600)
    else:
        queue.enqueue(STATS_JOB, challenge_id, job_timeout=600)
    return True
