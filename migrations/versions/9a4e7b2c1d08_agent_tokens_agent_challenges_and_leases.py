"""agent tokens, agent challenges and leases: scoring agents at the data holder (issue 15)

Revision ID: 9a4e7b2c1d08
Revises: a4e7c9d2b813
Create Date: 2026-12-03 07:35:56.916913

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9a4e7b2c1d08'
down_revision = 'a4e7c9d2b813'
branch_labels = None
depends_on = None


def upgrade():
    # The agent tables are new; no existing row changes.
    op.create_table('agent_challenge',
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('solution_sha256', sa.String(length=64), nullable=False),
    sa.Column('submission_ids', sa.JSON(), nullable=False),
    sa.Column('split_sizes', sa.JSON(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenge.id'], name=op.f('fk_agent_challenge_challenge_id_challenge'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('challenge_id', name=op.f('pk_agent_challenge'))
    )
    op.create_table('agent_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('last_seen_at', sa.DateTime(), nullable=True),
    sa.Column('version', sa.String(length=100), nullable=True),
    sa.Column('jobs_done', sa.Integer(), server_default='0', nullable=False),
    sa.Column('failures', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_agent_token_created_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agent_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_agent_token_token_hash'))
    )
    op.create_table('agent_token_challenge',
    sa.Column('agent_token_id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agent_token_id'], ['agent_token.id'], name=op.f('fk_agent_token_challenge_agent_token_id_agent_token'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenge.id'], name=op.f('fk_agent_token_challenge_challenge_id_challenge'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('agent_token_id', 'challenge_id', name=op.f('pk_agent_token_challenge'))
    )
    op.create_table('agent_lease',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('agent_token_id', sa.Integer(), nullable=False),
    sa.Column('leased_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['agent_token_id'], ['agent_token.id'], name=op.f('fk_agent_lease_agent_token_id_agent_token'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenge.id'], name=op.f('fk_agent_lease_challenge_id_challenge'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_agent_lease_submission_id_submission'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agent_lease'))
    )
    with op.batch_alter_table('agent_lease', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agent_lease_agent_token_id'), ['agent_token_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agent_lease_submission_id'), ['submission_id'], unique=False)



def downgrade():
    # The agent tables are new; no existing row changes.
    with op.batch_alter_table('agent_lease', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agent_lease_submission_id'))
        batch_op.drop_index(batch_op.f('ix_agent_lease_agent_token_id'))

    op.drop_table('agent_lease')
    op.drop_table('agent_token_challenge')
    op.drop_table('agent_token')
    op.drop_table('agent_challenge')
