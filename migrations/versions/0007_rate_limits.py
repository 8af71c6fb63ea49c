"""rate-limit counters in the database

Revision ID: 0007_rate_limits
Revises: 0006_sessions_email
Create Date: 2026-11-30 12:00:00.000000

- ``rate_limit_counters``: one fixed-window counter per key (``koin_media/ratelimit.py``, the
  ``database://`` store used when Redis is not configured). Counters are short-lived, so the
  upgrade starts empty and the downgrade simply drops them.
"""
from alembic import op
import sqlalchemy as sa

import koin_media.database  # noqa: F401  (column types used by autogenerate)


# revision identifiers, used by Alembic.
revision = '0007_rate_limits'
down_revision = '0006_sessions_email'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('rate_limit_counters',
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('expires_at', koin_media.database.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_rate_limit_counters'))
    )
    with op.batch_alter_table('rate_limit_counters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rate_limit_counters_expires_at'), ['expires_at'], unique=False)


def downgrade():
    with op.batch_alter_table('rate_limit_counters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rate_limit_counters_expires_at'))

    op.drop_table('rate_limit_counters')
