"""placeholder for issue 11 (duplicates): filled by the engineer who owns it

Revision ID: 0021_duplicates
Revises: 0020_calls
Create Date: 2026-12-01 02:20:00.000000
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import koin_media.database  # noqa: F401  (column types used by autogenerate)

# revision identifiers, used by Alembic.
revision = "0021_duplicates"
down_revision = "0020_calls"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
