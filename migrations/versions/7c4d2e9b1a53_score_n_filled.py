"""score n_filled: how many predictions of the split were filled as submission.missing says

Revision ID: 7c4d2e9b1a53
Revises: 3b1f7c2a9d40
Create Date: 2026-11-30 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c4d2e9b1a53'
down_revision = '3b1f7c2a9d40'
branch_labels = None
depends_on = None


def upgrade():
    # Scores from before this revision came from complete submissions: none was filled.
    with op.batch_alter_table('score', schema=None) as batch_op:
        batch_op.add_column(sa.Column('n_filled', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('score', schema=None) as batch_op:
        batch_op.drop_column('n_filled')
