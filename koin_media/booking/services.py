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

from datetime import datetime

from flask import abort
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..database import utcnow
from ..extensions import db
from . import capacity, codes, rules, waitlist
from .models import (
    CANCEL,
    CANCELLED,
    CONFIRM,
    CONFIRMED,
    EXPIRED,
    MOVE,
    OFFERED,
    PENDING,
    REJECT,
    REJECTED,
    WAITING,
    WITHDRAWN,
    Booking,
    Slot,
)
from .problems import BookingRefused
from .rules import GroupRequest
from .settings import cancel_hours
from .signals import booking_changed
from .transaction import (
    commit,
    end_each_due,
    fail,
    flush,
    lock,
    new_booking,
    pending_deadline,
    release_seats,
    require_action,
    require_manager,
)

CODE_ATTEMPTS = 3


# -- lookups ----------------------------------------------------------------------------------


def get_booking(booking_id: int, user) -> Booking:
    """The booking, for a coordinator of its school or whoever manages its venue; a 404 for
    everyone else, so other schools cannot learn that it exists (pages and API alike)."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or not (booking.is_school_of(user) or booking.is_managed_by(user)):
        abort(404)
    return booking


def booking_by_code(typed: str) -> Booking | None:
    """The booking for a code as typed or scanned at the gate (any case, dash or spaces)."""
    code = codes.normalise(typed)
    return db.session.scalar(select(Booking).where(Booking.code == code)) if code else None


def _refusal_after_failed_hold(slot_id: int, headcount: int) -> BookingRefused:
    is_open = db.session.scalar(select(Slot.is_open).where(Slot.id == slot_id))
    return BookingRefused("slot_full", {"headcount": headcount}) if is_open else BookingRefused("slot_closed")


def _require_school_in_window(actor, booking: Booking, now: datetime) -> None:
    """A school changes its booking itself only until the cancel window closes."""
    if not booking.is_school_of(actor):
        raise BookingRefused("not_allowed")
    if not booking.school_may_change(now):
        raise BookingRefused("cancel_window_passed", {"hours": cancel_hours()})


# -- requests ---------------------------------------------------------------------------------


def book_slot(school_user, slot_id: int, request: GroupRequest, now: datetime | None = None) -> Booking:
    """A school's request for a slot. Its headcount is held at once, by the database, and
    stays held while the request is pending (until ``expires_at``) or confirmed."""
    now = now or utcnow()
    try:
        slot = rules.load_slot(slot_id)
        request = rules.check_request(school_user, slot, now, request)
        if rules.has_live_booking(request.school_id, slot.id):
            raise BookingRefused("duplicate_request")
        rules.check_pending_limit(request.school_id)
        offered = waitlist.live_entry(request.school_id, slot.id)
        if offered is not None and offered.status == OFFERED:
            raise BookingRefused("duplicate_request")  # accept the offer instead
    except BookingRefused as refusal:
        fail(refusal)

    for attempt in range(1, CODE_ATTEMPTS + 1):
        if not capacity.hold(slot.id, request.headcount):
            fail(_refusal_after_failed_hold(slot.id, request.headcount))
        booking = new_booking(request, slot, school_user, now)
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
        commit()
        return booking
    raise AssertionError("unreachable")


# -- decisions --------------------------------------------------------------------------------


def confirm(booking: Booking, actor, now: datetime | None = None) -> Booking:
    now = now or utcnow()
    try:
        require_manager(actor, booking)
        require_action(booking, CONFIRM)
        if booking.expires_at is not None and booking.expires_at <= now:
            raise BookingRefused("request_expired")
        if booking.slot.starts_at <= now:
            raise BookingRefused("slot_past")
    except BookingRefused as refusal:
        fail(refusal)
    booking.status = CONFIRMED
    booking.decided_by_id, booking.decided_at = actor.id, now
    booking.expires_at = None
    lock(booking)
    audit.record(actor, "booking.confirm", booking)
    booking_changed.send(booking, action="confirmed", actor=actor)
    commit()
    return booking


def reject(booking: Booking, actor, reason: str, now: datetime | None = None) -> Booking:
    now = now or utcnow()
    reason = (reason or "").strip()
    try:
        require_manager(actor, booking)
        if not reason:
            raise BookingRefused("reason_required")
        require_action(booking, REJECT)
    except BookingRefused as refusal:
        fail(refusal)
    booking.status = REJECTED
    booking.decided_by_id, booking.decided_at = actor.id, now
    booking.decision_reason = reason
    booking.expires_at = None
    release_seats(booking)
    audit.record(actor, "booking.reject", booking, reason=reason)
    booking_changed.send(booking, action="rejected", actor=actor)
    waitlist.offer_freed_seats(booking.slot, now)
    commit()
    return booking


def cancel(
    booking: Booking, actor, reason: str | None = None, now: datetime | None = None, *, after_closure: bool = False
) -> Booking:
    """Schools cancel their own booking until the cancel window (default 48 h before the
    start); venue managers and staff cancel any time, with a reason the school sees.
    ``after_closure``: a closure took the booking's session (visits.reschedule checked it), so
    its school may cancel past the window too: the venue changed the plan, not the school."""
    now = now or utcnow()
    reason = (reason or "").strip() or None
    try:
        require_action(booking, CANCEL)
        if booking.is_managed_by(actor):
            if not reason:
                raise BookingRefused("reason_required")
        elif not (after_closure and booking.is_school_of(actor)):
            _require_school_in_window(actor, booking, now)
    except BookingRefused as refusal:
        fail(refusal)
    booking.status = CANCELLED
    booking.cancelled_reason = reason
    booking.expires_at = None
    release_seats(booking)
    audit.record(actor, "booking.cancel", booking, reason=reason)
    booking_changed.send(booking, action="cancelled", actor=actor)
    waitlist.offer_freed_seats(booking.slot, now)
    commit()
    return booking


def expire_pending(now: datetime | None = None) -> list[Booking]:
    """End the requests nobody decided in time and give their seats back (periodic job).
    One transaction per booking: a confirmation that wins the race is left alone."""
    now = now or utcnow()

    def expire(booking: Booking) -> None:
        booking.status = EXPIRED
        release_seats(booking)
        audit.record(None, "booking.expire", booking)
        booking_changed.send(booking, action="expired", actor=None)
        waitlist.offer_freed_seats(booking.slot, now)

    return end_each_due(
        Booking,
        select(Booking.id).where(Booking.status == PENDING, Booking.expires_at <= now).order_by(Booking.id),
        lambda booking: booking.status == PENDING and booking.expires_at <= now,
        expire,
    )


def move(
    booking: Booking, new_slot: Slot, actor, now: datetime | None = None, *, offered_to_school: bool = False
) -> Booking:
    """Move a pending or confirmed booking to another slot of the same venue (whoever manages
    it), atomically: the new seats are held and the old ones given back in one transaction,
    or nothing. ``offered_to_school``: the session is an alternative held for the booking's
    school after a closure (visits.reschedule checked the offer), so its coordinator may move."""
    now = now or utcnow()
    old_slot = booking.slot
    try:
        require_action(booking, MOVE)
        if not (offered_to_school and booking.is_school_of(actor)):
            require_manager(actor, booking)
        if new_slot.id == old_slot.id:
            return booking
        if new_slot.program.venue_id != old_slot.program.venue_id:
            raise BookingRefused("other_venue")
        rules.check_slot(new_slot, now)
        rules.check_program(new_slot.program, booking.students, booking.teachers, booking.level)
        if rules.has_live_booking(booking.school_id, new_slot.id):
            raise BookingRefused("duplicate_request")
    except BookingRefused as refusal:
        fail(refusal)

    seats = booking.headcount
    lock(booking)
    # Slot rows in id order, so two moves in opposite directions cannot deadlock.
    if new_slot.id < old_slot.id:
        if not capacity.hold(new_slot.id, seats):
            fail(_refusal_after_failed_hold(new_slot.id, seats))
        capacity.give_back(old_slot.id, seats)
    else:
        capacity.give_back(old_slot.id, seats)
        if not capacity.hold(new_slot.id, seats):
            fail(_refusal_after_failed_hold(new_slot.id, seats))
    booking.slot_id = new_slot.id
    booking.slot = new_slot
    booking.moved_at = now  # reminders due before the move are not for the new session
    if booking.status == PENDING:
        booking.expires_at = min(booking.expires_at or pending_deadline(new_slot, now), new_slot.starts_at)
    flush()
    audit.record(actor, "booking.move", booking, from_slot=old_slot.id, to_slot=new_slot.id)
    booking_changed.send(booking, action="moved", actor=actor, from_slot=old_slot)
    waitlist.offer_freed_seats(old_slot, now)
    commit()
    return booking
