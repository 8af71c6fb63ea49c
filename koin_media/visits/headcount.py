"""The final headcount: the school confirms (or changes) how many students and teachers come.

Who and until when is ``Booking.allowed_actions`` (``HEADCOUNT``): a coordinator of the
booking's school, or whoever manages its venue, on a confirmed booking until the session
starts (``Booking.headcount_may_change``; past the cancel window, since the reminder the day
before asks for it). The numbers stay within the program's rules (``rules.check_program``).
Fewer people give their seats back at once and offer them to the waiting list; more people
need free seats, held by the database (``capacity.hold``) or refused. One transaction,
version-checked like every booking change: two coordinators saving at once cannot both win.
"""

from __future__ import annotations

from datetime import datetime

from .. import audit
from ..booking import capacity, rules, waitlist
from ..booking.models import HEADCOUNT, Booking, Slot
from ..booking.problems import BookingRefused
from ..booking.transaction import commit, fail, lock, require_action
from ..database import utcnow
from ..extensions import db
from .signals import visit_changed


def _require_may_change(booking: Booking, actor, now: datetime) -> None:
    """The refusal that says why ``HEADCOUNT`` is not among ``allowed_actions`` (who, the
    booking's status, the session's start), the same order ``allowed_actions`` asks in."""
    if not (booking.is_school_of(actor) or booking.is_managed_by(actor)):
        raise BookingRefused("not_allowed")
    require_action(booking, HEADCOUNT)
    if not booking.headcount_may_change(now):
        raise BookingRefused("slot_past")


def _no_room(slot: Slot) -> BookingRefused:
    """Why more people did not fit: the session closed, or how many places are left."""
    db.session.refresh(slot, ["is_open", "capacity", "held"])
    if not slot.is_open:
        return BookingRefused("slot_closed")
    return BookingRefused("headcount_no_room", {"remaining": slot.remaining})


def confirm_headcount(
    booking: Booking,
    actor,
    students: int,
    teachers: int,
    now: datetime | None = None,
    version: int | None = None,
) -> Booking:
    """Set the booking's final numbers and record that they were confirmed. ``version``: the
    booking's version the caller's form showed; a booking changed since is refused
    (``status_changed``) instead of overwriting what someone else saved."""
    now = now or utcnow()
    try:
        _require_may_change(booking, actor, now)
        if version is not None and version != booking.version:
            raise BookingRefused("status_changed")
        if not isinstance(students, int) or not isinstance(teachers, int):
            raise TypeError("students and teachers must be whole numbers")
        rules.check_program(booking.slot.program, students, teachers, booking.level)
    except BookingRefused as refusal:
        fail(refusal)

    before = {"students": booking.students, "teachers": booking.teachers}
    change = students + teachers - booking.headcount
    booking.students, booking.teachers = students, teachers
    booking.headcount_confirmed_at = now
    lock(booking)  # the booking row first, then the slot's: the order every booking change takes
    if change > 0 and not capacity.hold(booking.slot_id, change):
        fail(_no_room(booking.slot))
    if change < 0:
        capacity.give_back(booking.slot_id, -change)
    audit.record(actor, "booking.headcount", booking, students=students, teachers=teachers, before=before)
    visit_changed.send(booking, action="headcount_changed", actor=actor, before=before)
    if change < 0:
        waitlist.offer_freed_seats(booking.slot, now)
    commit()
    return booking
