"""media assets, uploads, downloads, venues, audit

Revision ID: 0002_media_assets
Revises: 0001_foundation
Create Date: 2026-11-28 06:30:34.567280

"""
from alembic import op
import sqlalchemy as sa

import koin_media.database  # noqa: F401  (column types used by autogenerate)


# revision identifiers, used by Alembic.
revision = '0002_media_assets'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def _create_search_index():
    """Full-text search with the database's own engine (see koin_media/assets/search.py)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TABLE asset_search (asset_id integer PRIMARY KEY REFERENCES assets (id) ON DELETE CASCADE, "
            "document tsvector NOT NULL)"
        )
        op.execute("CREATE INDEX ix_asset_search_document ON asset_search USING gin (document)")
    else:
        op.execute(
            "CREATE VIRTUAL TABLE asset_search USING fts5("
            "title, description, tags, community, tokenize = 'unicode61 remove_diacritics 2')"
        )


def upgrade():
    op.create_table('venues',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('description_id', sa.Text(), nullable=False),
    sa.Column('description_en', sa.Text(), nullable=False),
    sa.Column('address', sa.String(length=255), nullable=False),
    sa.Column('regency_id', sa.Integer(), nullable=False),
    sa.Column('created_at', koin_media.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['regency_id'], ['regencies.id'], name=op.f('fk_venues_regency_id_regencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_venues')),
    sa.UniqueConstraint('slug', name=op.f('uq_venues_slug'))
    )
    op.create_table('assets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=32), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=True),
    sa.Column('regency_id', sa.Integer(), nullable=True),
    sa.Column('venue_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('original_filename', sa.String(length=255), nullable=False),
    sa.Column('declared_type', sa.String(length=120), nullable=True),
    sa.Column('kind', sa.String(length=10), nullable=True),
    sa.Column('mime', sa.String(length=60), nullable=True),
    sa.Column('size_bytes', sa.BigInteger(), nullable=True),
    sa.Column('storage_key', sa.String(length=200), nullable=False),
    sa.Column('thumb_key', sa.String(length=200), nullable=True),
    sa.Column('preview_key', sa.String(length=200), nullable=True),
    sa.Column('poster_key', sa.String(length=200), nullable=True),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('duration_seconds', sa.Double(), nullable=True),
    sa.Column('video_codec', sa.String(length=40), nullable=True),
    sa.Column('audio_codec', sa.String(length=40), nullable=True),
    sa.Column('media_info', sa.JSON(), nullable=False),
    sa.Column('processing_attempts', sa.Integer(), nullable=False),
    sa.Column('problem_code', sa.String(length=40), nullable=True),
    sa.Column('problem_context', sa.JSON(), nullable=False),
    sa.Column('problem_detail', sa.Text(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('tags', sa.String(length=500), nullable=False),
    sa.Column('license', sa.String(length=20), nullable=True),
    sa.Column('credit', sa.String(length=200), nullable=False),
    sa.Column('consent', sa.Boolean(), nullable=False),
    sa.Column('rejection_reason', sa.Text(), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', koin_media.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('submitted_at', koin_media.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('approved_at', koin_media.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('download_count', sa.Integer(), nullable=False),
    sa.Column('created_at', koin_media.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', koin_media.database.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IS NULL OR kind IN ('image', 'video', 'audio', 'document')", name=op.f('ck_assets_kind_known')),
    sa.CheckConstraint("license IS NULL OR license IN ('CC-BY-4.0', 'CC-BY-SA-4.0', 'CC-BY-NC-4.0', 'NTB-PROMO')", name=op.f('ck_assets_license_known')),
    sa.CheckConstraint("status IN ('uploading', 'verifying', 'processing', 'draft', 'pending_review', 'approved', 'archived', 'rejected_file', 'failed', 'rejected')", name=op.f('ck_assets_status_known')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_assets_community_id_communities')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_assets_owner_id_users')),
    sa.ForeignKeyConstraint(['regency_id'], ['regencies.id'], name=op.f('fk_assets_regency_id_regencies')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_assets_reviewed_by_id_users')),
    sa.ForeignKeyConstraint(['venue_id'], ['venues.id'], name=op.f('fk_assets_venue_id_venues')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assets')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_assets_storage_key')),
    sa.UniqueConstraint('uuid', name=op.f('uq_assets_uuid'))
    )
    with op.batch_alter_table('assets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assets_approved_at'), ['approved_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_assets_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assets_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_assets_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index('ix_assets_status_created', ['status', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_assets_venue_id'), ['venue_id'], unique=False)

    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('subject_type', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('created_at', koin_media.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_events_actor_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_subject', ['subject_type', 'subject_id'], unique=False)

    op.create_table('asset_downloads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('asset_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('business_name', sa.String(length=160), nullable=True),
    sa.Column('variant', sa.String(length=10), nullable=False),
    sa.Column('created_at', koin_media.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['asset_id'], ['assets.id'], name=op.f('fk_asset_downloads_asset_id_assets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_asset_downloads_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_asset_downloads'))
    )
    with op.batch_alter_table('asset_downloads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_asset_downloads_asset_id'), ['asset_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_asset_downloads_user_id'), ['user_id'], unique=False)

    op.create_table('multipart_uploads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('upload_id', sa.String(length=255), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('asset_id', sa.Integer(), nullable=True),
    sa.Column('fingerprint', sa.String(length=300), nullable=True),
    sa.Column('created_at', koin_media.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', koin_media.database.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['asset_id'], ['assets.id'], name=op.f('fk_multipart_uploads_asset_id_assets'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_multipart_uploads_owner_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_multipart_uploads')),
    sa.UniqueConstraint('upload_id', name=op.f('uq_multipart_uploads_upload_id'))
    )
    with op.batch_alter_table('multipart_uploads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_multipart_uploads_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_multipart_uploads_resume', ['owner_id', 'fingerprint'], unique=False)


    _create_search_index()


def downgrade():
    op.execute("DROP TABLE IF EXISTS asset_search")
    with op.batch_alter_table('multipart_uploads', schema=None) as batch_op:
        batch_op.drop_index('ix_multipart_uploads_resume')
        batch_op.drop_index(batch_op.f('ix_multipart_uploads_created_at'))

    op.drop_table('multipart_uploads')
    with op.batch_alter_table('asset_downloads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_asset_downloads_user_id'))
        batch_op.drop_index(batch_op.f('ix_asset_downloads_asset_id'))

    op.drop_table('asset_downloads')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_subject')

    op.drop_table('audit_events')
    with op.batch_alter_table('assets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assets_venue_id'))
        batch_op.drop_index('ix_assets_status_created')
        batch_op.drop_index(batch_op.f('ix_assets_owner_id'))
        batch_op.drop_index(batch_op.f('ix_assets_kind'))
        batch_op.drop_index(batch_op.f('ix_assets_community_id'))
        batch_op.drop_index(batch_op.f('ix_assets_approved_at'))

    op.drop_table('assets')
    op.drop_table('venues')
