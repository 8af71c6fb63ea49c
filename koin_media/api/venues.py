"""JSON for venues, programs, slots and school verification."""

from __future__ import annotations

from datetime import date

from flask import jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from ..access import roles_required
from ..accounts import coordinators
from ..accounts.models import School
from ..booking.models import LEVELS, Program, Slot
from ..booking.programs import open_slots
from ..errors import abort_with, error_response
from ..extensions import db
from ..localtime import iso_utc, local_day_range
from ..roles import STAFF
from ..validators import MAX_DATABASE_ID, iso_day, whole_number
from ..venues.models import Venue
from ..venues.services import venue_by_slug
from . import bp
from .helpers import page_args, paginated


def program_json(program: Program) -> dict:
    return {
        "id": program.id,
        "venue_id": program.venue_id,
        "title": program.title,
        "description": program.description,
        "duration_minutes": program.duration_minutes,
        "min_students": program.min_students,
        "max_students": program.max_students,
        "students_per_teacher": program.students_per_teacher,
        "levels": sorted(program.level_set, key=LEVELS.index),
        "requirements": list(program.requirements or []),
        "price_per_student": program.price_per_student,
    }


def venue_json(venue: Venue, programs: list[Program]) -> dict:
    return {
        "id": venue.id,
        "slug": venue.slug,
        "name": venue.name,
        "description_id": venue.description_id,
        "description_en": venue.description_en,
        "address": venue.address,
        "regency": {"slug": venue.regency.slug, "name": venue.regency.name},
        "latitude": venue.latitude,
        "longitude": venue.longitude,
        "contact": {"name": venue.contact_name, "phone": venue.contact_phone, "email": venue.contact_email},
        "url": url_for("venues.show", slug=venue.slug, _external=True),
        "programs": [program_json(p) for p in programs],
    }


def slot_json(slot: Slot) -> dict:
    return {
        "id": slot.id,
        "program_id": slot.program_id,
        "venue_id": slot.program.venue_id,
        "venue_slug": slot.program.venue.slug,
        "starts_at": iso_utc(slot.starts_at),
        "ends_at": iso_utc(slot.ends_at),
        "capacity": slot.capacity,
        "remaining": slot.remaining,
    }


@bp.get("/venues")
def venues():
    """Venues with their programs open for bookings: two queries a page, whatever its length."""
    page, per_page = page_args()
    total = db.session.scalar(select(func.count()).select_from(Venue))
    rows = db.session.scalars(
        select(Venue).order_by(Venue.name, Venue.id).limit(per_page).offset((page - 1) * per_page)
    ).all()
    programs: dict[int, list[Program]] = {}
    if rows:
        for program in db.session.scalars(
            select(Program)
            .where(Program.venue_id.in_([v.id for v in rows]), Program.active.is_(True))
            .order_by(Program.title, Program.id)
        ):
            programs.setdefault(program.venue_id, []).append(program)
    items = [venue_json(v, programs.get(v.id, [])) for v in rows]
    return jsonify(items=items, page=page, per_page=per_page, total=total)


def _date_arg(name: str) -> date | None:
    raw = request.args.get(name, "")
    if not raw:
        return None
    day = iso_day(raw)
    if day is None:
        abort_with(400, _("%(name)s must be a date as YYYY-MM-DD, for example 2026-12-01.", name=name))
    return day


def _positive_arg(name: str) -> int | None:
    raw = request.args.get(name, "")
    if not raw:
        return None
    number = whole_number(raw)
    if number is None or not 1 <= number <= MAX_DATABASE_ID:
        abort_with(400, _("%(name)s must be a whole number of 1 or more.", name=name))
    return number


def _venue_arg() -> Venue | None:
    """``?venue=`` by slug (as the pages' addresses) or by id (as ``venue_id`` in the answers)."""
    raw = request.args.get("venue", "").strip()
    if not raw:
        return None
    venue = venue_by_slug(raw)
    number = whole_number(raw)
    if venue is None and number is not None and 1 <= number <= MAX_DATABASE_ID:
        venue = db.session.get(Venue, number)
    if venue is None:
        abort_with(400, _("There is no venue with this slug or id."))
    return venue


@bp.get("/slots")
def slots():
    """Open sessions that have not started, optionally of one venue or program, between two
    days (WITA, inclusive) and with room for a group."""
    venue = _venue_arg()
    program_id = _positive_arg("program")
    if program_id is not None:
        program = db.session.get(Program, program_id)
        if program is None or (venue is not None and program.venue_id != venue.id):
            abort_with(400, _("There is no such program at this venue."))
    group = _positive_arg("group")
    first, last = _date_arg("from"), _date_arg("to")
    if first and last and last < first:
        abort_with(400, _("The date “to” cannot be before “from”."))
    starts_from = local_day_range(first, first)[0] if first else None
    starts_before = local_day_range(last, last)[1] if last else None
    statement = open_slots(
        venue_id=venue.id if venue else None,
        program_id=program_id,
        starts_from=starts_from,
        starts_before=starts_before,
        group=group,
    )
    return paginated(statement, slot_json)


@bp.post("/schools/<npsn>/verify")
@roles_required(STAFF)
def verify_school(npsn):
    school = db.session.scalar(select(School).where(School.npsn == npsn))
    if school is None:
        return error_response(404, _("There is no school with this NPSN."))
    changed = coordinators.verify_school(school, current_user)
    return jsonify(
        npsn=school.npsn,
        name=school.name,
        regency=school.regency.slug,
        verified=True,
        verified_at=iso_utc(school.verified_at),
        changed=changed,
    )
