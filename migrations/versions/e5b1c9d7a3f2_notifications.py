"""e-mail notifications: each person's settings, and the events announced (each sent once)

Revision ID: e5b1c9d7a3f2
Revises: d2a6f8b3c1e7
Create Date: 2026-12-07 10:00:00.000000

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5b1c9d7a3f2'
down_revision = 'd2a6f8b3c1e7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notification_settings',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('submission_failed', sa.Boolean(), nullable=False),
    sa.Column('submission_scored', sa.Boolean(), nullable=False),
    sa.Column('access_decided', sa.Boolean(), nullable=False),
    sa.Column('phase_opened', sa.Boolean(), nullable=False),
    sa.Column('results_published', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_notification_settings_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_notification_settings'))
    )
    sent = op.create_table('notification_sent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('ref_id', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_sent')),
    sa.UniqueConstraint('kind', 'ref_id', name=op.f('uq_notification_sent_kind'))
    )
    _mark_the_past_announced(sent)


def _mark_the_past_announced(sent):
    """Count what happened before this revision as announced, so the first sweep mails no old news."""
    conn = op.get_bind()
    now = datetime.now(timezone.utc).replace(tzinfo=None)  # stored naive UTC, as UTCDateTime does
    phases = conn.execute(sa.text(
        "SELECT phase.id, phase.opens_at, phase.closes_at, challenge.spec"
        " FROM phase JOIN challenge ON challenge.id = phase.challenge_id"
    )).all()
    published = set(conn.execute(sa.text("SELECT phase_id FROM results_publication WHERE withdrawn_at IS NULL")).scalars())
    rows = []
    for phase_id, opens_at, closes_at, spec in phases:
        opens_at, closes_at = _naive(opens_at), _naive(closes_at)
        if opens_at <= now:
            rows.append({"kind": "phase_opened", "ref_id": phase_id, "sent_at": now, "recipients": 0})
        at_close = _publish_mode(spec) == "at_close"
        if closes_at <= now and (at_close or phase_id in published):
            rows.append({"kind": "results_published", "ref_id": phase_id, "sent_at": now, "recipients": 0})
    if rows:
        op.bulk_insert(sent, rows)


def _naive(moment):
    # SQLite hands timestamps back as text.
    return datetime.fromisoformat(moment) if isinstance(moment, str) else moment.replace(tzinfo=None)


def _publish_mode(spec) -> str:
    import json

    spec = json.loads(spec) if isinstance(spec, str) else (spec or {})
    return ((spec.get("results") or {}).get("publish")) or "manual"


def downgrade():
    op.drop_table('notification_sent')
    op.drop_table('notification_settings')
