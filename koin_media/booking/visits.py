"""The visit itself: check-in at the gate, no-shows, completion (see services for the rules
every transition follows: one transaction, version-checked, seats given back with the state)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from .. import audit
from ..database import utcnow
from ..extensions import db
from .models import (
    CHECK_IN,
    CHECKED_IN,
    COMPLETE,
    COMPLETED,
    NO_SHOW,
    WINDOW_ENDED,
    WINDOW_TOO_EARLY,
    Booking,
    Slot,
)
from .problems import BookingRefused
from .settings import check_in_early_minutes
from .signals import booking_changed
from .transaction import commit, fail, lock, release_seats, require_action, require_manager


def check_in(
    booking: Booking, actor, attended_students: int, attended_teachers: int, now: datetime | None = None
) -> Booking:
    """At the gate: record who actually came, within ``Booking.check_in_window``."""
    now = now or utcnow()
    try:
        require_manager(actor, booking)
        require_action(booking, CHECK_IN)
        window = booking.check_in_window(now)
        if window == WINDOW_TOO_EARLY:
            raise BookingRefused("check_in_not_open", {"minutes": check_in_early_minutes()})
        if window == WINDOW_ENDED:
            raise BookingRefused("slot_past")
        if not (0 <= attended_students <= booking.students and 0 <= attended_teachers <= booking.teachers):
            raise BookingRefused("attendance_invalid")
    except BookingRefused as refusal:
        fail(refusal)
    booking.status = CHECKED_IN
    booking.attended_students, booking.attended_teachers = attended_students, attended_teachers
    booking.checked_in_at = now  # the school's page shows it in place of "show this code"
    lock(booking)
    audit.record(actor, "booking.check_in", booking, students=attended_students, teachers=attended_teachers)
    booking_changed.send(booking, action="checked_in", actor=actor)
    commit()
    return booking


def mark_no_show(booking: Booking, actor, now: datetime | None = None) -> Booking:
    """A confirmed group that never came, once the slot has ended."""
    now = now or utcnow()
    try:
        require_manager(actor, booking)
        require_action(booking, NO_SHOW)
        if now < booking.slot.ends_at:
            raise BookingRefused("slot_not_ended")
    except BookingRefused as refusal:
        fail(refusal)
    booking.status = NO_SHOW
    release_seats(booking)
    audit.record(actor, "booking.no_show", booking)
    booking_changed.send(booking, action="no_show", actor=actor)
    commit()
    return booking


def complete(booking: Booking, actor, now: datetime | None = None) -> Booking:
    """The visit took place. ``actor`` None is the periodic job, after the slot has ended."""
    now = now or utcnow()
    try:
        if actor is not None:
            require_manager(actor, booking)
        require_action(booking, COMPLETE)
    except BookingRefused as refusal:
        fail(refusal)
    booking.status = COMPLETED
    release_seats(booking)
    audit.record(actor, "booking.complete", booking)
    booking_changed.send(booking, action="completed", actor=actor)
    commit()
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
