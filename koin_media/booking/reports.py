"""What venue managers and staff take away: the CSV export of bookings and the visitor report
(visits and visitors by regency and school level)."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from flask import Response, render_template, request, stream_with_context

from ..extensions import db
from ..localtime import LOCAL, local_today
from . import bp
from .exports import UTF8_BOM, csv_line
from .models import CHECKED_IN, COMPLETED, CONFIRMED, LEVELS, Booking
from .pages import bookings_between, chosen_venue, date_range_args, managed_venues, manager_only

CSV_HEADER = (
    "code", "venue", "program", "start_wita", "school", "npsn", "regency", "level",
    "students", "teachers", "status", "contact_name", "contact_phone",
)  # fmt: skip
CSV_PHONE_COLUMNS = frozenset({CSV_HEADER.index("contact_phone")})


@bp.get("/manage/bookings.csv")
@manager_only
def export_csv():
    venues = managed_venues()
    venue = chosen_venue(venues, request.args.get("venue"))
    venue_ids = [venue.id] if venue else [v.id for v in venues]
    today = local_today()
    first, last = date_range_args(today, today + timedelta(days=30))
    statement = bookings_between(venue_ids, first, last)

    def rows():
        yield UTF8_BOM + csv_line(CSV_HEADER)
        for booking in db.session.scalars(statement):
            slot, school = booking.slot, booking.school
            yield csv_line((
                booking.code, slot.program.venue.name, slot.program.title,
                slot.starts_at.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M"),
                school.name, school.npsn, school.regency.name, booking.level,
                booking.students, booking.teachers, booking.status,
                booking.contact_name, booking.contact_phone,
            ), CSV_PHONE_COLUMNS)  # fmt: skip

    filename = f"bookings-{first.isoformat()}-{last.isoformat()}.csv"
    return Response(
        stream_with_context(rows()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def visitors(booking: Booking) -> tuple[int, int]:
    """Who came (checked in or completed visits) or who is expected (confirmed ones)."""
    if booking.status == CONFIRMED:
        return booking.students, booking.teachers
    return booking.attended_students or 0, booking.attended_teachers or 0


@bp.get("/manage/report")
@manager_only
def report():
    venues = managed_venues()
    today = local_today()
    month_start = today.replace(day=1)
    month_end = (month_start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    first, last = date_range_args(month_start, month_end)
    by_regency = defaultdict(lambda: [0, 0, 0])
    by_level = {level: [0, 0, 0] for level in LEVELS}
    totals = [0, 0, 0]
    if venues:
        statement = bookings_between([v.id for v in venues], first, last, (CONFIRMED, CHECKED_IN, COMPLETED))
        for booking in db.session.scalars(statement):
            students, teachers = visitors(booking)
            school = booking.school
            for row in (by_regency[school.regency.name], by_level[booking.level], totals):
                row[0] += 1
                row[1] += students
                row[2] += teachers
    return render_template(
        "booking/report.html",
        venues=venues,
        first=first,
        last=last,
        by_regency=sorted(by_regency.items()),
        by_level=[(level, row) for level, row in by_level.items() if row[0]],
        totals=totals,
    )
