"""certificates of attendance and feedback after a visit

``visit_certificates`` (one per booking: its random verification code, unique, and the facts it
states, frozen when it is first issued) and ``visit_feedback`` (one per booking: a rating from 1
to 5, checked by the database, and a comment). Both are new tables, so existing rows need
nothing; the downgrade drops them.

Revision ID: 0026_certificates_feedback
Revises: 0025_reschedule_offers
Create Date: 2026-12-01 06:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import koin_media.database  # column types (UTCDateTime)

# revision identifiers, used by Alembic.
revision = "0026_certificates_feedback"
down_revision = "0025_reschedule_offers"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "visit_certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("issued_at", koin_media.database.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_visit_certificates_booking_id_bookings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_certificates")),
        sa.UniqueConstraint("booking_id", name=op.f("uq_visit_certificates_booking_id")),
        sa.UniqueConstraint("code", name=op.f("uq_visit_certificates_code")),
    )
    op.create_table(
        "visit_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", koin_media.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", koin_media.database.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("rating >= 1 AND rating <= 5", name=op.f("ck_visit_feedback_rating_range")),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_visit_feedback_author_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_visit_feedback_booking_id_bookings"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_feedback")),
        sa.UniqueConstraint("booking_id", name=op.f("uq_visit_feedback_booking_id")),
    )


def downgrade():
    op.drop_table("visit_feedback")
    op.drop_table("visit_certificates")
