"""placeholder for issue 11 (collections): filled by the engineer who owns it

Revision ID: 0016_collections
Revises: 0015_download_terms
Create Date: 2026-12-01 02:20:00.000000
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import koin_media.database  # noqa: F401  (column types used by autogenerate)

# revision identifiers, used by Alembic.
revision = "0016_collections"
down_revision = "0015_download_terms"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
