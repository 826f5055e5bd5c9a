"""terms kept exactly: acceptances gain the SHA-256 and language of the text; deletion attestations

Revision ID: c7d1e5a9f342
Revises: b4d8e1a6c2f9
Create Date: 2026-12-03 12:00:00.000000

"""
import hashlib
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c7d1e5a9f342'
down_revision = 'b4d8e1a6c2f9'
branch_labels = None
depends_on = None

# TermsSpec's default text when this revision was written: what a challenge that sets none shows.
DEFAULT_TEXT = (
    "The data are de-identified patient data provided for this challenge only. "
    "Do not attempt to re-identify anyone, do not share the data outside your team, "
    "and delete them when the challenge ends."
)


def _fill_digests(conn):
    # Each existing acceptance gets the digest of the text its challenge shows now: nobody is asked again by the upgrade.
    for challenge_id, spec in conn.execute(sa.text('SELECT id, spec FROM challenge')).all():
        spec = json.loads(spec) if isinstance(spec, str) else spec  # SQLite hands JSON back as text
        terms = (spec or {}).get('terms') or {}
        digest = hashlib.sha256((terms.get('text') or DEFAULT_TEXT).encode('utf-8')).hexdigest()
        conn.execute(sa.text('UPDATE terms_acceptance SET text_sha256 = :digest, language = :language '
                             'WHERE challenge_id = :id'),
                     {'digest': digest, 'language': terms.get('language') or 'en', 'id': challenge_id})


def upgrade():
    with op.batch_alter_table('terms_acceptance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('text_sha256', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('language', sa.String(length=35), nullable=True))
    _fill_digests(op.get_bind())
    with op.batch_alter_table('terms_acceptance', schema=None) as batch_op:
        batch_op.alter_column('text_sha256', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('language', existing_type=sa.String(length=35), nullable=False)
        batch_op.drop_constraint('uq_terms_acceptance_challenge_id', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_terms_acceptance_challenge_id'),
                                          ['challenge_id', 'user_id', 'version', 'text_sha256'])
    op.create_table('deletion_attestation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenge.id'], name=op.f('fk_deletion_attestation_challenge_id_challenge'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_deletion_attestation_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deletion_attestation')),
    sa.UniqueConstraint('challenge_id', 'user_id', name=op.f('uq_deletion_attestation_challenge_id'))
    )
    with op.batch_alter_table('deletion_attestation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deletion_attestation_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('deletion_attestation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deletion_attestation_user_id'))
    op.drop_table('deletion_attestation')
    # One acceptance per version again: keep each person's latest of a version accepted under several texts.
    op.execute('DELETE FROM terms_acceptance WHERE id NOT IN (SELECT max(id) FROM terms_acceptance '
               'GROUP BY challenge_id, user_id, version)')
    with op.batch_alter_table('terms_acceptance', schema=None) as batch_op:
        batch_op.drop_constraint('uq_terms_acceptance_challenge_id', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_terms_acceptance_challenge_id'), ['challenge_id', 'user_id', 'version'])
        batch_op.drop_column('language')
        batch_op.drop_column('text_sha256')
