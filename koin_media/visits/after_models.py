"""What stays of a visit once it is over: its certificate of attendance and the school's feedback.

Both belong to one completed booking (at most one each, enforced by the database). The
certificate keeps the facts it states as they were when it was issued, so its public check page
(``/certificates/<code>``) always shows what the printed paper says, even if a name changes later.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..booking.models import Booking
from ..database import UTCDateTime, utcnow
from ..extensions import db

RATING_MIN, RATING_MAX = 1, 5


class Certificate(db.Model):
    """A certificate of attendance: issued the first time someone asks for it, never changed."""

    __tablename__ = "visit_certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), unique=True)
    # Random and unguessable (visits.certificates.new_code): the QR code leads to its check page.
    code: Mapped[str] = mapped_column(String(16), unique=True)
    # What the certificate states (visits.certificates.facts_of), frozen at issue.
    facts: Mapped[dict] = mapped_column(JSON, default=dict)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    booking: Mapped[Booking] = relationship()


class VisitFeedback(db.Model):
    """A school's rating (1 to 5) and comment on a completed visit: one per booking, which its
    coordinators may change for a while (visits.feedback.edit_days)."""

    __tablename__ = "visit_feedback"
    __table_args__ = (CheckConstraint(f"rating >= {RATING_MIN} AND rating <= {RATING_MAX}", name="rating_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), unique=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    rating: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    # joined: the venue's feedback page shows each one's school, program and date
    booking: Mapped[Booking] = relationship(lazy="joined")
    author: Mapped[User | None] = relationship()
