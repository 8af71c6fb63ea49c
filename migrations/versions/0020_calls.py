"""placeholder for issue 11 (calls): filled by the engineer who owns it

Revision ID: 0020_calls
Revises: 0019_download_purpose
Create Date: 2026-12-01 02:20:00.000000
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import koin_media.database  # noqa: F401  (column types used by autogenerate)

# revision identifiers, used by Alembic.
revision = "0020_calls"
down_revision = "0019_download_purpose"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
