"""The models and the migrations agree, and the audit trail only grows."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from ultrathon.platform.audit import record
from ultrathon.platform.extensions import db
from ultrathon.platform.models import AuditEvent


def test_migrations_match_the_models(ctx):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_audit_events_cannot_be_changed_or_deleted(ctx, make_user):
    user = make_user()
    event = record("login", actor=user)
    db.session.commit()
    event.action = "something else"
    with pytest.raises(ValueError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    stored = db.session.get(AuditEvent, event.id)
    assert stored.action == "login"
    db.session.delete(stored)
    with pytest.raises(ValueError, match="append-only"):
        db.session.flush()
    db.session.rollback()


def test_timestamps_come_back_in_utc(ctx, make_user):
    user = make_user()
    db.session.expire_all()
    assert db.session.get(type(user), user.id).created_at.tzinfo is not None
