"""user session version: bumping it ends every login session of the account

Revision ID: 3b1f7c2a9d40
Revises: 06dfe9644d7b
Create Date: 2026-11-23 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3b1f7c2a9d40'
down_revision = '06dfe9644d7b'
branch_labels = None
depends_on = None


def upgrade():
    # Sessions from before this revision carry a bare id, which no longer loads: everyone logs in once more.
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('session_version')
