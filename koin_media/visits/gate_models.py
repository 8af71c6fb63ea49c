"""What the gate did offline and the server has applied since (visits/gate.py).

A check-in made at the gate without a connection is kept on the device with an id the device
made (a UUID) until it can be sent. The row below is written in the same transaction as the
check-in it applied, and its id is unique: the same operation sent again (a second tab, a
retry after a lost answer) finds its row and is answered "already applied", never counted
twice. Refused operations leave no row: sent again, they are judged again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime, utcnow
from ..extensions import db

# The kinds of operation the gate may make offline; only check-in for now (a no-show or a
# completion can wait for the connection: they are decided after the session).
GATE_CHECK_IN = "check_in"


class GateOperation(db.Model):
    __tablename__ = "gate_operations"
    __table_args__ = (
        CheckConstraint(f"action IN ('{GATE_CHECK_IN}')", name="action_known"),
        CheckConstraint("students >= 0 AND teachers >= 0", name="attendance_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The device's id for the operation (crypto.randomUUID, lower case with dashes).
    operation_id: Mapped[str] = mapped_column(String(36), unique=True)
    action: Mapped[str] = mapped_column(String(12), default=GATE_CHECK_IN)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    students: Mapped[int]
    teachers: Mapped[int]
    # When the device says it happened, as sent; the check-in's own time is ``recorded_at``,
    # that moment bounded by the check-in window and by the server's clock (gate.record_time).
    happened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
