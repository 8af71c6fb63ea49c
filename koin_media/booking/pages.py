"""What the booking pages share (the school's pages in ``views``, the managers' pages in
``manage_lists``, ``checkin_views`` and ``reports``): how a refusal is shown, where a button
returns to, and the detail page that the school's and the managers' actions both end on.

A helper module, not a route module: it attaches nothing to the blueprint, so every page
module imports it and none of them imports another."""

from __future__ import annotations

import re
from datetime import date

from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from ..access import roles_required
from ..database import utcnow
from ..errors import abort_with
from ..extensions import db
from ..i18n import wita_datetime
from ..localtime import local_day_range
from ..roles import STAFF, VENUE_MANAGER
from ..security import safe_next as local_path_or
from ..validators import EARLIEST_DAY, LATEST_DAY, MAX_DATABASE_ID, iso_day, whole_number
from ..venues.models import Venue
from . import codes, whatsapp
from .calendar_files import calendar_links
from .forms import ActionForm, MoveForm, ReasonForm
from .models import ACTION_STATUSES, CANCEL, MOVE, STATUS_LABELS, Booking, Program, Slot
from .problems import BookingRefused
from .settings import cancel_hours

# Refusal fields whose form field is named differently on the pages.
FORM_FIELD_NAMES = {"attended_students": "students"}
# The pages of venue managers and staff; which bookings and venues they may touch is
# ``Venue.may_manage`` / ``Venue.managed_by``, asked by the services and lookups.
manager_only = roles_required(VENUE_MANAGER, STAFF)
_WEEK = re.compile(r"^(\d{4})-W(\d{1,2})$")


def refusal_status(refusal: BookingRefused) -> int:
    if refusal.is_forbidden:
        return 403
    return 409 if refusal.is_conflict else 422


def attach_refusal(form, refusal: BookingRefused) -> str | None:
    """Show the refusal next to its field when the form has it; otherwise return the message
    for the top of the page."""
    name = FORM_FIELD_NAMES.get(refusal.field, refusal.field)
    field = form._fields.get(name) if (form is not None and name) else None
    if field is None:
        return refusal.message
    field.errors = [*field.errors, refusal.message] if isinstance(field.errors, list) else [refusal.message]
    return None


def safe_next(default: str) -> str:
    """Where to go after a button on a list: a path on this site, nothing else."""
    return local_path_or(request.form.get("next"), default)


def move_choices(booking: Booking) -> list[Slot]:
    """Open future slots of the same venue where the group fits."""
    return db.session.scalars(
        select(Slot)
        .join(Program, Slot.program_id == Program.id)
        .where(
            Program.venue_id == booking.slot.program.venue_id,
            Program.active.is_(True),
            Slot.is_open.is_(True),
            Slot.starts_at > utcnow(),
            Slot.id != booking.slot_id,
            Slot.capacity - Slot.held >= booking.headcount,
        )
        .order_by(Slot.starts_at)
        .limit(200)
    ).all()


def slot_label(slot: Slot) -> str:
    return _(
        "%(program)s — %(start)s (%(remaining)s places left)",
        program=slot.program.title,
        start=wita_datetime(slot.starts_at, "short"),
        remaining=slot.remaining,
    )


def render_detail(booking: Booking, status: int = 200, error: str | None = None, **forms):
    """The booking's page; its buttons are the actions ``Booking.allowed_actions`` allows."""
    booking = db.session.get(Booking, booking.id)  # fresh after a refused (rolled back) change
    manager = booking.is_managed_by(current_user)
    actions = booking.allowed_actions(current_user, utcnow(), manages=manager)
    move_form = forms.pop("move_form", None) or MoveForm(prefix="move")
    if MOVE in actions:
        move_form.slot_id.choices = [SelectChoice(slot.id, slot_label(slot)) for slot in move_choices(booking)]
    context = dict(
        booking=booking,
        slot=booking.slot,
        program=booking.slot.program,
        venue=booking.slot.program.venue,
        status_labels=STATUS_LABELS,
        display=codes.display,
        links=calendar_links(booking),
        whatsapp=whatsapp.links(booking),
        actions=actions,
        manager=manager,
        is_school=booking.is_school_of(current_user),
        # the status would allow cancelling, the cancel window no longer does: say so
        cancel_closed=CANCEL not in actions and booking.status in ACTION_STATUSES[CANCEL],
        cancel_hours=cancel_hours(),
        action_form=ActionForm(),
        cancel_form=forms.pop("cancel_form", None) or ReasonForm(prefix="cancel"),
        reject_form=forms.pop("reject_form", None) or ReasonForm(prefix="reject"),
        move_form=move_form,
        error=error,
    )
    return render_template("booking/detail.html", **context), status


# -- the managers' lists, export and report: which venues, which days -------------------------


def managed_venues() -> list[Venue]:
    return list(db.session.scalars(Venue.managed_by(current_user)).unique())


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
