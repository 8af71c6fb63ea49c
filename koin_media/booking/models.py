"""Programs, slots, closures, bookings and waitlist entries of the eduwisata booking feature."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import LEVELS, HasLevels, School, User
from ..database import UTCDateTime, utcnow
from ..extensions import db
from ..venues.models import Venue
from .settings import cancel_hours, check_in_early_minutes

# Booking lifecycle (DESIGN.md, "Booking lifecycle").
PENDING = "pending"
CONFIRMED = "confirmed"
CHECKED_IN = "checked_in"
COMPLETED = "completed"
REJECTED = "rejected"
EXPIRED = "expired"
CANCELLED = "cancelled"
NO_SHOW = "no_show"
STATUSES = (PENDING, CONFIRMED, CHECKED_IN, COMPLETED, REJECTED, EXPIRED, CANCELLED, NO_SHOW)
# Bookings in these states hold their headcount in the slot's ``held`` count.
HOLDING = (PENDING, CONFIRMED, CHECKED_IN)
# A school may have only one of these per slot (the partial unique index below).
LIVE = (PENDING, CONFIRMED, CHECKED_IN)

STATUS_LABELS = {
    PENDING: _l("Waiting for confirmation"),
    CONFIRMED: _l("Confirmed"),
    CHECKED_IN: _l("Checked in"),
    COMPLETED: _l("Completed"),
    REJECTED: _l("Rejected"),
    EXPIRED: _l("Expired"),
    CANCELLED: _l("Cancelled"),
    NO_SHOW: _l("Did not come"),
}

# What can be done to a booking, and in which statuses: the one table that the services
# enforce (transaction.require_action) and the pages and the API render from
# (Booking.allowed_actions).
CONFIRM = "confirm"
REJECT = "reject"
MOVE = "move"
CANCEL = "cancel"
CHECK_IN = "check_in"
NO_SHOW = "no_show"
COMPLETE = "complete"
HEADCOUNT = "headcount"  # the school confirms (or changes) its final numbers: visits/headcount.py
ACTION_STATUSES = {
    CONFIRM: (PENDING,),
    REJECT: (PENDING,),
    MOVE: (PENDING, CONFIRMED),
    CANCEL: (PENDING, CONFIRMED),
    CHECK_IN: (CONFIRMED,),
    NO_SHOW: (CONFIRMED,),
    COMPLETE: (CHECKED_IN,),
    HEADCOUNT: (CONFIRMED,),
}
# Where the gate stands for a booking at a given moment (Booking.check_in_window).
WINDOW_TOO_EARLY = "too_early"
WINDOW_OPEN = "open"
WINDOW_ENDED = "ended"
# Whoever manages the venue may take every action; a coordinator of the booking's school only
# these, and only until the cancel window closes (Booking.school_may_change); and the final
# headcount until the session starts (Booking.headcount_may_change).
SCHOOL_ACTIONS = frozenset({CANCEL})

# Waitlist entries; an offered entry holds its headcount until it is accepted or lapses.
WAITING = "waiting"
OFFERED = "offered"
ACCEPTED = "accepted"
LAPSED = "lapsed"
WITHDRAWN = "withdrawn"
WAITLIST_STATUSES = (WAITING, OFFERED, ACCEPTED, LAPSED, WITHDRAWN)
WAITLIST_LIVE = (WAITING, OFFERED)

WAITLIST_STATUS_LABELS = {
    WAITING: _l("Waiting for seats"),
    OFFERED: _l("Seats offered"),
    ACCEPTED: _l("Offer accepted"),
    LAPSED: _l("Offer lapsed"),
    WITHDRAWN: _l("Withdrawn"),
}


def _in(values) -> str:
    return "({})".format(", ".join(f"'{v}'" for v in values))


class Program(HasLevels, db.Model):
    """What a group does at a venue, with the rules a booking must meet."""

    __tablename__ = "programs"
    __table_args__ = (
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        CheckConstraint("min_students >= 1 AND max_students >= min_students", name="group_size_range"),
        CheckConstraint("students_per_teacher >= 1", name="teacher_ratio_positive"),
        CheckConstraint("price_per_student >= 0", name="price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(160))
    description: Mapped[str] = mapped_column(Text, default="")
    duration_minutes: Mapped[int]
    min_students: Mapped[int]
    max_students: Mapped[int]
    # At least one teacher per this many students (1 per 15: 31 students need 3 teachers).
    students_per_teacher: Mapped[int] = mapped_column(default=15)
    # A comma-separated subset of LEVELS, e.g. "SMP,SMA,SMK".
    levels: Mapped[str] = mapped_column(String(40), default=",".join(LEVELS))
    # What the group must bring or do, one item each (parental consent, closed shoes, helmet).
    requirements: Mapped[list] = mapped_column(JSON, default=list)
    price_per_student: Mapped[int] = mapped_column(default=0)  # rupiah; 0 = free
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    venue: Mapped[Venue] = relationship(lazy="joined")

    def teachers_needed(self, students: int) -> int:
        return -(-students // self.students_per_teacher)

    def price_for(self, students: int) -> int:
        """What a group pays, in rupiah: students times the price; teachers come free.
        (booking_request.js shows the same sum live as the number is typed.)"""
        return self.price_per_student * students


class Slot(db.Model):
    """A dated session of a program. ``held`` only ever changes through booking.capacity."""

    __tablename__ = "slots"
    __table_args__ = (
        CheckConstraint("capacity > 0", name="capacity_positive"),
        # The last guard against overbooking, whatever the code above it does.
        CheckConstraint("held >= 0", name="held_not_negative"),
        CheckConstraint("held <= capacity", name="held_within_capacity"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        UniqueConstraint("program_id", "starts_at", name="uq_slots_program_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    capacity: Mapped[int]  # headcount: students plus teachers
    held: Mapped[int] = mapped_column(default=0)
    is_open: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    program: Mapped[Program] = relationship(lazy="joined")

    @property
    def remaining(self) -> int:
        return max(self.capacity - self.held, 0)


class Closure(db.Model):
    """A period a venue receives no groups (a race weekend); overlapping slots are closed."""

    __tablename__ = "closures"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(String(255))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    venue: Mapped[Venue] = relationship()


class Booking(db.Model):
    """A school's request for a slot, from pending to completed (or ended on the way)."""

    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint(f"status IN {_in(STATUSES)}", name="status_known"),
        CheckConstraint(f"level IN {_in(LEVELS)}", name="level_known"),
        CheckConstraint("students >= 1 AND teachers >= 0", name="headcount_positive"),
        CheckConstraint(
            "(attended_students IS NULL OR attended_students >= 0) "
            "AND (attended_teachers IS NULL OR attended_teachers >= 0)",
            name="attendance_not_negative",
        ),
        # One live request per school and slot, enforced by the database.
        Index(
            "uq_bookings_live_school_slot",
            "slot_id",
            "school_id",
            unique=True,
            sqlite_where=text(f"status IN {_in(LIVE)}"),
            postgresql_where=text(f"status IN {_in(LIVE)}"),
        ),
        Index("ix_bookings_status_expires", "status", "expires_at"),
        Index("ix_bookings_school_status", "school_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    students: Mapped[int]
    teachers: Mapped[int]
    level: Mapped[str] = mapped_column(String(3))
    contact_name: Mapped[str] = mapped_column(String(120))
    contact_phone: Mapped[str] = mapped_column(String(20))
    special_needs: Mapped[str] = mapped_column(Text, default="")
    consent: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(12), default=PENDING)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # pending only
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_reason: Mapped[str | None] = mapped_column(Text)
    cancelled_reason: Mapped[str | None] = mapped_column(Text)
    attended_students: Mapped[int | None]
    attended_teachers: Mapped[int | None]
    # When the group was checked in at the gate (the school's page says so instead of "show
    # this code"); kept after completion.
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the booking last moved to another session (services.move); NULL: never moved. A
    # reminder due before it was for the old session's schedule (visits/reminders.py).
    moved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the school (or the venue for it) last confirmed the final headcount (visits/headcount.py).
    headcount_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # Optimistic lock: every UPDATE checks the version it read, so two decisions made at once
    # (a confirm racing the expiry job) cannot both win; the loser's transaction rolls back.
    version: Mapped[int] = mapped_column(default=1)

    slot: Mapped[Slot] = relationship(lazy="joined")
    school: Mapped[School] = relationship(lazy="joined")
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def headcount(self) -> int:
        return self.students + self.teachers

    @property
    def visit_stands(self) -> bool:
        """The visit will happen as booked: confirmed, in a session still open. A closure
        closes the session but leaves the booking confirmed until it is moved or cancelled;
        reminders and the parents' text (visits/reminders.py, whatsapp.py) go by this."""
        return self.status == CONFIRMED and self.slot.is_open

    def is_managed_by(self, user) -> bool:
        """``user`` manages the booking's venue (``Venue.may_manage``: staff, or its managers)."""
        return Venue.may_manage(user, self.slot.program.venue_id)

    def is_school_of(self, user) -> bool:
        """``user`` acts for the booking's school (an approved coordinator of it)."""
        signed_in = user is not None and getattr(user, "is_authenticated", False)
        return bool(signed_in and user.acts_for_school(self.school_id))

    def school_may_change(self, now: datetime) -> bool:
        """The school may still cancel online: until BOOKING_CANCEL_HOURS before the start."""
        return now <= self.slot.starts_at - timedelta(hours=cancel_hours())

    def headcount_may_change(self, now: datetime) -> bool:
        """The final headcount may be confirmed or changed until the session starts: after the
        cancel window too, since the reminder the day before asks for it; the gate then records
        who came."""
        return now < self.slot.starts_at

    @property
    def check_in_opens_at(self) -> datetime:
        """The gate opens BOOKING_CHECKIN_EARLY_MINUTES (default 120) before the session starts."""
        return self.slot.starts_at - timedelta(minutes=check_in_early_minutes())

    def check_in_window(self, now: datetime) -> str:
        """The one place that says when a group may be checked in (until the slot ends):
        ``allowed_actions`` offers check-in only while it is open, ``visits.check_in`` refuses
        outside it, and the gate page shows it before the button is pressed."""
        if now < self.check_in_opens_at:
            return WINDOW_TOO_EARLY
        return WINDOW_ENDED if now >= self.slot.ends_at else WINDOW_OPEN

    def allowed_actions(self, user, now: datetime | None = None, *, manages: bool | None = None) -> frozenset[str]:
        """What ``user`` may do to the booking now: its status allows it (``ACTION_STATUSES``)
        and the user may (manager: all; the school: ``SCHOOL_ACTIONS`` within the cancel
        window). At the gate, check-in only while ``check_in_window`` is open, a no-show only
        once the slot has ended. The services refuse the same; an expired request remains a
        refusal of the moment of acting. ``manages``: whether ``user`` manages the venue, when
        the caller already asked ``Venue.can_manage`` once for a whole list of one venue's
        bookings (no query per row)."""
        now = now or utcnow()
        by_status = {action for action, statuses in ACTION_STATUSES.items() if self.status in statuses}
        if self.is_managed_by(user) if manages is None else manages:
            if CHECK_IN in by_status and self.check_in_window(now) != WINDOW_OPEN:
                by_status.discard(CHECK_IN)
            if now < self.slot.ends_at:
                by_status.discard(NO_SHOW)
            if not self.headcount_may_change(now):
                by_status.discard(HEADCOUNT)
            return frozenset(by_status)
        if self.is_school_of(user):
            allowed = by_status & SCHOOL_ACTIONS if self.school_may_change(now) else set()
            if HEADCOUNT in by_status and self.headcount_may_change(now):
                allowed.add(HEADCOUNT)  # open past the cancel window (headcount_may_change)
            return frozenset(allowed)
        return frozenset()


class WaitlistEntry(db.Model):
    """A school waiting for a full slot, with the request it would make."""

    __tablename__ = "waitlist_entries"
    __table_args__ = (
        CheckConstraint(f"status IN {_in(WAITLIST_STATUSES)}", name="status_known"),
        CheckConstraint(f"level IN {_in(LEVELS)}", name="level_known"),
        CheckConstraint("students >= 1 AND teachers >= 0", name="headcount_positive"),
        Index(
            "uq_waitlist_live_school_slot",
            "slot_id",
            "school_id",
            unique=True,
            sqlite_where=text(f"status IN {_in(WAITLIST_LIVE)}"),
            postgresql_where=text(f"status IN {_in(WAITLIST_LIVE)}"),
        ),
        Index("ix_waitlist_entries_slot_status", "slot_id", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id"))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    students: Mapped[int]
    teachers: Mapped[int]
    level: Mapped[str] = mapped_column(String(3))
    contact_name: Mapped[str] = mapped_column(String(120))
    contact_phone: Mapped[str] = mapped_column(String(20))
    special_needs: Mapped[str] = mapped_column(Text, default="")
    consent: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(10), default=WAITING)
    offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    offered_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    slot: Mapped[Slot] = relationship(lazy="joined")
    school: Mapped[School] = relationship(lazy="joined")
    requested_by: Mapped[User | None] = relationship()
    booking: Mapped[Booking | None] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def headcount(self) -> int:
        return self.students + self.teachers

    def offer_open(self, now: datetime) -> bool:
        """The school may still accept the places offered to it (the page's button and
        ``waitlist.accept_offer`` ask this)."""
        return self.status == OFFERED and self.offered_until is not None and self.offered_until > now
