"""The office's dashboard (staff and admins): figures over a chosen range of WITA days, each
chart with its CSV. Load the period -> check access (the guard) -> read; nothing is written."""

from __future__ import annotations

from datetime import date

from flask import Response, render_template, request
from flask_babel import gettext as _

from ..access import roles_required
from ..booking.exports import UTF8_BOM, csv_line
from ..errors import abort_with
from ..localtime import local_today
from ..roles import STAFF
from ..validators import EARLIEST_DAY, LATEST_DAY, iso_day
from . import bp
from .dashboard import CHART_AREAS, all_areas, cell_text, csv_rows, one_chart
from .months import MAX_DAYS, Period, months_back

DEFAULT_MONTHS = 12


class PeriodRefused(ValueError):
    """The range asked for cannot be shown; the message says why, in the reader's language."""


def default_period(today: date) -> Period:
    """The last 12 months: this month so far and the 11 whole months before it."""
    return Period(months_back(today, DEFAULT_MONTHS - 1), today)


def read_day(raw: str) -> date:
    """``raw`` as a day the dashboard can show, or refused with what is wrong with it."""
    day = iso_day(raw)
    if day is not None:
        return day
    # iso_day also refuses a well-written day outside 2000-2099: then the year is the problem,
    # not the format the reader typed correctly.
    try:
        written = date.fromisoformat(raw)
    except ValueError:
        written = None
    # Written exactly as YYYY-MM-DD (fromisoformat also reads 19000101 and week dates).
    if written is not None and written.isoformat() == raw and not EARLIEST_DAY <= written <= LATEST_DAY:
        raise PeriodRefused(_("Choose a date between 2000 and 2099."))
    raise PeriodRefused(_("Enter the date as YYYY-MM-DD, for example 2026-08-17."))


def read_period(args) -> Period:
    """The period of ``from`` and ``to`` (YYYY-MM-DD, WITA days), each defaulting to the last
    12 months' end; refused when unreadable, outside 2000-2099, reversed or longer than five
    years."""
    default = default_period(local_today())
    days = []
    for name, fallback in (("from", default.first), ("to", default.last)):
        raw = args.get(name) or None
        days.append(fallback if raw is None else read_day(raw))
    first, last = days
    if last < first:
        raise PeriodRefused(_("The end date must not be before the start date."))
    if (last - first).days > MAX_DAYS:
        raise PeriodRefused(_("Choose a period of at most five years."))
    return Period(first, last)


@bp.get("/office/dashboard")
@roles_required(STAFF)
def dashboard():
    try:
        period = read_period(request.args)
    except PeriodRefused as refused:
        # The form again with what was typed and why it cannot be shown, not a bare error page.
        return render_template(
            "insights/dashboard.html",
            error=str(refused),
            period=None,
            first=request.args.get("from", ""),
            last=request.args.get("to", ""),
        ), 400
    return render_template(
        "insights/dashboard.html",
        period=period,
        first=period.first.isoformat(),
        last=period.last.isoformat(),
        areas=all_areas(period),
        cell_text=cell_text,
    )


@bp.get("/office/dashboard/<chart>.csv")
@roles_required(STAFF)
def export_csv(chart: str):
    if chart not in CHART_AREAS:
        abort_with(404, _("There is no such chart on the dashboard."))
    try:
        period = read_period(request.args)
    except PeriodRefused as refused:
        abort_with(400, str(refused))
    found = one_chart(period, chart)
    # Excel opens a UTF-8 file right only with the byte order mark; csv_line keeps every cell
    # from running as a formula (a title or a venue named "=HYPERLINK(…)").
    body = UTF8_BOM + "".join(csv_line(row) for row in csv_rows(found))
    filename = f"koin-{chart}-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'})
