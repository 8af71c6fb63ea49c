"""Booking pages of venue managers (their venues) and office staff: day and week lists,
decisions, moving a booking, check-in at the gate, the CSV export and the visitor report."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from flask import Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..access import roles_required
from ..database import utcnow
from ..errors import abort_with
from ..extensions import db
from ..roles import STAFF, VENUE_MANAGER
from ..validators import EARLIEST_DAY, LATEST_DAY, MAX_DATABASE_ID, iso_day, whole_number
from ..venues.models import Venue, venue_managers
from . import bp, codes, services, visits
from .forms import ActionForm, AttendanceForm, CheckInLookupForm, MoveForm, ReasonForm
from .models import CHECKED_IN, COMPLETED, CONFIRMED, LEVELS, STATUS_LABELS, STATUSES, Booking, Program, Slot
from .problems import BookingRefused
from .schedule import LOCAL, local_to_utc
from .views import attach_refusal, refusal_status, render_detail, safe_next, visible_booking_or_404

manager_only = roles_required(VENUE_MANAGER, STAFF)
_WEEK = re.compile(r"^(\d{4})-W(\d{1,2})$")
# A code inside whatever the scanner gave (the bare code, or a link that contains it).
_CODE_CANDIDATES = re.compile(r"(?=([A-Za-z0-9]{4}[\s-]?[A-Za-z0-9]{4}))")
# A spreadsheet reads a cell as a formula (or a DDE command) when it starts with one of these,
# after leading blanks and after folding fullwidth forms (＝, ＋, －, ＠ count as =, +, -, @).
CSV_FORMULA_START = ("=", "+", "-", "@", "|")
# The one value allowed to start with "+": a phone number in its stored form (+62 and digits).
CSV_PLAIN_PHONE = re.compile(r"^\+[0-9]{8,15}$")
# Excel opens a CSV as UTF-8 (and shows Indonesian names right) only when the file says so.
UTF8_BOM = "\ufeff"


# -- which venues, which days -----------------------------------------------------------------


def managed_venues() -> list[Venue]:
    statement = select(Venue).order_by(Venue.name)
    if not current_user.has_role(STAFF):
        statement = statement.join(venue_managers, venue_managers.c.venue_id == Venue.id).where(
            venue_managers.c.user_id == current_user.id
        )
    return list(db.session.scalars(statement).unique())


def chosen_venue(venues: list[Venue], value: str | None) -> Venue | None:
    """The venue asked for (id or slug): 404 if there is none, 403 if it is not yours."""
    if not value:
        return None
    venue_id = whole_number(value)
    venue = db.session.get(Venue, venue_id) if venue_id and venue_id <= MAX_DATABASE_ID else None
    venue = venue or db.session.scalar(select(Venue).where(Venue.slug == value))
    if venue is None:
        abort(404)
    if venue not in venues:
        abort(403)
    return venue


def today_wita() -> date:
    return datetime.now(LOCAL).date()


def parse_day(value: str | None, default: date | None = None) -> date | None:
    if not value:
        return default
    day = iso_day(value)
    if day is None:
        abort_with(400, _("Enter the date as YYYY-MM-DD, for example 2026-08-17."))
    return day


def parse_week(value: str) -> date:
    match = _WEEK.match(value)
    try:
        if match is None:
            raise ValueError(value)
        monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
        if not EARLIEST_DAY <= monday <= LATEST_DAY:
            raise ValueError(value)
        return monday
    except ValueError:
        abort_with(400, _("Enter the week as YYYY-Www, for example 2026-W33."))


def local_day_range(first: date, last: date) -> tuple[datetime, datetime]:
    """UTC bounds of the WITA days ``first`` to ``last`` inclusive."""
    return local_to_utc(first, time(0)), local_to_utc(last + timedelta(days=1), time(0))


def date_range_args(default_from: date, default_to: date) -> tuple[date, date]:
    first = parse_day(request.args.get("from"), default_from)
    last = parse_day(request.args.get("to"), default_to)
    if last < first:
        abort_with(400, _("The end date must not be before the start date."))
    if (last - first).days > 366 * 3:
        abort_with(400, _("Choose a period of at most three years."))
    return first, last


def bookings_between(venue_ids, first: date, last: date, statuses=None):
    starts, ends = local_day_range(first, last)
    statement = (
        select(Booking)
        .join(Slot, Booking.slot_id == Slot.id)
        .join(Program, Slot.program_id == Program.id)
        .where(Program.venue_id.in_(venue_ids), Slot.starts_at >= starts, Slot.starts_at < ends)
        .order_by(Slot.starts_at, Booking.id)
    )
    if statuses:
        statement = statement.where(Booking.status.in_(statuses))
    return statement


# -- day and week lists -----------------------------------------------------------------------


@bp.get("/manage/bookings")
@manager_only
def manage_list():
    venues = managed_venues()
    venue = chosen_venue(venues, request.args.get("venue")) or (venues[0] if venues else None)
    status = request.args.get("status") or ""
    if status and status not in STATUSES:
        abort_with(400, _("Choose one of the statuses in the list."))
    week = request.args.get("week") or ""
    if week:
        first = parse_week(week)
        last, previous, following = first + timedelta(days=6), first - timedelta(days=7), first + timedelta(days=7)
        span = "week"
    else:
        first = parse_day(request.args.get("day"), today_wita())
        last, previous, following = first, first - timedelta(days=1), first + timedelta(days=1)
        span = "day"
    days = {}
    if venue is not None:
        rows = db.session.scalars(bookings_between([venue.id], first, last, [status] if status else None)).all()
        for booking in rows:
            days.setdefault(booking.slot.starts_at.astimezone(LOCAL).date(), []).append(booking)

    def link(day: date):
        args = {"venue": venue.id if venue else None, "status": status or None}
        if span == "week":
            iso = day.isocalendar()
            return url_for("booking.manage_list", week=f"{iso.year}-W{iso.week:02d}", **args)
        return url_for("booking.manage_list", day=day.isoformat(), **args)

    iso = first.isocalendar()
    return render_template(
        "booking/manage_list.html",
        venues=venues,
        venue=venue,
        status=status,
        statuses=STATUSES,
        status_labels=STATUS_LABELS,
        span=span,
        first=first,
        last=last,
        days=sorted(days.items()),
        week_value=f"{iso.year}-W{iso.week:02d}",
        previous_link=link(previous),
        next_link=link(following),
        display=codes.display,
        action_form=ActionForm(),
    )


# -- decisions --------------------------------------------------------------------------------


@bp.post("/bookings/<int:booking_id>/confirm")
@manager_only
def confirm(booking_id):
    booking = visible_booking_or_404(booking_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        services.confirm(booking, current_user)
    except BookingRefused as refusal:
        return render_detail(booking, refusal_status(refusal), refusal.message)
    flash(_("The booking %(code)s is confirmed.", code=codes.display(booking.code)), "success")
    return redirect(safe_next(url_for("booking.detail", booking_id=booking.id)))


@bp.post("/bookings/<int:booking_id>/reject")
@manager_only
def reject(booking_id):
    booking = visible_booking_or_404(booking_id)
    form = ReasonForm(prefix="reject")
    if not form.validate_on_submit():
        return render_detail(booking, 422, reject_form=form)
    try:
        services.reject(booking, current_user, form.reason.data)
    except BookingRefused as refusal:
        return render_detail(booking, refusal_status(refusal), attach_refusal(form, refusal), reject_form=form)
    flash(_("The request was rejected; the school sees your reason."), "success")
    return redirect(url_for("booking.detail", booking_id=booking.id))


@bp.post("/bookings/<int:booking_id>/move")
@manager_only
def move(booking_id):
    booking = visible_booking_or_404(booking_id)
    form = MoveForm(prefix="move")
    valid = form.validate_on_submit()
    new_slot = db.session.get(Slot, form.slot_id.data) if valid else None
    if new_slot is None:
        form.slot_id.errors = [_("Choose one of the sessions in the list.")]
        return render_detail(booking, 422, move_form=form)
    try:
        services.move(booking, new_slot, current_user)
    except BookingRefused as refusal:
        message = refusal.message if refusal.field != "slot_id" else None
        if message is None:
            form.slot_id.errors = [refusal.message]
        return render_detail(booking, refusal_status(refusal), message, move_form=form)
    flash(_("The booking was moved."), "success")
    return redirect(url_for("booking.detail", booking_id=booking.id))


# -- check-in at the gate ---------------------------------------------------------------------


def find_booking(text: str) -> Booking | None:
    """The booking whose code is in ``text`` (typed with any case, dashes or spaces, or the
    text of the QR code), if the current user manages its venue."""
    candidates = [text] + [match.group(1) for match in _CODE_CANDIDATES.finditer(text or "")]
    for candidate in candidates:
        booking = services.booking_by_code(candidate)
        if booking is not None:
            return booking if services.can_manage(current_user, booking.slot.program.venue_id) else None
    return None


def render_checkin(booking=None, lookup=None, attendance=None, error=None, status=200):
    if booking is not None:
        booking = db.session.get(Booking, booking.id)
    if attendance is None and booking is not None:
        attendance = AttendanceForm(formdata=None, students=booking.students, teachers=booking.teachers)
    lookup = lookup or CheckInLookupForm(formdata=None, code=codes.display(booking.code) if booking else "")
    now = utcnow()
    return (
        render_template(
            "booking/checkin.html",
            booking=booking,
            lookup=lookup,
            attendance=attendance,
            action_form=ActionForm(),
            status_labels=STATUS_LABELS,
            display=codes.display,
            slot_ended=booking is not None and now >= booking.slot.ends_at,
            error=error,
        ),
        status,
    )


@bp.route("/checkin", methods=["GET", "POST"])
@manager_only
def checkin():
    if request.method == "POST":
        lookup = CheckInLookupForm()
        if not lookup.validate_on_submit():
            return render_checkin(lookup=lookup, status=422)
    else:
        if not request.args.get("code"):
            return render_checkin()
        lookup = CheckInLookupForm(formdata=request.args, meta={"csrf": False})
        if not lookup.validate():
            return render_checkin(lookup=lookup, status=422)
    booking = find_booking(lookup.code.data)
    if booking is None:
        lookup.code.errors = [_("No booking at your venues has this code. Check it and try again.")]
        return render_checkin(lookup=lookup, status=404)
    return render_checkin(booking, lookup)


def _back_to_checkin(booking: Booking):
    return redirect(url_for("booking.checkin", code=booking.code))


@bp.post("/bookings/<int:booking_id>/check-in")
@manager_only
def check_in(booking_id):
    booking = visible_booking_or_404(booking_id)
    form = AttendanceForm()
    if not form.validate_on_submit():
        return render_checkin(booking, attendance=form, status=422)
    try:
        visits.check_in(booking, current_user, form.students.data, form.teachers.data)
    except BookingRefused as refusal:
        return render_checkin(
            booking, attendance=form, error=attach_refusal(form, refusal), status=refusal_status(refusal)
        )
    flash(
        _(
            "Checked in: %(students)s students and %(teachers)s teachers.",
            students=form.students.data,
            teachers=form.teachers.data,
        ),
        "success",
    )
    return _back_to_checkin(booking)


def _visit_action(booking_id: int, action, message: str):
    booking = visible_booking_or_404(booking_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        action(booking, current_user)
    except BookingRefused as refusal:
        return render_checkin(booking, error=refusal.message, status=refusal_status(refusal))
    flash(message, "success")
    return _back_to_checkin(booking)


@bp.post("/bookings/<int:booking_id>/no-show")
@manager_only
def no_show(booking_id):
    return _visit_action(booking_id, visits.mark_no_show, _("The group is marked as not having come."))


@bp.post("/bookings/<int:booking_id>/complete")
@manager_only
def complete(booking_id):
    return _visit_action(booking_id, visits.complete, _("The visit is completed."))


# -- export and report ------------------------------------------------------------------------


def spreadsheet_cell(value, phone: bool = False) -> str:
    """One CSV cell that a spreadsheet shows as text, never runs as a formula: a cell that
    starts like one gets a leading apostrophe. Only a phone column may keep ``+62…`` (digits
    only), so a contact name such as ``+62+HYPERLINK(…)`` is escaped like any other."""
    text = "" if value is None else str(value)
    if phone and CSV_PLAIN_PHONE.match(text):
        return text
    if text[:1] in ("\t", "\r", "\n"):
        return "'" + text
    folded = unicodedata.normalize("NFKC", text).lstrip()
    return "'" + text if folded.startswith(CSV_FORMULA_START) else text


def _csv_line(values, phone_columns: frozenset[int] = frozenset()) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([spreadsheet_cell(value, i in phone_columns) for i, value in enumerate(values)])
    return buffer.getvalue()


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
    today = today_wita()
    first, last = date_range_args(today, today + timedelta(days=30))
    statement = bookings_between(venue_ids, first, last)

    def rows():
        yield UTF8_BOM + _csv_line(CSV_HEADER)
        for booking in db.session.scalars(statement):
            slot, school = booking.slot, booking.school
            yield _csv_line((
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
    today = today_wita()
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
