"""phases: each challenge becomes a one-phase challenge; submissions, scores, stats and publications name their phase; commitments

Revision ID: f1a7c3e9b204
Revises: e8b2c4f6a1d3
Create Date: 2026-12-03 11:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f1a7c3e9b204'
down_revision = 'e8b2c4f6a1d3'
branch_labels = None
depends_on = None

PHASED = ('submission', 'score', 'leaderboard_stats', 'results_publication')


def upgrade():
    op.create_table('phase',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('opens_at', sa.DateTime(), nullable=False),
    sa.Column('closes_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenge.id'], name=op.f('fk_phase_challenge_id_challenge'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_phase')),
    sa.UniqueConstraint('challenge_id', 'slug', name=op.f('uq_phase_challenge_id'))
    )
    with op.batch_alter_table('phase', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_phase_challenge_id'), ['challenge_id'], unique=False)
    # Every challenge so far had one window: it becomes its one phase, "main", with its scores intact.
    op.execute("INSERT INTO phase (challenge_id, slug, title, position, opens_at, closes_at) "
               "SELECT id, 'main', 'Main phase', 0, opens_at, closes_at FROM challenge")
    for table in PHASED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('phase_id', sa.Integer(), nullable=True))
        op.execute(f"UPDATE {table} SET phase_id = (SELECT phase.id FROM phase WHERE phase.challenge_id = {table}.challenge_id)")
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.alter_column('phase_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f('ix_submission_phase_id'), ['phase_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_submission_phase_id_phase'), 'phase', ['phase_id'], ['id'], ondelete='CASCADE')
    with op.batch_alter_table('score', schema=None) as batch_op:
        batch_op.alter_column('phase_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_index('ix_score_leaderboard')
        batch_op.create_index('ix_score_leaderboard', ['phase_id', 'split', 'team_id', 'value'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_score_phase_id_phase'), 'phase', ['phase_id'], ['id'], ondelete='CASCADE')
    with op.batch_alter_table('leaderboard_stats', schema=None) as batch_op:
        batch_op.alter_column('phase_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint('uq_leaderboard_stats_challenge_id', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_leaderboard_stats_phase_id'), ['phase_id', 'split'])
        batch_op.create_foreign_key(batch_op.f('fk_leaderboard_stats_phase_id_phase'), 'phase', ['phase_id'], ['id'], ondelete='CASCADE')
    with op.batch_alter_table('results_publication', schema=None) as batch_op:
        batch_op.alter_column('phase_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f('ix_results_publication_phase_id'), ['phase_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_results_publication_phase_id_phase'), 'phase', ['phase_id'], ['id'], ondelete='CASCADE')
    op.create_table('commitment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('phase_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenge.id'], name=op.f('fk_commitment_challenge_id_challenge'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['phase_id'], ['phase.id'], name=op.f('fk_commitment_phase_id_phase'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_commitment_team_id_team'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_commitment_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commitment'))
    )
    with op.batch_alter_table('commitment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commitment_challenge_id'), ['challenge_id'], unique=False)
        batch_op.create_index('ix_commitment_team_phase', ['team_id', 'phase_id'], unique=False)


def downgrade():
    with op.batch_alter_table('commitment', schema=None) as batch_op:
        batch_op.drop_index('ix_commitment_team_phase')
        batch_op.drop_index(batch_op.f('ix_commitment_challenge_id'))
    op.drop_table('commitment')
    with op.batch_alter_table('results_publication', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_results_publication_phase_id_phase'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_results_publication_phase_id'))
        batch_op.drop_column('phase_id')
    with op.batch_alter_table('leaderboard_stats', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_leaderboard_stats_phase_id_phase'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_leaderboard_stats_phase_id'), type_='unique')
        batch_op.create_unique_constraint('uq_leaderboard_stats_challenge_id', ['challenge_id', 'split'])
        batch_op.drop_column('phase_id')
    with op.batch_alter_table('score', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_score_phase_id_phase'), type_='foreignkey')
        batch_op.drop_index('ix_score_leaderboard')
        batch_op.create_index('ix_score_leaderboard', ['challenge_id', 'split', 'team_id', 'value'], unique=False)
        batch_op.drop_column('phase_id')
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_submission_phase_id_phase'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_submission_phase_id'))
        batch_op.drop_column('phase_id')
    with op.batch_alter_table('phase', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_phase_challenge_id'))
    op.drop_table('phase')
