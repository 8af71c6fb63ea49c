"""Booking pages of venue managers (their venues) and office staff: the inbox of pending
requests, the day and week lists and the decisions on a booking (confirm, reject, move)."""

from __future__ import annotations

from datetime import date, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import nav_count
from ..database import utcnow
from ..errors import abort_with
from ..extensions import db
from ..localtime import LOCAL, local_today
from ..validators import page_number
from . import bp, codes, pending, services
from .forms import ActionForm, MoveForm, ReasonForm
from .models import STATUS_LABELS, STATUSES, Slot
from .pages import (
    attach_refusal,
    bookings_between,
    chosen_venue,
    managed_venues,
    manager_only,
    parse_day,
    parse_week,
    refusal_status,
    render_detail,
    safe_next,
)
from .problems import BookingRefused

INBOX_PER_PAGE = 20

# -- the inbox: every request waiting for a decision -------------------------------------------


@bp.get("/manage/inbox")
@manager_only
@nav_count(lambda user: pending.count_for(user, utcnow()))
def inbox():
    now = utcnow()
    page = db.paginate(
        pending.requests_for(current_user, now),
        page=page_number(request.args.get("page")),
        per_page=INBOX_PER_PAGE,
        max_per_page=INBOX_PER_PAGE,
        error_out=False,
    )
    # Every request listed is of a venue the user manages (the query's own condition).
    actions = {booking.id: booking.allowed_actions(current_user, now, manages=True) for booking in page.items}
    return render_template(
        "booking/inbox.html",
        page=page,
        actions=actions,
        now=now,
        time_left=pending.time_left,
        is_urgent=pending.is_urgent,
        display=codes.display,
    )


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
        first = parse_day(request.args.get("day"), local_today())
        last, previous, following = first, first - timedelta(days=1), first + timedelta(days=1)
        span = "day"
    days, actions = {}, {}
    if venue is not None:
        rows = db.session.scalars(bookings_between([venue.id], first, last, [status] if status else None)).all()
        now, manages = utcnow(), venue.can_manage(current_user)
        for booking in rows:
            days.setdefault(booking.slot.starts_at.astimezone(LOCAL).date(), []).append(booking)
            actions[booking.id] = booking.allowed_actions(current_user, now, manages=manages)

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
        actions=actions,
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
    booking = services.get_booking(booking_id, current_user)
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
    booking = services.get_booking(booking_id, current_user)
    form = ReasonForm(prefix="reject")
    if not form.validate_on_submit():
        return render_detail(booking, 422, reject_form=form)
    try:
        services.reject(booking, current_user, form.reason.data)
    except BookingRefused as refusal:
        return render_detail(booking, refusal_status(refusal), attach_refusal(form, refusal), reject_form=form)
    flash(_("The request was rejected; the school sees your reason."), "success")
    return redirect(safe_next(url_for("booking.detail", booking_id=booking.id)))


@bp.post("/bookings/<int:booking_id>/move")
@manager_only
def move(booking_id):
    booking = services.get_booking(booking_id, current_user)
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
