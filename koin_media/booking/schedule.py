"""Slots from a weekly pattern, and closures (race weekends) that close overlapping slots."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select, update

from .. import audit
from ..database import utcnow
from ..extensions import db
from ..localtime import local_to_utc
from ..venues.models import Venue
from .models import LIVE, WAITLIST_LIVE, WITHDRAWN, Booking, Closure, Program, Slot, WaitlistEntry
from .signals import booking_changed
from .waitlist import end_entry


def _overlapping_closures(venue_id: int, starts_at: datetime, ends_at: datetime) -> list[Closure]:
    return db.session.scalars(
        select(Closure).where(Closure.venue_id == venue_id, Closure.starts_at < ends_at, Closure.ends_at > starts_at)
    ).all()


def generate_slots(
    program: Program,
    weekdays,
    start_time: time,
    end_time: time,
    date_from: date,
    date_to: date,
    capacity: int,
    actor=None,
    now: datetime | None = None,
) -> list[Slot]:
    """Create the program's slots on the given weekdays (0 = Monday … 6 = Sunday) from
    ``date_from`` to ``date_to`` inclusive, at ``start_time``–``end_time`` WITA, stored in UTC.

    Skips days in the past, times inside a closure of the venue, and slots the program already
    has at that start: running it twice creates nothing new. Returns the slots created.
    """
    now = now or utcnow()
    weekdays = {int(day) for day in weekdays}
    if not weekdays or not weekdays <= set(range(7)):
        raise ValueError("weekdays are 0 (Monday) to 6 (Sunday)")
    if end_time <= start_time:
        raise ValueError("a slot must end after it starts (on the same day)")
    if date_to < date_from:
        raise ValueError("date_to is before date_from")
    if capacity <= 0:
        raise ValueError("capacity must be positive")

    first, last = local_to_utc(date_from, start_time), local_to_utc(date_to, end_time)
    existing = set(
        db.session.scalars(
            select(Slot.starts_at).where(Slot.program_id == program.id, Slot.starts_at >= first, Slot.starts_at <= last)
        )
    )
    closures = _overlapping_closures(program.venue_id, first, last)
    created = []
    day = date_from
    while day <= date_to:
        if day.weekday() in weekdays:
            starts_at, ends_at = local_to_utc(day, start_time), local_to_utc(day, end_time)
            closed = any(c.starts_at < ends_at and c.ends_at > starts_at for c in closures)
            if starts_at > now and starts_at not in existing and not closed:
                slot = Slot(program_id=program.id, starts_at=starts_at, ends_at=ends_at, capacity=capacity, held=0)
                db.session.add(slot)
                created.append(slot)
        day += timedelta(days=1)
    if created:
        db.session.flush()
        audit.record(
            actor,
            "slots.generate",
            program,
            weekdays=sorted(weekdays),
            start=start_time.isoformat("minutes"),
            end=end_time.isoformat("minutes"),
            date_from=date_from.isoformat(),
            date_to=date_to.isoformat(),
            capacity=capacity,
            created=len(created),
        )
    db.session.commit()
    return created


def close_for(venue: Venue, starts_at: datetime, ends_at: datetime, reason: str, actor=None) -> list[Booking]:
    """Record a closure of the venue and close every slot that overlaps it.

    Returns the live bookings (pending, confirmed) of those slots, so that the caller can tell
    the schools; the bookings themselves stay as they are until staff move or cancel them.
    Waitlist entries of the closed slots end (offers give their seats back).
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("a closure needs a reason")
    if ends_at <= starts_at:
        raise ValueError("a closure must end after it starts")
    now = utcnow()
    closure = Closure(venue_id=venue.id, starts_at=starts_at, ends_at=ends_at, reason=reason[:255])
    closure.created_by_id = getattr(actor, "id", None)
    db.session.add(closure)
    slot_ids = db.session.scalars(
        select(Slot.id)
        .join(Program)
        .where(Program.venue_id == venue.id, Slot.starts_at < ends_at, Slot.ends_at > starts_at)
        .order_by(Slot.id)
        # Locked in id order before the UPDATE, as every other writer of slot rows takes them:
        # two overlapping closures (or a closure and a move) then queue instead of deadlocking.
        .with_for_update(of=Slot)
    ).all()
    if slot_ids:
        db.session.execute(
            update(Slot).where(Slot.id.in_(slot_ids)).values(is_open=False).execution_options(synchronize_session=False)
        )
        for slot_id in slot_ids:
            cached = db.session.identity_map.get(db.inspect(Slot).identity_key_from_primary_key((slot_id,)))
            if cached is not None:
                db.session.expire(cached, ["is_open"])
    db.session.flush()
    affected = (
        db.session.scalars(
            select(Booking).where(Booking.slot_id.in_(slot_ids), Booking.status.in_(LIVE)).order_by(Booking.id)
        ).all()
        if slot_ids
        else []
    )
    entries = (
        db.session.scalars(
            select(WaitlistEntry).where(WaitlistEntry.slot_id.in_(slot_ids), WaitlistEntry.status.in_(WAITLIST_LIVE))
        ).all()
        if slot_ids
        else []
    )
    for entry in entries:
        end_entry(entry, WITHDRAWN, actor, now)
    audit.record(
        actor,
        "venue.close",
        closure,
        venue_id=venue.id,
        reason=closure.reason,
        slots=len(slot_ids),
        bookings=[b.id for b in affected],
    )
    for booking in affected:
        booking_changed.send(booking, action="slot_closed", actor=actor, closure=closure)
    db.session.commit()
    return affected
