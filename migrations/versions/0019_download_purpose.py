"""what each download is for (packaging, social post, print, video, other)

``asset_downloads.purpose``, asked by the download dialog and the kit form; NULL for downloads
made before it was asked, which nobody can answer for now.

Revision ID: 0019_download_purpose
Revises: 0018_social_crops
Create Date: 2026-12-01 02:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

import koin_media.database  # noqa: F401  (column types used by autogenerate)

# revision identifiers, used by Alembic.
revision = "0019_download_purpose"
down_revision = "0018_social_crops"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("asset_downloads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("purpose", sa.String(length=20), nullable=True))
        batch_op.create_check_constraint(
            "purpose_known", "purpose IS NULL OR purpose IN ('packaging', 'social', 'print', 'video', 'other')"
        )


def downgrade():
    with op.batch_alter_table("asset_downloads", schema=None) as batch_op:
        batch_op.drop_constraint("purpose_known", type_="check")
        batch_op.drop_column("purpose")
