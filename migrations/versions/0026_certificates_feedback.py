"""placeholder for issue 12 (certificates_feedback): filled by the engineer who owns it

Revision ID: 0026_certificates_feedback
Revises: 0025_reschedule_offers
Create Date: 2026-12-01 06:00:00.000000
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import koin_media.database  # noqa: F401  (column types used by autogenerate)

# revision identifiers, used by Alembic.
revision = "0026_certificates_feedback"
down_revision = "0025_reschedule_offers"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
