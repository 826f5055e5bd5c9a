"""score shown: the public score a team is shown under feedback: ladder (Blum and Hardt 2015)

Revision ID: d2f6b9a4c318
Revises: c5a8e3f1b702
Create Date: 2026-12-20 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd2f6b9a4c318'
down_revision = 'c5a8e3f1b702'
branch_labels = None
depends_on = None


def upgrade():
    # Null under live feedback, where the score itself is shown: every existing row reads as today.
    with op.batch_alter_table('score', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shown', sa.Double(), nullable=True))


def downgrade():
    with op.batch_alter_table('score', schema=None) as batch_op:
        batch_op.drop_column('shown')
