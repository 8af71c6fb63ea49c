"""reschedule after a closure: each booking a closure hit, and the alternative sessions held
for its school

``reschedules`` (booking, closure, the session it took, where the booking went, status
open/moved/cancelled/ended, who answered and when; one open row per booking) and
``reschedule_offers`` (one row per alternative: slot, position, seats held, status
offered/taken/released/lapsed, until when). New tables only: existing rows are untouched.

Revision ID: 0025_reschedule_offers
Revises: 0024_reference_schools
Create Date: 2026-12-01 06:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import koin_media.database  # column types (UTCDateTime)

# revision identifiers, used by Alembic.
revision = "0025_reschedule_offers"
down_revision = "0024_reference_schools"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "reschedules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("closure_id", sa.Integer(), nullable=False),
        sa.Column("from_slot_id", sa.Integer(), nullable=False),
        sa.Column("to_slot_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), server_default="open", nullable=False),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", koin_media.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", koin_media.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'moved', 'cancelled', 'ended')", name=op.f("ck_reschedules_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_reschedules_booking_id_bookings"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["closure_id"], ["closures.id"], name=op.f("fk_reschedules_closure_id_closures"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["from_slot_id"], ["slots.id"], name=op.f("fk_reschedules_from_slot_id_slots")),
        sa.ForeignKeyConstraint(["to_slot_id"], ["slots.id"], name=op.f("fk_reschedules_to_slot_id_slots")),
        sa.ForeignKeyConstraint(
            ["answered_by_id"], ["users.id"], name=op.f("fk_reschedules_answered_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reschedules")),
    )
    with op.batch_alter_table("reschedules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reschedules_booking_id"), ["booking_id"], unique=False)
        batch_op.create_index("ix_reschedules_closure_status", ["closure_id", "status"], unique=False)
        batch_op.create_index(
            "uq_reschedules_open_booking",
            ["booking_id"],
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )

    op.create_table(
        "reschedule_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reschedule_id", sa.Integer(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), server_default="offered", nullable=False),
        sa.Column("expires_at", koin_media.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", koin_media.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", koin_media.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "status IN ('offered', 'taken', 'released', 'lapsed')", name=op.f("ck_reschedule_offers_status_known")
        ),
        sa.CheckConstraint("seats >= 1", name=op.f("ck_reschedule_offers_seats_positive")),
        sa.ForeignKeyConstraint(
            ["reschedule_id"],
            ["reschedules.id"],
            name=op.f("fk_reschedule_offers_reschedule_id_reschedules"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["slot_id"], ["slots.id"], name=op.f("fk_reschedule_offers_slot_id_slots")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reschedule_offers")),
    )
    with op.batch_alter_table("reschedule_offers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reschedule_offers_reschedule_id"), ["reschedule_id"], unique=False)
        batch_op.create_index("ix_reschedule_offers_status_expires", ["status", "expires_at"], unique=False)
        batch_op.create_index("ix_reschedule_offers_slot_status", ["slot_id", "status"], unique=False)


def downgrade():
    # Seats still held for live offers would stay held in ``slots.held`` with nothing to account
    # for them: give them back before the rows go.
    op.execute(
        "UPDATE slots SET held = held - (SELECT COALESCE(SUM(o.seats), 0) FROM reschedule_offers o "
        "WHERE o.slot_id = slots.id AND o.status = 'offered') "
        "WHERE id IN (SELECT slot_id FROM reschedule_offers WHERE status = 'offered')"
    )
    op.drop_table("reschedule_offers")
    op.drop_table("reschedules")
