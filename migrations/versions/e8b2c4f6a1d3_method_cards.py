"""method cards: what a team says of how it made a final entry

Revision ID: e8b2c4f6a1d3
Revises: d3f9a1c6e2b5
Create Date: 2026-12-03 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e8b2c4f6a1d3'
down_revision = 'd3f9a1c6e2b5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('method_card',
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('code_url', sa.String(length=500), nullable=False),
    sa.Column('extra', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_method_card_submission_id_submission'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('submission_id', name=op.f('pk_method_card'))
    )


def downgrade():
    op.drop_table('method_card')
