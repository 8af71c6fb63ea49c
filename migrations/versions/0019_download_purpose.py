"""placeholder for issue 11 (download_purpose): filled by the engineer who owns it

Revision ID: 0019_download_purpose
Revises: 0018_social_crops
Create Date: 2026-12-01 02:20:00.000000
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import koin_media.database  # noqa: F401  (column types used by autogenerate)

# revision identifiers, used by Alembic.
revision = "0019_download_purpose"
down_revision = "0018_social_crops"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
