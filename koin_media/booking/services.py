"""Write logic of the booking lifecycle: request, decide, cancel, expire, move, check in.

Each function is one transaction: it checks the domain rules (permissions by role are the
caller's, see access.py), changes the booking, holds or gives back seats through
``capacity`` in the same transaction, records the decision in the audit log, sends
``signals.booking_changed`` and commits. A refusal raises ``BookingRefused`` with nothing
written. Call them where the database is written (a POST request, a job, a CLI command, or
inside ``write_intent()``), so that SQLite takes its write lock up front.

Bookings carry a version column: a decision taken on a booking someone changed meanwhile
fails with ``status_changed`` instead of silently overwriting (confirm racing the expiry job).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from .. import audit
from ..database import utcnow
from ..extensions import db
from ..roles import STAFF, VENUE_MANAGER
from ..venues.models import Venue, venue_managers
from . import capacity, codes, rules, waitlist
from .models import (
    CANCELLED,
    CONFIRMED,
    EXPIRED,
    HOLDING,
    OFFERED,
    PENDING,
    REJECTED,
    WAITING,
    WITHDRAWN,
    Booking,
    Slot,
    WaitlistEntry,
)
from .problems import BookingRefused
from .signals import booking_changed

CODE_ATTEMPTS = 3


# -- who may act ------------------------------------------------------------------------------


def can_manage(user, venue) -> bool:
    """Staff and admins manage every venue; a venue manager only the venues they manage."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.has_role(STAFF):
        return True
    if user.role != VENUE_MANAGER:
        return False
    venue_id = venue.id if isinstance(venue, Venue) else venue
    return bool(
        db.session.scalar(
            select(exists().where(venue_managers.c.venue_id == venue_id, venue_managers.c.user_id == user.id))
        )
    )


def is_school_of(user, booking: Booking) -> bool:
    """``user`` acts for the booking's school (an approved coordinator of it)."""
    return user is not None and getattr(user, "is_authenticated", False) and user.acts_for_school(booking.school_id)


def _require_manager(actor, booking: Booking) -> None:
    if not can_manage(actor, booking.slot.program.venue_id):
        raise BookingRefused("not_allowed")


def _require_status(booking: Booking, *statuses: str) -> None:
    if booking.status not in statuses:
        raise BookingRefused("wrong_status", {"status": booking.status})


# -- transactions -----------------------------------------------------------------------------


def _commit() -> None:
    """Commit the service's transaction; a concurrent change to the same booking loses."""
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise BookingRefused("status_changed") from None


def _fail(error: Exception):
    db.session.rollback()
    raise error


def release_seats(booking: Booking) -> None:
    """Give back a booking's seats as its status leaves the holding states.

    The caller has just set the new status; this writes it (checking the version the caller
    read, which also locks the booking row) and returns the headcount to the slot, in the
    caller's transaction. The one way seats of a booking are given back.
    """
    previous = inspect(booking).attrs.status.history.deleted
    if not previous or previous[0] not in HOLDING or booking.status in HOLDING:
        raise capacity.SeatAccountingError(f"booking {booking.id} is not leaving a holding status")
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise BookingRefused("status_changed") from None
    capacity.give_back(booking.slot_id, booking.headcount)


def _lock(booking: Booking) -> None:
    """Write the booking first (version check, row lock) so that every transaction takes the
    booking before the slot rows: no lock-order deadlocks between decisions and moves."""
    booking.updated_at = utcnow()
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise BookingRefused("status_changed") from None


def _refusal_after_failed_hold(slot_id: int, headcount: int) -> BookingRefused:
    is_open = db.session.scalar(select(Slot.is_open).where(Slot.id == slot_id))
    return BookingRefused("slot_full", {"headcount": headcount}) if is_open else BookingRefused("slot_closed")


# -- requests ---------------------------------------------------------------------------------


def book_slot(
    school_user,
    slot_id: int,
    students: int,
    teachers: int,
    level: str,
    contact_name: str,
    contact_phone: str,
    special_needs: str = "",
    consent: bool = False,
    now: datetime | None = None,
) -> Booking:
    """A school's request for a slot. Its headcount is held at once, by the database, and
    stays held while the request is pending (until ``expires_at``) or confirmed."""
    now = now or utcnow()
    try:
        slot = rules.load_slot(slot_id)
        request = rules.check_request(
            school_user, slot, now, students, teachers, level, contact_name, contact_phone, special_needs, consent
        )
        if rules.has_live_booking(request.school_id, slot.id):
            raise BookingRefused("duplicate_request")
        rules.check_pending_limit(request.school_id)
        offered = waitlist.live_entry(request.school_id, slot.id)
        if offered is not None and offered.status == OFFERED:
            raise BookingRefused("duplicate_request")  # accept the offer instead
    except BookingRefused as refusal:
        _fail(refusal)

    for attempt in range(1, CODE_ATTEMPTS + 1):
        if not capacity.hold(slot.id, request.headcount):
            _fail(_refusal_after_failed_hold(slot.id, request.headcount))
        booking = _new_booking(request, slot, school_user, now)
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()  # gives the seats back too: one transaction
            if rules.has_live_booking(request.school_id, slot.id):
                raise BookingRefused("duplicate_request") from None
            if attempt == CODE_ATTEMPTS:
                raise
            continue  # the random code was taken: try another
        if offered is not None and offered.status == WAITING:
            offered.status = WITHDRAWN
        audit.record(school_user, "booking.request", booking, slot_id=slot.id, headcount=booking.headcount)
        booking_changed.send(booking, action="requested", actor=school_user)
        _commit()
        return booking
    raise AssertionError("unreachable")


def _new_booking(request: rules.GroupRequest, slot: Slot, user, now: datetime, status: str = PENDING) -> Booking:
    booking = Booking(
        code=codes.new_code(),
        slot_id=slot.id,
        requested_by_id=getattr(user, "id", None),
        **request.stored(),
        consent=True,
        status=status,
        expires_at=pending_deadline(slot, now) if status == PENDING else None,
        created_at=now,
        updated_at=now,
    )
    db.session.add(booking)
    return booking


def pending_deadline(slot: Slot, now: datetime) -> datetime:
    """An undecided request holds its seats this long, and never past the slot's start."""
    return min(now + timedelta(hours=rules.pending_hours()), slot.starts_at)


def booking_by_code(typed: str) -> Booking | None:
    """The booking for a code as typed or scanned at the gate (any case, dash or spaces)."""
    code = codes.normalise(typed)
    return db.session.scalar(select(Booking).where(Booking.code == code)) if code else None


# -- decisions --------------------------------------------------------------------------------


def confirm(booking: Booking, actor, now: datetime | None = None) -> Booking:
    now = now or utcnow()
    try:
        _require_manager(actor, booking)
        _require_status(booking, PENDING)
        if booking.expires_at is not None and booking.expires_at <= now:
            raise BookingRefused("request_expired")
        if booking.slot.starts_at <= now:
            raise BookingRefused("slot_past")
    except BookingRefused as refusal:
        _fail(refusal)
    booking.status = CONFIRMED
    booking.decided_by_id, booking.decided_at = actor.id, now
    booking.expires_at = None
    _lock(booking)
    audit.record(actor, "booking.confirm", booking)
    booking_changed.send(booking, action="confirmed", actor=actor)
    _commit()
    return booking


def reject(booking: Booking, actor, reason: str, now: datetime | None = None) -> Booking:
    now = now or utcnow()
    reason = (reason or "").strip()
    try:
        _require_manager(actor, booking)
        if not reason:
            raise BookingRefused("reason_required")
        _require_status(booking, PENDING)
    except BookingRefused as refusal:
        _fail(refusal)
    booking.status = REJECTED
    booking.decided_by_id, booking.decided_at = actor.id, now
    booking.decision_reason = reason
    booking.expires_at = None
    release_seats(booking)
    audit.record(actor, "booking.reject", booking, reason=reason)
    booking_changed.send(booking, action="rejected", actor=actor)
    waitlist.offer_freed_seats(booking.slot, now)
    _commit()
    return booking


def cancel(booking: Booking, actor, reason: str | None = None, now: datetime | None = None) -> Booking:
    """Schools cancel their own booking until the cancel window (default 48 h before the
    start); venue managers and staff cancel any time, with a reason the school sees."""
    now = now or utcnow()
    reason = (reason or "").strip() or None
    try:
        _require_status(booking, PENDING, CONFIRMED)
        if can_manage(actor, booking.slot.program.venue_id):
            if not reason:
                raise BookingRefused("reason_required")
        elif is_school_of(actor, booking):
            hours = rules.cancel_hours()
            if now > booking.slot.starts_at - timedelta(hours=hours):
                raise BookingRefused("cancel_window_passed", {"hours": hours})
        else:
            raise BookingRefused("not_allowed")
    except BookingRefused as refusal:
        _fail(refusal)
    booking.status = CANCELLED
    booking.cancelled_reason = reason
    booking.expires_at = None
    release_seats(booking)
    audit.record(actor, "booking.cancel", booking, reason=reason)
    booking_changed.send(booking, action="cancelled", actor=actor)
    waitlist.offer_freed_seats(booking.slot, now)
    _commit()
    return booking


def expire_pending(now: datetime | None = None) -> list[Booking]:
    """End the requests nobody decided in time and give their seats back (periodic job).
    One transaction per booking: a confirmation that wins the race is left alone."""
    now = now or utcnow()
    ids = db.session.scalars(
        select(Booking.id).where(Booking.status == PENDING, Booking.expires_at <= now).order_by(Booking.id)
    ).all()
    db.session.rollback()
    expired = []
    for booking_id in ids:
        booking = db.session.get(Booking, booking_id)
        if booking is None or booking.status != PENDING or booking.expires_at > now:
            db.session.rollback()
            continue
        booking.status = EXPIRED
        try:
            release_seats(booking)
            audit.record(None, "booking.expire", booking)
            booking_changed.send(booking, action="expired", actor=None)
            waitlist.offer_freed_seats(booking.slot, now)
            _commit()
        except BookingRefused:
            continue  # decided meanwhile
        expired.append(booking)
    return expired


def move(booking: Booking, new_slot: Slot, actor, now: datetime | None = None) -> Booking:
    """Move a pending or confirmed booking to another slot of the same venue, atomically:
    the new seats are held and the old ones given back in one transaction, or nothing."""
    now = now or utcnow()
    old_slot = booking.slot
    try:
        _require_status(booking, PENDING, CONFIRMED)
        if can_manage(actor, old_slot.program.venue_id):
            pass
        elif is_school_of(actor, booking):
            hours = rules.cancel_hours()
            if now > old_slot.starts_at - timedelta(hours=hours):
                raise BookingRefused("cancel_window_passed", {"hours": hours})
        else:
            raise BookingRefused("not_allowed")
        if new_slot.id == old_slot.id:
            return booking
        if new_slot.program.venue_id != old_slot.program.venue_id:
            raise BookingRefused("other_venue")
        rules.check_slot(new_slot, now)
        rules.check_program(new_slot.program, booking.students, booking.teachers, booking.level)
        if rules.has_live_booking(booking.school_id, new_slot.id):
            raise BookingRefused("duplicate_request")
    except BookingRefused as refusal:
        _fail(refusal)

    seats = booking.headcount
    _lock(booking)
    # Slot rows in id order, so two moves in opposite directions cannot deadlock.
    if new_slot.id < old_slot.id:
        if not capacity.hold(new_slot.id, seats):
            _fail(_refusal_after_failed_hold(new_slot.id, seats))
        capacity.give_back(old_slot.id, seats)
    else:
        capacity.give_back(old_slot.id, seats)
        if not capacity.hold(new_slot.id, seats):
            _fail(_refusal_after_failed_hold(new_slot.id, seats))
    booking.slot_id = new_slot.id
    booking.slot = new_slot
    if booking.status == PENDING:
        booking.expires_at = min(booking.expires_at or pending_deadline(new_slot, now), new_slot.starts_at)
    db.session.flush()
    audit.record(actor, "booking.move", booking, from_slot=old_slot.id, to_slot=new_slot.id)
    booking_changed.send(booking, action="moved", actor=actor, from_slot=old_slot)
    waitlist.offer_freed_seats(old_slot, now)
    _commit()
    return booking


__all__ = [
    "BookingRefused",
    "WaitlistEntry",
    "book_slot",
    "booking_by_code",
    "can_manage",
    "cancel",
    "confirm",
    "expire_pending",
    "is_school_of",
    "move",
    "reject",
    "release_seats",
]
