"""web renditions for video and audio

Revision ID: 0008_web_renditions
Revises: 0007_rate_limits
Create Date: 2026-11-30 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import koin_media.database  # noqa: F401  (column types used by autogenerate)


# revision identifiers, used by Alembic.
revision = '0008_web_renditions'
down_revision = '0007_rate_limits'
branch_labels = None
depends_on = None


def upgrade():
    # Nullable: video and audio processed before this change have no rendition yet; the player
    # shows their poster until `flask media renditions --missing` makes one.
    with op.batch_alter_table('assets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('web_key', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('web_size_bytes', sa.BigInteger(), nullable=True))


def downgrade():
    with op.batch_alter_table('assets', schema=None) as batch_op:
        batch_op.drop_column('web_size_bytes')
        batch_op.drop_column('web_key')
