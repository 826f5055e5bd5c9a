"""score horizons: td_auc and Brier per horizon of a survival-curve submission, per split

Revision ID: 8d4f1a2b6c97
Revises: 5c2e8d1f4a6b
Create Date: 2026-12-03 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8d4f1a2b6c97'
down_revision = '5c2e8d1f4a6b'
branch_labels = None
depends_on = None


def upgrade():
    # Null for every score but a survival-curve submission's; older scores have none until re-scored.
    with op.batch_alter_table('score', schema=None) as batch_op:
        batch_op.add_column(sa.Column('horizons', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('score', schema=None) as batch_op:
        batch_op.drop_column('horizons')
