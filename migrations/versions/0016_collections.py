"""collections: assets a user gathers for a promo kit, in order, shareable read-only

``collections`` (owner, name, the share link's token while shared) and ``collection_items``
(asset, the variant a kit takes, position), both removed with their owner or asset.

Revision ID: 0016_collections
Revises: 0015_download_terms
Create Date: 2026-12-01 02:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

import koin_media.database  # noqa: F401  (column types used by autogenerate)

# revision identifiers, used by Alembic.
revision = "0016_collections"
down_revision = "0015_download_terms"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "collections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("share_token", sa.String(length=64), nullable=True),
        sa.Column("created_at", koin_media.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", koin_media.database.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_collections_owner_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collections")),
        sa.UniqueConstraint("share_token", name=op.f("uq_collections_share_token")),
    )
    with op.batch_alter_table("collections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_collections_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "collection_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("variant", sa.String(length=20), server_default="original", nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("added_at", koin_media.database.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["asset_id"], ["assets.id"], name=op.f("fk_collection_items_asset_id_assets"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["collection_id"], ["collections.id"], name=op.f("fk_collection_items_collection_id_collections"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_items")),
        sa.UniqueConstraint("collection_id", "asset_id", name="uq_collection_items_asset"),
    )
    with op.batch_alter_table("collection_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_collection_items_asset_id"), ["asset_id"], unique=False)
        batch_op.create_index("ix_collection_items_order", ["collection_id", "position"], unique=False)


def downgrade():
    op.drop_table("collection_items")
    op.drop_table("collections")
