"""Checks that tell whether this process can serve and score."""

from __future__ import annotations

from datetime import timedelta

from rq import Worker
from sqlalchemy import text

from ..extensions import db
from ..models import utcnow
from ..queueing import get_redis

HEARTBEAT_WINDOW = timedelta(seconds=60)


def check_database() -> str | None:
    """Return None when the database answers, else why not."""
    try:
        db.session.execute(text("SELECT 1"))
        return None
    except Exception as exc:  # any driver error means "not ready"
        db.session.rollback()
        return f"database unreachable: {type(exc).__name__}"


def check_redis() -> str | None:
    """Return None when Redis answers, else why not."""
    try:
        get_redis().ping()
        return None
    except Exception as exc:
        return f"redis unreachable: {type(exc).__name__}"


def live_workers() -> int:
    """Return how many RQ workers sent a heartbeat within the window."""
    cutoff = utcnow() - HEARTBEAT_WINDOW
    count = 0
    for worker in Worker.all(connection=get_redis()):
        beat = worker.last_heartbeat
        if beat is not None and beat.replace(tzinfo=beat.tzinfo or cutoff.tzinfo) >= cutoff:
            count += 1
    return count


def readiness() -> tuple[bool, dict]:
    """Return whether database, Redis and a worker all answer, with the detail."""
    database, redis = check_database(), check_redis()
    problems = [p for p in (database, redis) if p]
    workers = live_workers() if redis is None else 0
    if redis is None and workers == 0:
        problems.append("no worker heartbeat in the last 60 s")
    detail = {
        "database": "down" if database else "ok",
        "redis": "down" if redis else "ok",
        "workers": workers,
        "problems": problems,
        "agents": _agents() if database is None else [],
    }
    return not problems, detail


def _agents() -> list[dict]:
    """Return the live scoring agents (name, version, last seen, jobs done, failures), never a token."""
    from ..agents.tokens import agent_rows

    try:
        return agent_rows()
    finally:
        db.session.rollback()
