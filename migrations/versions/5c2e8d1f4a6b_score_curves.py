"""score curves: reliability bins and decision curve of a binary submission, per split

Revision ID: 5c2e8d1f4a6b
Revises: 7c4d2e9b1a53
Create Date: 2026-11-30 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c2e8d1f4a6b'
down_revision = '7c4d2e9b1a53'
branch_labels = None
depends_on = None


def upgrade():
    # Scores from before this revision have no curves until they are re-scored; pages show none.
    with op.batch_alter_table('score', schema=None) as batch_op:
        batch_op.add_column(sa.Column('curves', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('score', schema=None) as batch_op:
        batch_op.drop_column('curves')
