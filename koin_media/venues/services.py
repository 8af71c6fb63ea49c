"""Write logic of venue management: venues, programs, opening and closing slots (verifying
schools is ``accounts.coordinators``'s).

Each function is one transaction that records what it did in the audit log and commits.
Slot generation and closures are ``booking.schedule``'s (``generate_slots``, ``close_for``);
seats held are ``booking.capacity``'s alone.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from .. import audit
from ..accounts.models import User
from ..booking.models import Program, Slot
from ..booking.schedule import LOCAL, local_to_utc
from ..database import utcnow
from ..extensions import db
from ..roles import VENUE_MANAGER
from .models import Venue

VENUE_FIELDS = (
    "name",
    "description_id",
    "description_en",
    "address",
    "regency",
    "contact_name",
    "contact_phone",
    "contact_email",
    "latitude",
    "longitude",
)
PROGRAM_FIELDS = (
    "title",
    "description",
    "duration_minutes",
    "min_students",
    "max_students",
    "students_per_teacher",
    "requirements",
    "price_per_student",
    "active",
)


def venue_by_slug(slug: str) -> Venue | None:
    return db.session.scalar(select(Venue).where(Venue.slug == slug))


def venue_manager_users() -> list[User]:
    return db.session.scalars(
        select(User).where(User.role == VENUE_MANAGER, User.active.is_(True)).order_by(User.name, User.id)
    ).all()


def create_venue(slug: str, values: dict, actor, managers: list[User] | None = None) -> Venue:
    venue = Venue(slug=slug)
    _apply(venue, values, VENUE_FIELDS)
    if managers is not None:
        venue.managers = managers
    db.session.add(venue)
    db.session.flush()
    audit.record(actor, "venue.create", venue, slug=slug)
    db.session.commit()
    return venue


def update_venue(venue: Venue, values: dict, actor, managers: list[User] | None = None) -> Venue:
    changed = _apply(venue, values, VENUE_FIELDS)
    if managers is not None and {u.id for u in managers} != {u.id for u in venue.managers}:
        venue.managers = managers
        changed.append("managers")
    if changed:
        audit.record(actor, "venue.update", venue, fields=sorted(changed))
    db.session.commit()
    return venue


def create_program(venue: Venue, values: dict, levels: list[str], actor) -> Program:
    program = Program(venue_id=venue.id)
    _apply(program, values, PROGRAM_FIELDS)
    program.level_set = levels
    db.session.add(program)
    db.session.flush()
    audit.record(actor, "program.create", program, venue_id=venue.id, title=program.title)
    db.session.commit()
    return program


def update_program(program: Program, values: dict, levels: list[str], actor) -> Program:
    changed = _apply(program, values, PROGRAM_FIELDS)
    before = program.levels
    program.level_set = levels
    if program.levels != before:
        changed.append("levels")
    if changed:
        audit.record(actor, "program.update", program, fields=sorted(changed))
    db.session.commit()
    return program


def set_slot_open(slot: Slot, is_open: bool, actor) -> bool:
    """Open or close one slot for new requests; bookings already made stay as they are.

    Returns whether anything changed (doing it twice is harmless)."""
    if slot.is_open == is_open:
        return False
    slot.is_open = is_open
    audit.record(actor, "slot.open" if is_open else "slot.close", slot)
    db.session.commit()
    return True


def local_day_range(first: date, last: date) -> tuple[datetime, datetime]:
    """From midnight WITA of ``first`` to midnight WITA after ``last``, in UTC."""
    return local_to_utc(first, datetime.min.time()), local_to_utc(last + timedelta(days=1), datetime.min.time())


def local_today() -> date:
    return utcnow().astimezone(LOCAL).date()


def _apply(obj, values: dict, fields) -> list[str]:
    changed = []
    for name in fields:
        if name not in values:
            continue
        value = values[name]
        current = getattr(obj, name, None)
        if isinstance(current, db.Model) and isinstance(value, db.Model):
            same = current is value
        else:
            same = current == value
        if not same:
            setattr(obj, name, value)
            changed.append(name)
    return changed


# -- availability (read side, shared by the calendar page and the JSON API) -------------------


def open_slots(
    venue_id: int | None = None,
    program_id: int | None = None,
    starts_from: datetime | None = None,
    starts_before: datetime | None = None,
    group: int | None = None,
    now: datetime | None = None,
):
    """Sessions a school could still ask for: open, of an active program, not yet started, and
    (with ``group``) with at least that many places left. One query; the program and its venue
    come joined."""
    statement = (
        select(Slot)
        .join(Slot.program)
        .where(Slot.is_open.is_(True), Program.active.is_(True), Slot.starts_at > (now or utcnow()))
    )
    if venue_id is not None:
        statement = statement.where(Program.venue_id == venue_id)
    if program_id is not None:
        statement = statement.where(Slot.program_id == program_id)
    if starts_from is not None:
        statement = statement.where(Slot.starts_at >= starts_from)
    if starts_before is not None:
        statement = statement.where(Slot.starts_at < starts_before)
    if group:
        statement = statement.where(Slot.capacity - Slot.held >= group)
    return statement.order_by(Slot.starts_at, Slot.id)


def month_weeks(year: int, month: int, slots) -> list[list[tuple[date, bool, list[Slot]]]]:
    """The month as Monday-to-Sunday weeks of (day, in this month, its slots), days in WITA."""
    first = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    by_day: dict[date, list[Slot]] = {}
    for slot in slots:
        by_day.setdefault(slot.starts_at.astimezone(LOCAL).date(), []).append(slot)
    day = first - timedelta(days=first.weekday())
    weeks = []
    while day < following:
        weeks.append([(d, d.month == month, by_day.get(d, [])) for d in (day + timedelta(days=i) for i in range(7))])
        day += timedelta(days=7)
    return weeks
