"""The audit log: who decided what, about which object, and why. Written in the same
transaction as the decision it records."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .database import UTCDateTime, utcnow
from .extensions import db

if TYPE_CHECKING:  # the log sits below every feature, accounts too: the mapper finds "User" by name
    from .accounts.models import User


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_subject", "subject_type", "subject_id"),
        # The dashboard's review times: decisions of a kind in a period (migration 0028).
        Index("ix_audit_events_action_created", "action", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int]
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    actor: Mapped[User | None] = relationship("User", lazy="joined")

    @property
    def label(self) -> str:
        """What happened, in words for people (the code stays for machines and reports)."""
        return action_label(self.action)


# Every action code written by ``record`` with the words a history shows for it. A code
# missing here still reads as words ("asset edit"), and tests/test_navigation.py lists the
# codes recorded in the source that have no label.
ACTION_LABELS = {
    "asset.approve": _l("Approved and published"),
    "asset.reject": _l("Rejected, with a reason for the creator"),
    "asset.delete": _l("Deleted"),
    "asset.expire": _l("Usage period ended: left the catalogue"),
    "asset.republish": _l("Usage period extended: published again"),
    "asset.release.store": _l("Consent document stored"),
    "asset.release.remove": _l("Consent document removed"),
    "booking.request": _l("Visit requested"),
    "booking.confirm": _l("Booking confirmed"),
    "booking.reject": _l("Booking request declined"),
    "booking.cancel": _l("Booking cancelled"),
    "booking.expire": _l("Request expired undecided"),
    "booking.move": _l("Moved to another session"),
    "booking.check_in": _l("Group checked in"),
    "booking.no_show": _l("Marked as not come"),
    "booking.complete": _l("Visit completed"),
    "feedback.give": _l("Feedback on the visit sent"),
    "feedback.change": _l("Feedback on the visit changed"),
    "booking.headcount": _l("Final headcount confirmed"),
    "reschedule.offer": _l("Other sessions held after a closure"),
    "reschedule.moved": _l("Moved to a session offered after a closure"),
    "reschedule.cancelled": _l("Visit cancelled after a closure"),
    "reschedule.ended": _l("Sessions offered after a closure released"),
    "reschedule.lapse": _l("Session held after a closure lapsed"),
    "waitlist.join": _l("Joined the waiting list"),
    "waitlist.offer": _l("Seats offered from the waiting list"),
    "waitlist.accept": _l("Offer from the waiting list accepted"),
    "waitlist.lapsed": _l("Offer from the waiting list lapsed"),
    "waitlist.withdrawn": _l("Left the waiting list"),
    "coordinator.approve": _l("Coordinator approved"),
    "coordinator.reject": _l("Coordinator rejected"),
    "school.verify": _l("School verified"),
    "school.levels": _l("School levels changed"),
    "program.create": _l("Program created"),
    "program.update": _l("Program changed"),
    "slot.open": _l("Session opened"),
    "slot.close": _l("Session closed"),
    "slots.generate": _l("Sessions created from a weekly pattern"),
    "venue.create": _l("Venue created"),
    "venue.update": _l("Venue changed"),
    "venue.close": _l("Venue closed for a period"),
    "call.create": _l("Call for content created"),
    "call.update": _l("Call for content changed"),
    "call.open": _l("Call for content opened"),
    "call.closed": _l("Call for content closed"),
    "call.draft": _l("Call for content back to draft"),
    "call.export": _l("Contributions exported as a kit"),
}


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action.replace(".", " ").replace("_", " ")


def record(actor, action: str, subject, **detail) -> AuditEvent:
    """Add an audit event to the current transaction (the caller commits)."""
    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        action=action,
        subject_type=subject.__tablename__,
        subject_id=subject.id,
        detail=detail,
    )
    db.session.add(event)
    return event
