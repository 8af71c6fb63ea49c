"""reminders days before a visit that ask for the final headcount

``visit_reminders``: one row per reminder sent (booking, days before, the session start it was
for), unique, so two workers running the hourly job at once send it once; it replaces the
partial unique index that kept the old single reminder to one per booking and recipient
(``uq_outbox_reminder_once``: a booking now gets several). ``bookings.moved_at`` (when it last
moved to another session: a reminder due before is not for the new one) and
``bookings.headcount_confirmed_at`` (when the final headcount was confirmed); both NULL for
existing bookings, which is what they mean (never moved, not confirmed).

Bookings still to come that already had the old single reminder (outbox rows of kind
``reminder``, sent about two days before) get ``visit_reminders`` rows for every configured
reminder (``KOIN_REMINDER_DAYS``, the app's ``REMINDER_DAYS``) whose time has already passed: the
new job would otherwise catch them up and tell a school reminded yesterday that its visit is a
week away. Reminders not yet due (the day before) still go out.

The downgrade keeps the newest reminder of each booking and recipient in the outbox (the old
index allows one) before it restores the index.

Revision ID: 0023_visit_reminders
Revises: 0022_usage_rights
Create Date: 2026-12-01 06:00:00.000000
"""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op
from flask import current_app

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
    _mark_old_reminders(tuple(current_app.config["REMINDER_DAYS"]), datetime.now(UTC))


def _mark_old_reminders(days: tuple[int, ...], now: datetime) -> None:
    """Record as sent, for each booking to come that had the old reminder, the reminders due by
    ``now`` (their ``sent_at``: the old reminder's time)."""
    when = koin_media.database.UTCDateTime(timezone=True)
    bookings = sa.table("bookings", sa.column("id", sa.Integer()), sa.column("slot_id", sa.Integer()))
    slots = sa.table("slots", sa.column("id", sa.Integer()), sa.column("starts_at", when))
    outbox = sa.table(
        "outbox_messages", sa.column("booking_id", sa.Integer()), sa.column("kind"), sa.column("created_at", when)
    )
    reminders = sa.table(
        "visit_reminders",
        sa.column("booking_id", sa.Integer()),
        sa.column("days_before", sa.Integer()),
        sa.column("slot_starts_at", when),
        sa.column("sent_at", when),
    )
    conn = op.get_bind()
    reminded = conn.execute(
        sa.select(bookings.c.id, slots.c.starts_at, sa.func.min(outbox.c.created_at))
        .join(slots, bookings.c.slot_id == slots.c.id)
        .join(outbox, outbox.c.booking_id == bookings.c.id)
        .where(outbox.c.kind == "reminder", slots.c.starts_at > now)
        .group_by(bookings.c.id, slots.c.starts_at)
    ).all()
    rows = [
        {"booking_id": booking_id, "days_before": day, "slot_starts_at": starts_at, "sent_at": sent_at}
        for booking_id, starts_at, sent_at in reminded
        for day in days
        if starts_at - timedelta(days=day) <= now
    ]
    if rows:
        conn.execute(reminders.insert(), rows)


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
