"""job leases and heartbeats

Revision ID: 0009_job_leases
Revises: 0008_web_renditions
Create Date: 2026-11-30 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import koin_media.database  # noqa: F401  (column types used by autogenerate)


# revision identifiers, used by Alembic.
revision = '0009_job_leases'
down_revision = '0008_web_renditions'
branch_labels = None
depends_on = None


def upgrade():
    # Nullable, no lease: an asset already in processing is picked up by the hourly sweep of
    # stuck assets as before, and leased from its next attempt on.
    with op.batch_alter_table('assets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lease_owner', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('lease_expires_at', koin_media.database.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('assets', schema=None) as batch_op:
        batch_op.drop_column('lease_expires_at')
        batch_op.drop_column('lease_owner')
