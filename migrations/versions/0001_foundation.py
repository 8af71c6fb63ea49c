"""accounts, schools, tokens, reference data

Revision ID: 0001_foundation
Revises: 
Create Date: 2026-11-28 06:07:39.070519

"""
from alembic import op
import sqlalchemy as sa

import koin_media.database


# revision identifiers, used by Alembic.
revision = '0001_foundation'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('communities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_communities')),
    sa.UniqueConstraint('name', name=op.f('uq_communities_name')),
    sa.UniqueConstraint('slug', name=op.f('uq_communities_slug'))
    )
    op.create_table('regencies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_regencies')),
    sa.UniqueConstraint('name', name=op.f('uq_regencies_name')),
    sa.UniqueConstraint('slug', name=op.f('uq_regencies_slug'))
    )
    op.create_table('schools',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('npsn', sa.String(length=8), nullable=False),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('regency_id', sa.Integer(), nullable=False),
    sa.Column('verified_at', koin_media.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', koin_media.database.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(npsn) = 8', name=op.f('ck_schools_npsn_length')),
    sa.ForeignKeyConstraint(['regency_id'], ['regencies.id'], name=op.f('fk_schools_regency_id_regencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_schools')),
    sa.UniqueConstraint('npsn', name=op.f('uq_schools_npsn'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('locale', sa.String(length=5), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', koin_media.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('password_changed_at', koin_media.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('session_nonce', sa.String(length=16), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=True),
    sa.Column('business_name', sa.String(length=160), nullable=True),
    sa.Column('sector', sa.String(length=30), nullable=True),
    sa.Column('regency_id', sa.Integer(), nullable=True),
    sa.Column('school_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("role IN ('creator', 'ikm', 'school', 'venue_manager', 'staff', 'admin')", name=op.f('ck_users_role_known')),
    sa.CheckConstraint('email = lower(email)', name=op.f('ck_users_email_lowercase')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_users_community_id_communities')),
    sa.ForeignKeyConstraint(['regency_id'], ['regencies.id'], name=op.f('fk_users_regency_id_regencies')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_users_school_id_schools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_role'), ['role'], unique=False)
        batch_op.create_index(batch_op.f('ix_users_school_id'), ['school_id'], unique=False)

    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=80), nullable=False),
    sa.Column('created_at', koin_media.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', koin_media.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', koin_media.database.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_school_id'))
        batch_op.drop_index(batch_op.f('ix_users_role'))

    op.drop_table('users')
    op.drop_table('schools')
    op.drop_table('regencies')
    op.drop_table('communities')
