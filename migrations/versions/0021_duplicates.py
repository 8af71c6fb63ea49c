"""duplicates: fingerprints of each original, and what processing found between assets

``assets.sha256`` (the original's bytes) and ``assets.phash`` (imagehash's perceptual hash of a
photo or a video's poster), both NULL for assets processed before: ``flask media fingerprints``
fills them in. ``asset_duplicates`` holds each finding (exact or near, the distance in bits),
removed with either asset.

Revision ID: 0021_duplicates
Revises: 0020_calls
Create Date: 2026-12-01 02:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

import koin_media.database  # noqa: F401  (column types used by autogenerate)

# revision identifiers, used by Alembic.
revision = "0021_duplicates"
down_revision = "0020_calls"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("phash", sa.String(length=16), nullable=True))
        batch_op.create_index(batch_op.f("ix_assets_sha256"), ["sha256"], unique=False)
        batch_op.create_index("ix_assets_kind_phash", ["kind", "phash", "id"], unique=False)

    op.create_table(
        "asset_duplicates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("other_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=5), nullable=False),
        sa.Column("distance", sa.Integer(), server_default="0", nullable=False),
        sa.Column("found_at", koin_media.database.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('exact', 'near')", name=op.f("ck_asset_duplicates_kind_known")),
        sa.CheckConstraint("asset_id <> other_id", name=op.f("ck_asset_duplicates_not_itself")),
        sa.CheckConstraint("distance >= 0 AND distance <= 64", name=op.f("ck_asset_duplicates_distance_bits")),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name=op.f("fk_asset_duplicates_asset_id_assets"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["other_id"], ["assets.id"], name=op.f("fk_asset_duplicates_other_id_assets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_duplicates")),
    )
    with op.batch_alter_table("asset_duplicates", schema=None) as batch_op:
        batch_op.create_index("uq_asset_duplicates_pair", ["asset_id", "other_id"], unique=True)
        batch_op.create_index(batch_op.f("ix_asset_duplicates_other_id"), ["other_id"], unique=False)


def downgrade():
    op.drop_table("asset_duplicates")
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.drop_index("ix_assets_kind_phash")
        batch_op.drop_index(batch_op.f("ix_assets_sha256"))
        batch_op.drop_column("phash")
        batch_op.drop_column("sha256")
