"""Flask extensions as module-level objects, bound to an app in create_app."""

from __future__ import annotations

import re

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import Engine, MetaData, event
from sqlalchemy.orm import DeclarativeBase

# Longer than any healthy write transaction, so a writer waits for another instead of failing;
# shorter than gunicorn's 30 s worker timeout, which would kill a process waiting longer.
SQLITE_BUSY_TIMEOUT_MS = 15_000
_READ_ONLY_STATEMENT = re.compile(r"\s*(SELECT|PRAGMA|EXPLAIN)\b", re.IGNORECASE)

# A fixed naming convention keeps constraint names, and so Alembic migrations, stable.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """The declarative base with the naming convention on its metadata."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def configure_sqlite(engine: Engine) -> None:
    """Make a SQLite engine wait for its lock instead of failing: WAL, a busy timeout, writes that lock first."""
    if engine.dialect.name != "sqlite":
        return
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "before_cursor_execute", _begin_before_first_write)


def _sqlite_connect(dbapi_connection, _record) -> None:
    # SQLAlchemy's recipe: the driver no longer emits BEGIN itself; _begin_before_first_write does.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")  # first: switching to WAL may wait too
    # Readers and the one writer no longer block each other; the mode stays with the file.
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.close()


def _begin_before_first_write(_conn, cursor, statement: str, _parameters, _context, _executemany) -> None:
    """Open the transaction with BEGIN IMMEDIATE just before its first write.

    SQLite never waits to turn a reading transaction into a writing one: with another writer
    about, it fails with "database is locked" at once, whatever the busy timeout. So reads
    before the first write run on their own (the latest data, as PostgreSQL's read committed),
    and the write transaction takes the lock up front, waiting its turn under the busy timeout.
    """
    if not cursor.connection.in_transaction and not _READ_ONLY_STATEMENT.match(statement):
        cursor.execute("BEGIN IMMEDIATE")
