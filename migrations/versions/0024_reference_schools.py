"""schools of the national reference: a snapshot of Dapodik / Kemdikbud loaded by
``flask schools import``, for registration's NPSN lookup and staff verifying schools

``reference_schools`` (NPSN as key, name, one of the levels SD/SMP/SMA/SMK, regency, address,
the snapshot label and time that last wrote the row). A new table: nothing existing changes.

Revision ID: 0024_reference_schools
Revises: 0023_visit_reminders
Create Date: 2026-12-01 06:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import koin_media.database  # column types (UTCDateTime)

# revision identifiers, used by Alembic.
revision = "0024_reference_schools"
down_revision = "0023_visit_reminders"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "reference_schools",
        sa.Column("npsn", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=160), nullable=False),
        sa.Column("level", sa.String(length=3), nullable=False),
        sa.Column("regency_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.Text(), server_default="", nullable=False),
        sa.Column("snapshot", sa.String(length=80), nullable=False),
        sa.Column("imported_at", koin_media.database.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(npsn) = 8", name=op.f("ck_reference_schools_npsn_length")),
        sa.CheckConstraint("level IN ('SD', 'SMP', 'SMA', 'SMK')", name=op.f("ck_reference_schools_level_known")),
        sa.ForeignKeyConstraint(
            ["regency_id"], ["regencies.id"], name=op.f("fk_reference_schools_regency_id_regencies")
        ),
        sa.PrimaryKeyConstraint("npsn", name=op.f("pk_reference_schools")),
    )


def downgrade():
    op.drop_table("reference_schools")
