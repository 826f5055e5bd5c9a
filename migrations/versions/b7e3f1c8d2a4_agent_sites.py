"""agent sites: each site's pin and ids, one scoring job per site and submission, the site of tokens and leases

Revision ID: b7e3f1c8d2a4
Revises: 9a4e7b2c1d08
Create Date: 2026-12-02 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e3f1c8d2a4'
down_revision = '9a4e7b2c1d08'
branch_labels = None
depends_on = None


def upgrade():
    # New tables and nullable columns: tokens and leases of one-agent challenges keep site null.
    op.create_table('agent_site',
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('site', sa.String(length=64), nullable=False),
    sa.Column('solution_sha256', sa.String(length=64), nullable=False),
    sa.Column('ids', sa.JSON(), nullable=False),
    sa.Column('split_sizes', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenge.id'], name=op.f('fk_agent_site_challenge_id_challenge'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('challenge_id', 'site', name=op.f('pk_agent_site'))
    )
    op.create_table('agent_site_job',
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('site', sa.String(length=64), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('lease_id', sa.String(length=64), nullable=True),
    sa.Column('done_at', sa.DateTime(), nullable=True),
    sa.Column('fingerprint', sa.String(length=64), nullable=True),
    sa.Column('scores', sa.JSON(), nullable=True),
    sa.Column('replicates', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenge.id'], name=op.f('fk_agent_site_job_challenge_id_challenge'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_agent_site_job_submission_id_submission'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('submission_id', 'site', name=op.f('pk_agent_site_job'))
    )
    with op.batch_alter_table('agent_site_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agent_site_job_challenge_id'), ['challenge_id'], unique=False)
    with op.batch_alter_table('agent_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('site', sa.String(length=64), nullable=True))
    with op.batch_alter_table('agent_lease', schema=None) as batch_op:
        batch_op.add_column(sa.Column('site', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('agent_lease', schema=None) as batch_op:
        batch_op.drop_column('site')
    with op.batch_alter_table('agent_token', schema=None) as batch_op:
        batch_op.drop_column('site')
    with op.batch_alter_table('agent_site_job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agent_site_job_challenge_id'))
    op.drop_table('agent_site_job')
    op.drop_table('agent_site')
