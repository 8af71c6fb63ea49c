"""calls for content: the office's calls (brief, WITA deadline, presets, required fields) and the
call an asset was uploaded into

``calls`` (slug, title, brief, deadline day, preset tags, venue, regency and licence, required
fields, status draft/open/closed, who made it) and ``assets.call_id`` (NULL for every existing
asset; SET NULL should a call go, so no asset is lost with it).

Revision ID: 0020_calls
Revises: 0019_download_purpose
Create Date: 2026-12-01 02:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

import koin_media.database  # column types (UTCDateTime)

# revision identifiers, used by Alembic.
revision = "0020_calls"
down_revision = "0019_download_purpose"
branch_labels = None
depends_on = None

LICENSES = "'CC-BY-4.0', 'CC-BY-SA-4.0', 'CC-BY-NC-4.0', 'NTB-PROMO'"


def upgrade():
    op.create_table(
        "calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("brief", sa.Text(), server_default="", nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("tags", sa.String(length=500), server_default="", nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=True),
        sa.Column("regency_id", sa.Integer(), nullable=True),
        sa.Column("license", sa.String(length=20), nullable=False),
        sa.Column("required_fields", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), server_default="draft", nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", koin_media.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", koin_media.database.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('draft', 'open', 'closed')", name=op.f("ck_calls_status_known")),
        sa.CheckConstraint(f"license IN ({LICENSES})", name=op.f("ck_calls_license_known")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_calls_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["regency_id"], ["regencies.id"], name=op.f("fk_calls_regency_id_regencies"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venues.id"], name=op.f("fk_calls_venue_id_venues"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calls")),
        sa.UniqueConstraint("slug", name=op.f("uq_calls_slug")),
    )
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.create_index("ix_calls_status_deadline", ["status", "deadline"], unique=False)

    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("call_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_assets_call_id"), ["call_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_assets_call_id_calls"), "calls", ["call_id"], ["id"], ondelete="SET NULL"
        )


def downgrade():
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_assets_call_id_calls"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_assets_call_id"))
        batch_op.drop_column("call_id")
    op.drop_table("calls")
