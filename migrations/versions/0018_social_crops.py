"""social media crops around a focus point, and the share picture of link previews

``assets.focus_x``/``focus_y`` (fractions 0..1, the centre for every existing row), the keys
of a photo's 1:1, 4:5, 9:16 and 1.91:1 crops (``crop_keys``) and of the 1200x630 share picture
(``share_key``). Assets processed before have neither until ``flask media crops`` makes them.

Revision ID: 0018_social_crops
Revises: 0017_kits
Create Date: 2026-12-01 02:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

import koin_media.database  # noqa: F401  (column types used by autogenerate)

# revision identifiers, used by Alembic.
revision = "0018_social_crops"
down_revision = "0017_kits"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("focus_x", sa.Double(), server_default="0.5", nullable=False))
        batch_op.add_column(sa.Column("focus_y", sa.Double(), server_default="0.5", nullable=False))
        batch_op.add_column(sa.Column("crop_keys", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("share_key", sa.String(length=200), nullable=True))
        batch_op.create_check_constraint(
            "focus_inside", "focus_x >= 0 AND focus_x <= 1 AND focus_y >= 0 AND focus_y <= 1"
        )


def downgrade():
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.drop_constraint("focus_inside", type_="check")
        batch_op.drop_column("share_key")
        batch_op.drop_column("crop_keys")
        batch_op.drop_column("focus_y")
        batch_op.drop_column("focus_x")
