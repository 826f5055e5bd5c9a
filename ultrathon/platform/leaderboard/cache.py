"""The leaderboard's state, in Redis and in this process, and its one invalidation function.

Redis holds the cached standings of each split and a generation per challenge (new on every
write). This process keeps the values it served (the near cache) and its copies of challenges'
settings (boards), and one listener on the events channel tells it when either went stale.
Everything else in the leaderboard reads and clears state through this module.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import threading
import time
import uuid
from datetime import timedelta
from typing import Callable

from flask import current_app, has_app_context
from redis import Redis

from .. import telemetry
from ..queueing import STATS_QUEUE_NAME, get_queue, get_redis, redis_url
from .board import Board

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


def cache_key(challenge_id: int, split: str, kind: str = "json", *, phase: int) -> str:
    """Return the key of a phase's cached standings for one split (or another kind: html, charts), before its generation."""
    suffix = "" if kind == "json" else f":{kind}"
    return f"ultrathon:leaderboard:{challenge_id}:{phase}:{split}{suffix}"


def stored_key(key: str, generation: str) -> str:
    """Return the Redis key of a value built at `generation`: a new state never reads an older one."""
    # Keyed by the generation, so a clear need not know every phase's keys to make them stale.
    return f"{key}@{generation}"


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
    return bool(script(keys=[stored_key(key, generation), generation_key(challenge_id)],
                       args=[value, generation, CACHE_TTL_S]))


REVALIDATE_S = 5.0  # even with the events listener healthy, a kept copy is checked this often


class NearCache:
    """The values this process served, each tagged with the generation it was built at.

    A kept value is served without asking Redis while this process's events listener (below) is
    subscribed, has seen no change of that challenge since, and the value was checked within
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
        telemetry.count("leaderboard_cache", result="hit")
        return value
    events_listener.ensure_listening()  # what keeps kept values honest
    version = near_cache.version(challenge_id)  # read before Redis: a change after it shows
    redis = get_redis()
    current = cache_generation(challenge_id)
    kept = near_cache.values.get(key)
    if kept is not None and kept[0] == current:
        near_cache.values[key] = (current, version, time.monotonic(), kept[3])
        telemetry.count("leaderboard_cache", result="hit")
        return kept[3]
    with _flights_lock:
        flight = _flights.setdefault(key, threading.Lock())
    with flight:
        kept = near_cache.values.get(key)  # built by the request this one waited for
        if kept is not None and kept[0] == current:
            return kept[3]
        # A value in Redis is stored under the generation it was built at (stored_key).
        value = redis.get(stored_key(key, current)) if shared else None
        telemetry.count("leaderboard_cache", result="miss" if value is None else "shared")
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


# --- Boards: this process's copies of challenges' settings ---------------------------------------

BOARD_TTL_S = 5.0  # how long a web process trusts its copy of a challenge's settings
# Reading a challenge row on every leaderboard request would cost more than serving the cached
# standings; a few seconds' memory is safe because a challenge reload makes every process forget
# its copy (clear_leaderboard with settings_changed, and its event).
_boards: dict[str, tuple[float, Board]] = {}
_boards_lock = threading.Lock()
# When a copy merely expired, one request per process re-reads it while the others keep the old
# one: with a shared expiry every request in flight ran the same query at once, and waiting for
# database connections held a tenth of a second's requests for up to half a second.
_board_refresh = threading.Lock()


def kept_board(slug: str) -> Board | None:
    """Return this process's fresh copy of a challenge's board, without reading the database."""
    kept = _boards.get(slug)
    if kept is None or time.monotonic() - kept[0] >= BOARD_TTL_S:
        return None
    return kept[1]


def kept_or_read(slug: str, read: Callable[[str], Board | None]) -> Board | None:
    """Return the kept board when fresh, else the one `read` gets (which passes it to keep_board)."""
    kept = _boards.get(slug)
    if kept is None:
        return read(slug)
    if time.monotonic() - kept[0] < BOARD_TTL_S:
        return kept[1]
    if not _board_refresh.acquire(blocking=False):
        return kept[1]  # expired, not forgotten: another request of this process is reading it
    try:
        return kept_board(slug) or read(slug)  # unless the request before this one just did
    finally:
        _board_refresh.release()


def keep_board(slug: str, read_at: float, board: Board | None) -> Board | None:
    """Keep a board read at `read_at` (forget the slug's when the challenge is gone); return it."""
    with _boards_lock:
        if board is None:
            _boards.pop(slug, None)
        else:
            _boards[slug] = (read_at, board)
    return board


def forget_board(slug: str | None = None) -> None:
    """Forget this process's copy of a challenge's settings (all of them when no slug is given)."""
    with _boards_lock:
        if slug is None:
            _boards.clear()
        else:  # every phase's board of the challenge, kept as "slug@phase"
            for key in [k for k in _boards if k.partition("@")[0] == slug]:
                _boards.pop(key, None)


# --- The events listener: one subscription per process -------------------------------------------

EVENTS_POLL_S = 15.0  # how long the listener waits for a message before asking again
RECONNECT_S = 1.0


class EventsListener:
    """Listen to the events channel once per process: mark what it keeps stale, then tell the handlers.

    Handlers (live.py's streams) are registered with on_event. Under gunicorn's gevent workers
    the listener thread is a greenlet, so it costs one Redis connection per process.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._url: str | None = None
        self._handlers: list[Callable[[dict], object]] = []
        self.connected = threading.Event()

    def on_event(self, handler: Callable[[dict], object]) -> None:
        """Call `handler` with every leaderboard event, after this process's state has caught up."""
        self._handlers.append(handler)

    def forget_parent(self) -> None:
        """Start afresh in a forked child: the parent's listener did not come along."""
        self._lock = threading.Lock()
        self._thread = None
        self.connected = threading.Event()
        near_cache.listening = False
        near_cache.note_change(None)

    def ensure_listening(self, url: str | None = None) -> None:
        """Start this process's listener if it has none."""
        thread = self._thread
        if thread is not None and thread.is_alive():
            return
        url = url or redis_url()
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._url = url
                self._thread = threading.Thread(target=self._listen, name="leaderboard-events", daemon=True)
                self._thread.start()

    def _hand_out(self, event: dict) -> None:
        for handler in self._handlers:
            handler(event)

    def _listen(self) -> None:
        """Receive events for as long as the process lives, reconnecting when Redis goes away."""
        failures = 0
        while True:
            try:
                client = Redis.from_url(self._url, socket_connect_timeout=2, health_check_interval=30,
                                        client_name=f"ultrathon-events-{os.getpid()}")
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(EVENTS_CHANNEL)
                # Changes before this moment went unseen: values kept so far are checked again.
                near_cache.note_change(None)
                forget_board()  # a challenge reloaded meanwhile is read again too
                near_cache.listening = True
                if self.connected.is_set():
                    # Back after a drop: events may have been missed, so every page refreshes.
                    self._hand_out({"event": "leaderboard", "reconnected": True})
                self.connected.set()
                failures = 0
                while True:
                    message = pubsub.get_message(timeout=EVENTS_POLL_S)
                    if message is None or message.get("type") != "message":
                        continue
                    try:
                        event = json.loads(message["data"])
                    except (TypeError, ValueError):
                        continue
                    if isinstance(event, dict) and event.get("event") == "leaderboard":
                        # First what this process keeps (standings, a reloaded challenge's settings),
                        # then the pages: their refetch must not meet an outdated copy here.
                        near_cache.note_change(event.get("challenge_id"))
                        if event.get("settings_changed"):
                            forget_board(event.get("slug"))
                        self._hand_out(event)
            except Exception as exc:
                near_cache.listening = False
                failures += 1
                if failures == 1:
                    log.warning("leaderboard events listener lost Redis (%s); reconnecting", exc)
                time.sleep(min(RECONNECT_S * failures, 10.0))


events_listener = EventsListener()
os.register_at_fork(after_in_child=events_listener.forget_parent)


def clear_leaderboard(challenge_id: int, slug: str | None = None, *, schedule_stats: bool = True,
                      settings_changed: bool = False) -> None:
    """Drop a challenge's cached standings, tell live pages, and schedule the uncertainty job.

    Every write that changes standings calls this, after its commit. The uncertainty job
    calls it with schedule_stats=False when it has stored new figures; a challenge reload with
    settings_changed=True, so every process also forgets its copy of the challenge's settings.
    """
    if settings_changed:
        forget_board(slug)
    try:
        redis = get_redis()
        generation = uuid.uuid4().hex
        with redis.pipeline(transaction=True) as pipe:
            pipe.set(generation_key(challenge_id), generation)
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
