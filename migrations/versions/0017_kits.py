"""promo kits: a ZIP of chosen asset variants with their credits, built by the worker

``kits``: owner, collection (kept when the collection is deleted), title, status, the entries
asked for, purpose, the object and what it holds or left out, the build's attempts and lease,
and when it was made, expires and was first downloaded.

Revision ID: 0017_kits
Revises: 0016_collections
Create Date: 2026-12-01 02:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

import koin_media.database

# revision identifiers, used by Alembic.
revision = "0017_kits"
down_revision = "0016_collections"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "kits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=12), server_default="queued", nullable=False),
        sa.Column("entries", sa.JSON(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("file_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("skipped", sa.JSON(), nullable=False),
        sa.Column("problem_code", sa.String(length=40), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("lease_owner", sa.String(length=80), nullable=True),
        sa.Column("lease_expires_at", koin_media.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("upload_id", sa.String(length=255), nullable=True),
        sa.Column("created_at", koin_media.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", koin_media.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expires_at", koin_media.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("downloaded_at", koin_media.database.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "purpose IN ('packaging', 'social', 'print', 'video', 'other')", name=op.f("ck_kits_purpose_known")
        ),
        sa.CheckConstraint(
            "status IN ('queued', 'building', 'ready', 'failed', 'expired')", name=op.f("ck_kits_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["collection_id"], ["collections.id"], name=op.f("fk_kits_collection_id_collections"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_kits_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kits")),
        sa.UniqueConstraint("token", name=op.f("uq_kits_token")),
    )
    with op.batch_alter_table("kits", schema=None) as batch_op:
        batch_op.create_index("ix_kits_status_expires", ["status", "expires_at"], unique=False)
        batch_op.create_index("ix_kits_user_status", ["user_id", "status"], unique=False)


def downgrade():
    with op.batch_alter_table("kits", schema=None) as batch_op:
        batch_op.drop_index("ix_kits_user_status")
        batch_op.drop_index("ix_kits_status_expires")
    op.drop_table("kits")
