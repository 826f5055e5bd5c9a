"""results publication: an organiser's release of the final standings, with its withdrawal

Revision ID: d3f9a1c6e2b5
Revises: d2f6b9a4c318
Create Date: 2026-12-16 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd3f9a1c6e2b5'
down_revision = 'd2f6b9a4c318'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('results_publication',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
    sa.Column('withdrawn_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenge.id'], name=op.f('fk_results_publication_challenge_id_challenge'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['published_by_id'], ['user.id'], name=op.f('fk_results_publication_published_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['withdrawn_by_id'], ['user.id'], name=op.f('fk_results_publication_withdrawn_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_results_publication'))
    )
    with op.batch_alter_table('results_publication', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_results_publication_challenge_id'), ['challenge_id'], unique=False)


def downgrade():
    with op.batch_alter_table('results_publication', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_results_publication_challenge_id'))
    op.drop_table('results_publication')
