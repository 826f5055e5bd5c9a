"""score metric replicates: bootstrap replicates of a multi-metric ranking scheme's other metrics

Revision ID: a4e7c9d2b813
Revises: 8d4f1a2b6c97
Create Date: 2026-12-03 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a4e7c9d2b813'
down_revision = '8d4f1a2b6c97'
branch_labels = None
depends_on = None


def upgrade():
    # Scores from before this revision have none; a challenge that takes up a scheme is re-scored.
    with op.batch_alter_table('score', schema=None) as batch_op:
        batch_op.add_column(sa.Column('metric_replicates', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('score', schema=None) as batch_op:
        batch_op.drop_column('metric_replicates')
