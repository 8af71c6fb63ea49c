"""The visit itself: check-in at the gate, no-shows, completion (see services for the rules
every transition follows: one transaction, version-checked, seats given back with the state)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from .. import audit
from ..database import utcnow
from ..extensions import db
from . import rules
from .models import CHECKED_IN, COMPLETED, CONFIRMED, NO_SHOW, Booking, Slot
from .problems import BookingRefused
from .services import _commit, _fail, _lock, _require_manager, _require_status, release_seats
from .signals import booking_changed


def check_in(
    booking: Booking, actor, attended_students: int, attended_teachers: int, now: datetime | None = None
) -> Booking:
    """At the gate: record who actually came. Opens a little before the start (default
    120 minutes) and closes when the slot ends."""
    now = now or utcnow()
    try:
        _require_manager(actor, booking)
        _require_status(booking, CONFIRMED)
        early = rules.check_in_early_minutes()
        if now < booking.slot.starts_at - timedelta(minutes=early):
            raise BookingRefused("check_in_not_open", {"minutes": early})
        if now >= booking.slot.ends_at:
            raise BookingRefused("slot_past")
        if not (0 <= attended_students <= booking.students and 0 <= attended_teachers <= booking.teachers):
            raise BookingRefused("attendance_invalid")
    except BookingRefused as refusal:
        _fail(refusal)
    booking.status = CHECKED_IN
    booking.attended_students, booking.attended_teachers = attended_students, attended_teachers
    _lock(booking)
    audit.record(actor, "booking.check_in", booking, students=attended_students, teachers=attended_teachers)
    booking_changed.send(booking, action="checked_in", actor=actor)
    _commit()
    return booking


def mark_no_show(booking: Booking, actor, now: datetime | None = None) -> Booking:
    """A confirmed group that never came, once the slot has ended."""
    now = now or utcnow()
    try:
        _require_manager(actor, booking)
        _require_status(booking, CONFIRMED)
        if now < booking.slot.ends_at:
            raise BookingRefused("slot_not_ended")
    except BookingRefused as refusal:
        _fail(refusal)
    booking.status = NO_SHOW
    release_seats(booking)
    audit.record(actor, "booking.no_show", booking)
    booking_changed.send(booking, action="no_show", actor=actor)
    _commit()
    return booking


def complete(booking: Booking, actor, now: datetime | None = None) -> Booking:
    """The visit took place. ``actor`` None is the periodic job, after the slot has ended."""
    now = now or utcnow()
    try:
        if actor is not None:
            _require_manager(actor, booking)
        _require_status(booking, CHECKED_IN)
    except BookingRefused as refusal:
        _fail(refusal)
    booking.status = COMPLETED
    release_seats(booking)
    audit.record(actor, "booking.complete", booking)
    booking_changed.send(booking, action="completed", actor=actor)
    _commit()
    return booking


def complete_finished(now: datetime | None = None) -> list[Booking]:
    """Complete the checked-in visits whose slot has ended (periodic job)."""
    now = now or utcnow()
    ids = db.session.scalars(
        select(Booking.id).join(Slot).where(Booking.status == CHECKED_IN, Slot.ends_at <= now).order_by(Booking.id)
    ).all()
    db.session.rollback()
    done = []
    for booking_id in ids:
        booking = db.session.get(Booking, booking_id)
        try:
            done.append(complete(booking, None, now))
        except BookingRefused:
            continue
    return done
