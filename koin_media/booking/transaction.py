"""What every booking and waitlist transaction shares: the checks it starts with, how it writes
(a concurrent change loses with ``status_changed``), how a new booking is built and how seats
are given back with a change of status.

Below ``services``, ``waitlist`` and ``visits``, which all build on it, so that imports go one
way: services -> waitlist -> transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import inspect
from sqlalchemy.orm.exc import StaleDataError

from ..database import utcnow
from ..extensions import db
from . import capacity, codes
from .models import ACTION_STATUSES, HOLDING, PENDING, Booking, Slot
from .problems import BookingRefused
from .rules import GroupRequest
from .settings import pending_hours

# -- checks -----------------------------------------------------------------------------------


def require_manager(actor, booking: Booking) -> None:
    if not booking.is_managed_by(actor):
        raise BookingRefused("not_allowed")


def require_action(booking: Booking, action: str) -> None:
    """The booking's status allows ``action`` (the table ``ACTION_STATUSES``)."""
    if booking.status not in ACTION_STATUSES[action]:
        raise BookingRefused("wrong_status", {"status": booking.status})


# -- writing ----------------------------------------------------------------------------------


def _write(commit: bool) -> None:
    """Bookings and waitlist entries carry a version: a row someone changed since it was read
    (a confirm racing the expiry job) fails the write, which is rolled back and refused."""
    try:
        if commit:
            db.session.commit()
        else:
            db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise BookingRefused("status_changed") from None


def flush() -> None:
    """Write what changed so far, in the open transaction (checks the versions, locks the rows)."""
    _write(commit=False)


def commit() -> None:
    """Commit the service's transaction."""
    _write(commit=True)


def fail(error: Exception):
    """Refuse with nothing written."""
    db.session.rollback()
    raise error


def end_each_due(model, due_ids, still_due, end_one) -> list:
    """The periodic jobs' way to end what is due (expired requests, lapsed offers): one
    transaction per row, so that a school's or staff's click racing the job is never undone.

    ``due_ids`` selects the ids due now; the read ends before the first change. Each row is then
    loaded fresh and ``still_due(row)`` asked again (it may have been decided meanwhile);
    ``end_one(row)`` ends it in the open transaction, which is committed. A row whose write loses
    to a concurrent change (``BookingRefused``, already rolled back) is skipped. Returns the
    rows ended."""
    ids = db.session.scalars(due_ids).all()
    db.session.rollback()
    ended = []
    for row_id in ids:
        row = db.session.get(model, row_id)
        if row is None or not still_due(row):
            db.session.rollback()
            continue
        try:
            end_one(row)
            commit()
        except BookingRefused:
            continue  # decided meanwhile
        ended.append(row)
    return ended


def lock(booking: Booking) -> None:
    """Write the booking first (version check, row lock) so that every transaction takes the
    booking before the slot rows: no lock-order deadlocks between decisions and moves."""
    booking.updated_at = utcnow()
    flush()


def release_seats(booking: Booking) -> None:
    """Give back a booking's seats as its status leaves the holding states.

    The caller has just set the new status; this writes it (checking the version the caller
    read, which also locks the booking row) and returns the headcount to the slot, in the
    caller's transaction. The one way seats of a booking are given back.
    """
    previous = inspect(booking).attrs.status.history.deleted
    if not previous or previous[0] not in HOLDING or booking.status in HOLDING:
        raise capacity.SeatAccountingError(f"booking {booking.id} is not leaving a holding status")
    flush()
    capacity.give_back(booking.slot_id, booking.headcount)


# -- new bookings -----------------------------------------------------------------------------


def pending_deadline(slot: Slot, now: datetime) -> datetime:
    """An undecided request holds its seats this long, and never past the slot's start."""
    return min(now + timedelta(hours=pending_hours()), slot.starts_at)


def new_booking(request: GroupRequest, slot: Slot, user, now: datetime) -> Booking:
    """A pending booking for a checked request (a new one, or an accepted waitlist offer),
    added to the session; the caller has held its seats."""
    booking = Booking(
        code=codes.new_code(),
        slot_id=slot.id,
        requested_by_id=getattr(user, "id", None),
        **request.stored(),
        status=PENDING,
        expires_at=pending_deadline(slot, now),
        created_at=now,
        updated_at=now,
    )
    db.session.add(booking)
    return booking
