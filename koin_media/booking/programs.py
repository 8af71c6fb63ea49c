"""A venue's programs and their sessions as the venue sees them: creating and editing
programs, opening and closing one session, and the read side of availability shared by the
calendar page and the JSON API. Generating sessions and closures are ``schedule``'s; seats
held are ``capacity``'s alone.

Each write is one transaction that records what it did in the audit log and commits.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import abort
from sqlalchemy import func, select

from .. import audit
from ..database import utcnow
from ..extensions import db
from ..localtime import LOCAL
from ..venues.models import Venue
from ..venues.services import apply_changes
from .models import Closure, Program, Slot

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


def get_program(venue: Venue, program_id: int) -> Program:
    """The program ``program_id`` of ``venue``, or 404 (another venue's program is not found)."""
    program = db.session.get(Program, program_id)
    if program is None or program.venue_id != venue.id:
        abort(404)
    return program


def get_slot(venue: Venue, slot_id: int) -> Slot:
    """The session ``slot_id`` of one of ``venue``'s programs, or 404."""
    slot = db.session.get(Slot, slot_id)
    if slot is None or slot.program.venue_id != venue.id:
        abort(404)
    return slot


def active_programs(venue_id: int) -> list[Program]:
    return db.session.scalars(
        select(Program).where(Program.venue_id == venue_id, Program.active.is_(True)).order_by(Program.title)
    ).all()


def all_programs(venue_id: int) -> list[Program]:
    """Every program of the venue, those open for bookings first (the management page)."""
    return db.session.scalars(
        select(Program).where(Program.venue_id == venue_id).order_by(Program.active.desc(), Program.title)
    ).all()


def active_program_counts() -> dict[int, int]:
    """{venue id: number of its programs open for bookings}, in one query (the venue list)."""
    return dict(
        db.session.execute(
            select(Program.venue_id, func.count()).where(Program.active.is_(True)).group_by(Program.venue_id)
        ).all()
    )


def upcoming_slots(venue_id: int):
    """The venue's sessions that have not ended, in order (a statement, for paging)."""
    return (
        select(Slot)
        .join(Slot.program)
        .where(Program.venue_id == venue_id, Slot.ends_at > utcnow())
        .order_by(Slot.starts_at, Slot.id)
    )


def upcoming_closures(venue_id: int) -> list[Closure]:
    return db.session.scalars(
        select(Closure).where(Closure.venue_id == venue_id, Closure.ends_at > utcnow()).order_by(Closure.starts_at)
    ).all()


def create_program(venue: Venue, values: dict, levels: list[str], actor) -> Program:
    program = Program(venue_id=venue.id)
    apply_changes(program, values, PROGRAM_FIELDS)
    program.level_set = levels
    db.session.add(program)
    db.session.flush()
    audit.record(actor, "program.create", program, venue_id=venue.id, title=program.title)
    db.session.commit()
    return program


def update_program(program: Program, values: dict, levels: list[str], actor) -> Program:
    changed = apply_changes(program, values, PROGRAM_FIELDS)
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
