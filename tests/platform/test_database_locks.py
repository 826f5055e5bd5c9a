"""The embedded SQLite database waits for its write lock instead of failing with "database is locked"."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from ultrathon.platform.extensions import db
from ultrathon.platform.models import User


@pytest.fixture
def sqlite_file(ctx) -> str:
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's locking only: PostgreSQL locks rows")
    return db.engine.url.database


def _hold_write_lock(path: str, seconds: float, taken: threading.Event) -> None:
    """Hold the database's write lock from a connection of its own, as another process would."""
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        taken.set()
        time.sleep(seconds)
        other.execute("COMMIT")
    finally:
        other.close()


def test_the_database_file_is_in_write_ahead_log_mode(sqlite_file):
    # Readers then never wait for the writer, nor the writer's commit for readers.
    assert db.session.execute(db.text("PRAGMA journal_mode")).scalar_one() == "wal"


def test_a_write_after_reads_waits_for_a_writer_holding_the_lock_six_seconds(sqlite_file, make_user):
    user = make_user()
    user_id = user.id
    db.session.commit()
    taken = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(sqlite_file, 6.0, taken))
    holder.start()
    try:
        assert taken.wait(timeout=10)
        started = time.monotonic()
        # Read first, then write in the same session: the write must queue for the lock, not fail.
        assert db.session.get(User, user_id).name
        db.session.execute(db.update(User).where(User.id == user_id).values(name="Waited"))
        db.session.commit()
        waited = time.monotonic() - started
    finally:
        holder.join(timeout=20)
    db.session.expire_all()
    assert db.session.get(User, user_id).name == "Waited"
    assert waited > 4, f"the write went through after {waited:.1f} s while the lock was held"
