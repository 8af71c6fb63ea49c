"""placeholder for issue 11 (kits): filled by the engineer who owns it

Revision ID: 0017_kits
Revises: 0016_collections
Create Date: 2026-12-01 02:20:00.000000
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import koin_media.database  # noqa: F401  (column types used by autogenerate)

# revision identifiers, used by Alembic.
revision = "0017_kits"
down_revision = "0016_collections"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
