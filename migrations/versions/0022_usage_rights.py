"""usage rights that end: a usable-until date, the consent/model-release document, the warning
already sent, and the status "expired"

``assets.usable_until`` (the last WITA day it may be used; NULL: no end, which every existing
asset keeps), the private release document (``release_*``), ``expiry_warned_at`` (the warning
sent for the current date), an index the rights jobs read published assets by date with, and
``expired`` among the known statuses. The downgrade sends expired assets back to ``archived``
(out of the catalogue, as they are now) before the old constraint returns.

Revision ID: 0022_usage_rights
Revises: 0021_duplicates
Create Date: 2026-12-01 02:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

import koin_media.database  # column types (UTCDateTime)

# revision identifiers, used by Alembic.
revision = "0022_usage_rights"
down_revision = "0021_duplicates"
branch_labels = None
depends_on = None

OLD_STATUSES = (
    "'uploading', 'verifying', 'processing', 'draft', 'pending_review', 'approved', 'archived', "
    "'rejected_file', 'failed', 'rejected'"
)
NEW_STATUSES = OLD_STATUSES + ", 'expired'"


def upgrade():
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("usable_until", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("release_key", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("release_filename", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("release_mime", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("release_size", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("expiry_warned_at", koin_media.database.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.drop_constraint("status_known", type_="check")
        batch_op.create_check_constraint("status_known", f"status IN ({NEW_STATUSES})")
        batch_op.create_index("ix_assets_usable_until", ["status", "usable_until"], unique=False)


def downgrade():
    op.execute("UPDATE assets SET status = 'archived' WHERE status = 'expired'")
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.drop_index("ix_assets_usable_until")
        batch_op.drop_constraint("status_known", type_="check")
        batch_op.create_check_constraint("status_known", f"status IN ({OLD_STATUSES})")
        batch_op.drop_column("expiry_warned_at")
        batch_op.drop_column("release_size")
        batch_op.drop_column("release_mime")
        batch_op.drop_column("release_filename")
        batch_op.drop_column("release_key")
        batch_op.drop_column("usable_until")
