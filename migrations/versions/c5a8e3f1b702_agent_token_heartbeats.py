"""agent token heartbeats: counted on the agent's row rather than one audit row each

Revision ID: c5a8e3f1b702
Revises: b7e3f1c8d2a4
Create Date: 2026-12-14 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c5a8e3f1b702'
down_revision = 'b7e3f1c8d2a4'
branch_labels = None
depends_on = None


def upgrade():
    # A heartbeat every 30 s per job would swamp the audit log; the agent's row counts them.
    with op.batch_alter_table('agent_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('heartbeats', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('agent_token', schema=None) as batch_op:
        batch_op.drop_column('heartbeats')
