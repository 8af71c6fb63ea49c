"""Offline check-in at the gate (issue 12, point 7): the day's bookings a gate keeps on its
device, and the check-ins it made without a connection, applied when it is back online.

The gate page (templates/booking/checkin.html, static/js/checkin_offline.js) keeps the
bookings of the day (``day_bookings``) for each venue its user manages in IndexedDB. Offline,
a code is looked up there and a check-in is stored as an operation with the device's own
UUID and the moment it happened. Back online, the operations come here
(``apply_operations``), each through ``booking.visits.check_in``: the server's rules win
(who may, the booking's status, the window, the numbers), and an operation already applied is
answered "already applied" without counting again (``GateOperation.operation_id`` is unique
and written in the check-in's own transaction).

The check-in's time is when it happened at the gate, bounded (``record_time``): never later
than the server's clock (a device clock running ahead cannot check in the future) and never
before the window opened (a device clock running a little behind gives the window's
opening). The window is then judged at that moment, so a group checked in during the session
is accepted even when the connection returns after the session has ended, and a check-in
the device says happened after the session ended is refused. Two limits keep that from
checking in a session long past (``out_of_time``): a moment well before the window opened
(more than ``CLOCK_TOLERANCE``) is refused, not moved to the opening, and so is any
operation sent more than ``MAX_SYNC_DELAY`` after its session ended.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..booking import visits
from ..booking.models import CHECKED_IN, STATUS_LABELS, Booking, Program, Slot
from ..booking.problems import BookingRefused
from ..booking.settings import check_in_early_minutes
from ..database import utcnow
from ..extensions import db
from ..i18n import wita_datetime
from ..localtime import LOCAL, iso_utc, local_day_range
from ..validators import MAX_DATABASE_ID
from ..venues.models import Venue
from .gate_models import GATE_CHECK_IN, GateOperation

# One sync sends every pending operation of a device; a gate checks in tens of groups a day.
MAX_OPERATIONS = 200
# Larger than any group a program takes: a number above it is a typing slip, not a count.
MAX_PEOPLE = 10_000
# A moment outside these years is a broken clock or a forged body, never a check-in. The
# bounds also keep it far from datetime's limits, where the conversion to UTC overflows
# ("0001-01-01T00:00+01:00" has no UTC moment datetime can hold).
EARLIEST_YEAR, LATEST_YEAR = 2000, 2099
# The device dates a check-in with the server's clock as of its last day list
# (checkin_offline.js), so it is off only by its own drift since: an hour covers that. Earlier
# than the window's opening by more is a reset clock or a forged operation, which would check
# in a booking whose session is long past (skipping its no-show): refused, not moved up.
CLOCK_TOLERANCE = timedelta(hours=1)
# A gate whose connection stays down over a weekend still sends Friday's check-ins on Monday
# morning. Later than that, the venue has settled the visit online (a no-show, its
# certificate): a check-in arriving then is refused rather than rewriting it.
MAX_SYNC_DELAY = timedelta(hours=72)

APPLIED = "applied"
ALREADY_APPLIED = "already_applied"
REFUSED = "refused"  # the server's rules said no: the device drops the operation and says why
BEFORE_WINDOW = "before_window"  # refusal codes of out_of_time, next to booking's own
SENT_TOO_LATE = "sent_too_late"
RETRY = "retry"  # someone changed the booking at this very moment: the device sends it again
INVALID = "invalid"  # not an operation this server can read: it never will be


@dataclass(frozen=True)
class Operation:
    """A check-in the gate made offline, as the device sent it."""

    operation_id: str
    booking_id: int
    students: int
    teachers: int
    happened_at: datetime


# -- the day's bookings ------------------------------------------------------------------------


def day_bookings(venue: Venue, now: datetime | None = None) -> list[Booking]:
    """The bookings of ``venue`` whose check-in window touches today (WITA): sessions of
    today, and those of early tomorrow whose gate opens before midnight. Every status, so
    that the gate can say offline that a code belongs to a cancelled booking."""
    now = now or utcnow()
    today = now.astimezone(LOCAL).date()
    start, end = local_day_range(today, today)
    early = timedelta(minutes=check_in_early_minutes())
    return db.session.scalars(
        select(Booking)
        .join(Slot, Booking.slot_id == Slot.id)
        .join(Program, Slot.program_id == Program.id)
        .where(Program.venue_id == venue.id, Slot.starts_at < end + early, Slot.ends_at > start)
        .order_by(Slot.starts_at, Booking.id)
    ).all()


# -- reading what the device sent ----------------------------------------------------------------


class OperationUnreadable(ValueError):
    """An operation this server cannot read (the message is for the person at the gate)."""


def _whole(value, lowest: int, highest: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lowest <= value <= highest:
        raise OperationUnreadable(_("The numbers of this check-in could not be read."))
    return value


def _moment(value) -> datetime:
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) and len(value) <= 40 else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise OperationUnreadable(_("The time of this check-in could not be read."))
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:  # beyond year 1 or 9999 once in UTC
        moment = None
    if moment is None or not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        raise OperationUnreadable(_("The time of this check-in is not a possible date: check the device's clock."))
    return moment


def operation_id_of(raw) -> str | None:
    """The operation's UUID in its one spelling (lower case, with dashes), or None."""
    value = raw.get("id") if isinstance(raw, dict) else None
    if not isinstance(value, str) or len(value) != 36:
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def read_operation(raw) -> Operation:
    """One operation of the sync body, checked for shape (the rules come when it is applied)."""
    operation_id = operation_id_of(raw)
    if operation_id is None:
        raise OperationUnreadable(_("This check-in has no valid identifier."))
    if raw.get("action", GATE_CHECK_IN) != GATE_CHECK_IN:
        raise OperationUnreadable(_("Only check-ins can be made offline."))
    return Operation(
        operation_id=operation_id,
        booking_id=_whole(raw.get("booking_id"), 1, MAX_DATABASE_ID),
        students=_whole(raw.get("students"), 0, MAX_PEOPLE),
        teachers=_whole(raw.get("teachers"), 0, MAX_PEOPLE),
        happened_at=_moment(raw.get("happened_at")),
    )


# -- applying them -----------------------------------------------------------------------------


def record_time(booking: Booking, happened_at: datetime, now: datetime) -> datetime:
    """The check-in's time: when it happened at the gate, never later than ``now`` (the
    server's clock) and never before the window opened (see the module's docstring)."""
    return min(max(happened_at, booking.check_in_opens_at), now)


def out_of_time(booking: Booking, happened_at: datetime, now: datetime) -> str | None:
    """Why an offline check-in is too far from its session to be applied, or None: made well
    before the window opened (``CLOCK_TOLERANCE``), or sent long after the session ended
    (``MAX_SYNC_DELAY``)."""
    if happened_at < booking.check_in_opens_at - CLOCK_TOLERANCE:
        return BEFORE_WINDOW
    if now - booking.slot.ends_at > MAX_SYNC_DELAY:
        return SENT_TOO_LATE
    return None


def _out_of_time_message(code: str, booking: Booking, happened_at: datetime) -> str:
    if code == BEFORE_WINDOW:
        return _(
            "Not checked in: the device dated it %(time)s, before the gate opened for this session "
            "(%(opens)s). Check the device's clock.",
            time=wita_datetime(happened_at),
            opens=wita_datetime(booking.check_in_opens_at),
        )
    hours = int(MAX_SYNC_DELAY.total_seconds() // 3600)
    return _("Not checked in: it was sent more than %(hours)s hours after the session ended.", hours=hours)


def _applied(operation_id: str) -> GateOperation | None:
    return db.session.scalar(select(GateOperation).where(GateOperation.operation_id == operation_id))


def _answer(status: str, operation_id, booking: Booking | None = None, **fields) -> dict:
    answer = {"id": operation_id, "status": status}
    if booking is not None:
        answer.update(
            booking_id=booking.id,
            code=booking.code,
            booking_status=booking.status,
            status_label=str(STATUS_LABELS[booking.status]),
        )
    answer.update(fields)
    return answer


def _already(done: GateOperation) -> dict:
    booking = db.session.get(Booking, done.booking_id)
    message = _(
        "Sent before: this check-in was recorded once (%(students)s students, %(teachers)s teachers).",
        students=done.students,
        teachers=done.teachers,
    )
    answer = _answer(ALREADY_APPLIED, done.operation_id, booking, message=message)
    db.session.rollback()  # end the read: the next operation starts its own transaction
    return answer


def _refusal_message(refusal: BookingRefused, booking: Booking) -> str:
    """Why the server refused, said for the gate: a booking changed meanwhile is named."""
    if refusal.code == "wrong_status":
        if booking.status == CHECKED_IN:
            return _(
                "Already checked in on the server: %(students)s students, %(teachers)s teachers.",
                students=booking.attended_students,
                teachers=booking.attended_teachers,
            )
        status = str(STATUS_LABELS[booking.status]).lower()
        return _("Not checked in: the booking is now %(status)s.", status=status)
    if refusal.code == "slot_past":
        return _("Not checked in: the session had already ended when the check-in was made.")
    return refusal.message


def apply_check_in(operation: Operation, actor, now: datetime | None = None) -> dict:
    """Apply one offline check-in, once: its answer for the device."""
    now = now or utcnow()
    done = _applied(operation.operation_id)
    if done is not None:
        return _already(done)
    booking = db.session.get(Booking, operation.booking_id)
    if booking is None or not booking.is_managed_by(actor):
        db.session.rollback()
        # As the gate's look-up: a booking of another venue is not revealed.
        message = _("No booking at your venues has this code. Check it and try again.")
        return _answer(REFUSED, operation.operation_id, error="not_found", message=message)
    too_far = out_of_time(booking, operation.happened_at, now)
    if too_far is not None:
        message = _out_of_time_message(too_far, booking, operation.happened_at)
        answer = _answer(REFUSED, operation.operation_id, booking, error=too_far, message=message)
        db.session.rollback()
        return answer
    recorded_at = record_time(booking, operation.happened_at, now)
    db.session.add(
        GateOperation(
            operation_id=operation.operation_id,
            action=GATE_CHECK_IN,
            booking_id=booking.id,
            user_id=actor.id,
            students=operation.students,
            teachers=operation.teachers,
            happened_at=operation.happened_at,
            recorded_at=recorded_at,
            synced_at=now,
        )
    )
    try:
        # The row above is flushed and committed with the check-in (or rolled back with its
        # refusal): an operation is recorded exactly when its check-in is.
        visits.check_in(booking, actor, operation.students, operation.teachers, now=recorded_at)
    except BookingRefused as refusal:
        # The same operation, sent at the same moment from another tab, may just have won.
        done = _applied(operation.operation_id)
        if done is not None:
            return _already(done)
        booking = db.session.get(Booking, operation.booking_id)
        db.session.refresh(booking)
        status = RETRY if refusal.code == "status_changed" else REFUSED
        answer = _answer(status, operation.operation_id, booking, error=refusal.code)
        answer["message"] = _refusal_message(refusal, booking)
        db.session.rollback()
        return answer
    except IntegrityError:
        db.session.rollback()  # the operation's id was written meanwhile by that other request
        done = _applied(operation.operation_id)
        if done is None:
            raise
        return _already(done)
    message = _(
        "Checked in: %(students)s students and %(teachers)s teachers.",
        students=operation.students,
        teachers=operation.teachers,
    )
    return _answer(APPLIED, operation.operation_id, booking, message=message, checked_in_at=iso_utc(recorded_at))


def apply_operations(raw_operations: list, actor, now: datetime | None = None) -> list[dict]:
    """Every operation of a sync, in the order sent, each in its own transaction: one refused
    or unreadable operation never holds back the others."""
    answers = []
    for raw in raw_operations:
        try:
            operation = read_operation(raw)
        except OperationUnreadable as problem:
            answers.append({"id": operation_id_of(raw), "status": INVALID, "error": "invalid_operation",
                            "message": str(problem)})  # fmt: skip
            continue
        answers.append(apply_check_in(operation, actor, now))
    return answers
