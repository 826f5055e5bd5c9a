"""Counters and the latency histogram behind GET /metrics, shared by every process through Redis.

Each process adds to its own counts in memory (a leaderboard hit must stay a dictionary
update) and adds them to Redis at most once a second; a scrape adds its own process's counts
first, then reads the totals, so any gunicorn worker can answer it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter

log = logging.getLogger(__name__)

COUNTERS_KEY = "ultrathon:metrics:counters"
LATENCY_KEY = "ultrathon:metrics:latency"
FLUSH_EVERY_S = 1.0
# Upload to scored, in seconds: the platform's own workers answer in well under a second.
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0)

_lock = threading.Lock()
_counts: Counter[str] = Counter()
_latency: Counter[str] = Counter()
_last_flush = time.monotonic()


def field(name: str, **labels: str) -> str:
    """Return the Redis hash field of a counter with these labels (name|key=value|...)."""
    # A label value (an agent's name is free text) must not hold the field's own separators.
    return "|".join([name, *(f"{key}={str(value).replace('|', '_').replace('=', '_')}" for key, value in sorted(labels.items()))])


def count(name: str, amount: int = 1, **labels: str) -> None:
    """Add to a counter (scoring_failures, agent_leases, agent_heartbeats, leaderboard_cache)."""
    with _lock:
        _counts[field(name, **labels)] += amount
    _maybe_flush()


def observe_latency(seconds: float) -> None:
    """Add one upload-to-scored latency to the histogram."""
    bucket = next((str(edge) for edge in LATENCY_BUCKETS if seconds <= edge), "+Inf")
    with _lock:
        _latency[bucket] += 1
        _latency["count"] += 1
        _latency["sum_ms"] += int(round(seconds * 1000))
    _maybe_flush()


def _maybe_flush() -> None:
    if time.monotonic() - _last_flush >= FLUSH_EVERY_S:
        flush()


def flush() -> None:
    """Add this process's counts to Redis; keep them for the next try if Redis is away."""
    global _last_flush
    with _lock:
        counts, latency = dict(_counts), dict(_latency)
        _counts.clear()
        _latency.clear()
        _last_flush = time.monotonic()
    if not counts and not latency:
        return
    from .queueing import get_redis

    try:
        pipe = get_redis().pipeline(transaction=False)
        for key, values in ((COUNTERS_KEY, counts), (LATENCY_KEY, latency)):
            for name, amount in values.items():
                pipe.hincrby(key, name, amount)
        pipe.execute()
    except Exception:
        # Figures are worth less than the request that counted them: keep them and go on.
        with _lock:
            _counts.update(counts)
            _latency.update(latency)
        log.debug("could not add metrics to Redis", exc_info=True)


def totals() -> tuple[dict[str, int], dict[str, int]]:
    """Return every process's counters and latency buckets, as Redis holds them."""
    from .queueing import get_redis

    flush()
    redis = get_redis()
    counters = {k.decode(): int(v) for k, v in redis.hgetall(COUNTERS_KEY).items()}
    latency = {k.decode(): int(v) for k, v in redis.hgetall(LATENCY_KEY).items()}
    return counters, latency


def reset() -> None:
    """Forget every count, here and in Redis (for tests)."""
    from .queueing import get_redis

    with _lock:
        _counts.clear()
        _latency.clear()
    get_redis().delete(COUNTERS_KEY, LATENCY_KEY)
