"""placeholder for issue 12 (reference_schools): filled by the engineer who owns it

Revision ID: 0024_reference_schools
Revises: 0023_visit_reminders
Create Date: 2026-12-01 06:00:00.000000
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import koin_media.database  # noqa: F401  (column types used by autogenerate)

# revision identifiers, used by Alembic.
revision = "0024_reference_schools"
down_revision = "0023_visit_reminders"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
