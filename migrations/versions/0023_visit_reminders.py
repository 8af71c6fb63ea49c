"""reminders days before a visit that ask for the final headcount

``visit_reminders``: one row per reminder sent (booking, days before, the session start it was
for), unique, so two workers running the hourly job at once send it once; it replaces the
partial unique index that kept the old single reminder to one per booking and recipient
(``uq_outbox_reminder_once``: a booking now gets several). ``bookings.moved_at`` (when it last
moved to another session: a reminder due before is not for the new one) and
``bookings.headcount_confirmed_at`` (when the final headcount was confirmed); both NULL for
existing bookings, which is what they mean (never moved, not confirmed).

The downgrade keeps the newest reminder of each booking and recipient in the outbox (the old
index allows one) before it restores the index.

Revision ID: 0023_visit_reminders
Revises: 0022_usage_rights
Create Date: 2026-12-01 06:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import koin_media.database  # column types (UTCDateTime)

# revision identifiers, used by Alembic.
revision = "0023_visit_reminders"
down_revision = "0022_usage_rights"
branch_labels = None
depends_on = None

REMINDER_ONLY = sa.text("kind = 'reminder'")


def upgrade():
    op.create_table(
        "visit_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("days_before", sa.Integer(), nullable=False),
        sa.Column("slot_starts_at", koin_media.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", koin_media.database.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("days_before >= 1", name=op.f("ck_visit_reminders_days_positive")),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_visit_reminders_booking_id_bookings"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_reminders")),
        sa.UniqueConstraint("booking_id", "days_before", "slot_starts_at", name="uq_visit_reminders_once"),
    )
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("moved_at", koin_media.database.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("headcount_confirmed_at", koin_media.database.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index("uq_outbox_reminder_once", sqlite_where=REMINDER_ONLY, postgresql_where=REMINDER_ONLY)


def downgrade():
    # The old schema holds one reminder per booking and recipient: keep the newest.
    op.execute(
        "DELETE FROM outbox_messages WHERE kind = 'reminder' AND EXISTS ("
        "SELECT 1 FROM outbox_messages AS newer WHERE newer.kind = 'reminder' "
        "AND newer.booking_id = outbox_messages.booking_id AND newer.to_address = outbox_messages.to_address "
        "AND newer.id > outbox_messages.id)"
    )
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.create_index(
            "uq_outbox_reminder_once",
            ["kind", "booking_id", "to_address"],
            unique=True,
            sqlite_where=REMINDER_ONLY,
            postgresql_where=REMINDER_ONLY,
        )
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_column("headcount_confirmed_at")
        batch_op.drop_column("moved_at")
    op.drop_table("visit_reminders")
