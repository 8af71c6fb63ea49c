"""The reminders sent before a visit (visits/reminders.py decides when)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime, utcnow
from ..extensions import db


class VisitReminder(db.Model):
    """A reminder sent: which booking, how many days before, for the session starting when."""

    __tablename__ = "visit_reminders"
    __table_args__ = (
        CheckConstraint("days_before >= 1", name="days_positive"),
        # Once per booking, reminder and session start: a second worker's row breaks it.
        UniqueConstraint("booking_id", "days_before", "slot_starts_at", name="uq_visit_reminders_once"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"))
    days_before: Mapped[int]
    slot_starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
