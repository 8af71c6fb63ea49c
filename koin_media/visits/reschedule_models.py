"""What a closure left a booking with: its reschedule (one per booking and closure that hit it)
and the alternative sessions held for the school, one row each (``visits/reschedule.py``)."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..booking.models import Booking, Closure, Slot
from ..database import UTCDateTime, utcnow
from ..extensions import db

# A reschedule waits for the school's answer (``open``); the school (or the venue) moved the
# booking or cancelled it; or the booking ended some other way (expired, rejected, ...).
OPEN = "open"
MOVED = "moved"
CANCELLED = "cancelled"
ENDED = "ended"
RESCHEDULE_STATUSES = (OPEN, MOVED, CANCELLED, ENDED)

# An alternative holds its seats while ``offered``; taken, released (another was taken, or the
# booking moved or ended) or lapsed (nobody answered in time), its seats went back.
OFFERED = "offered"
TAKEN = "taken"
RELEASED = "released"
LAPSED = "lapsed"
OFFER_STATUSES = (OFFERED, TAKEN, RELEASED, LAPSED)

# Where a hit booking stands, as the staff page counts it (``Reschedule.answer``): an open one is
# waiting (alternatives held), lapsed (none held any more) or had no alternative at all.
WAITING = "waiting"
NO_ALTERNATIVE = "none"
ANSWERS = (MOVED, CANCELLED, WAITING, LAPSED, NO_ALTERNATIVE, ENDED)
ANSWER_LABELS = {
    MOVED: _l("Moved"),
    CANCELLED: _l("Cancelled"),
    WAITING: _l("Not answered yet"),
    LAPSED: _l("Not answered; the alternatives lapsed"),
    NO_ALTERNATIVE: _l("No alternative found"),
    ENDED: _l("Ended otherwise"),
}


def _in(values) -> str:
    return "({})".format(", ".join(f"'{v}'" for v in values))


class Reschedule(db.Model):
    """A booking whose session a closure took, and what became of it."""

    __tablename__ = "reschedules"
    __table_args__ = (
        CheckConstraint(f"status IN {_in(RESCHEDULE_STATUSES)}", name="status_known"),
        # One open question per booking: a second closure over the same session adds nothing.
        Index(
            "uq_reschedules_open_booking",
            "booking_id",
            unique=True,
            sqlite_where=text(f"status = '{OPEN}'"),
            postgresql_where=text(f"status = '{OPEN}'"),
        ),
        Index("ix_reschedules_closure_status", "closure_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    closure_id: Mapped[int] = mapped_column(ForeignKey("closures.id", ondelete="CASCADE"))
    # The session the closure took, and the one the booking went to (when it moved).
    from_slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id"))
    to_slot_id: Mapped[int | None] = mapped_column(ForeignKey("slots.id"))
    status: Mapped[str] = mapped_column(String(10), default=OPEN, server_default=OPEN)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Optimistic lock, as on bookings: the school's answer and the venue's change of the booking
    # cannot both settle it.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    booking: Mapped[Booking] = relationship(lazy="joined")
    closure: Mapped[Closure] = relationship()
    from_slot: Mapped[Slot] = relationship(foreign_keys=[from_slot_id])
    to_slot: Mapped[Slot | None] = relationship(foreign_keys=[to_slot_id])
    answered_by: Mapped[User | None] = relationship()
    offers: Mapped[list[RescheduleOffer]] = relationship(
        back_populates="reschedule", order_by="RescheduleOffer.position", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def live_offers(self) -> list[RescheduleOffer]:
        return [offer for offer in self.offers if offer.status == OFFERED]

    def answer(self, now: datetime) -> str:
        """What the staff page says about it (``ANSWERS``)."""
        if self.status != OPEN:
            return self.status
        if not self.offers:
            return NO_ALTERNATIVE
        return WAITING if any(offer.is_open(now) for offer in self.offers) else LAPSED


class RescheduleOffer(db.Model):
    """One alternative session held for the school: ``seats`` of it, until ``expires_at``."""

    __tablename__ = "reschedule_offers"
    __table_args__ = (
        CheckConstraint(f"status IN {_in(OFFER_STATUSES)}", name="status_known"),
        CheckConstraint("seats >= 1", name="seats_positive"),
        # What the lapse job reads: the live offers that are due.
        Index("ix_reschedule_offers_status_expires", "status", "expires_at"),
        Index("ix_reschedule_offers_slot_status", "slot_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reschedule_id: Mapped[int] = mapped_column(ForeignKey("reschedules.id", ondelete="CASCADE"), index=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id"))
    position: Mapped[int]  # 1 = nearest the original date
    seats: Mapped[int]  # held in the slot while offered
    status: Mapped[str] = mapped_column(String(10), default=OFFERED, server_default=OFFERED)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # The lapse job and the school's click may reach one offer at once: only one writes.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    reschedule: Mapped[Reschedule] = relationship(back_populates="offers")
    slot: Mapped[Slot] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}

    def is_open(self, now: datetime) -> bool:
        """The seats are still held for the school (the page's button and ``take`` ask this)."""
        return self.status == OFFERED and self.expires_at > now
