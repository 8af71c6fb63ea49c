"""Booking pages for schools: request a slot (or wait for it), their bookings, the detail
page with its confirmation, cancelling and accepting a waitlist offer. The pages of venue
managers and staff are in ``manage_lists`` (lists, decisions), ``checkin_views`` (the gate)
and ``reports`` (CSV export, visitor report); what they share is in ``pages``.

Every page loads its objects, checks access, then calls a service; a ``BookingRefused`` is
shown next to the field it is about (or at the top) with 409 for conflicts, 422 otherwise."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import case, select

from ..access import login_required, roles_required
from ..database import utcnow
from ..extensions import db
from ..roles import SCHOOL
from . import bp, codes, rules, services, waitlist, whatsapp
from .forms import ActionForm, BookingRequestForm, ReasonForm, group_request
from .models import OFFERED, STATUS_LABELS, WAITLIST_LIVE, WAITLIST_STATUS_LABELS, Booking, Slot, WaitlistEntry
from .pages import attach_refusal, refusal_status, render_detail, safe_next
from .problems import BookingRefused

# -- requesting a slot ------------------------------------------------------------------------


@bp.route("/slots/<int:slot_id>/book", methods=["GET", "POST"])
@roles_required(SCHOOL)
def request_form(slot_id):
    slot = db.session.get(Slot, slot_id)
    if slot is None:
        abort(404)
    form = BookingRequestForm()
    form.set_levels(slot.program, current_user.school)
    if request.method == "GET":
        form.contact_name.data = current_user.name
        form.contact_phone.data = current_user.phone or ""
    error, status = None, 200
    offer_waitlist = slot.remaining == 0
    refused_level = False
    if form.validate_on_submit():
        joining = request.form.get("action") == "waitlist"
        try:
            if joining:
                entry = waitlist.join_waitlist(current_user, slot.id, group_request(form))
                if entry.status == OFFERED:
                    flash(_("Places came free: accept the offer below before it lapses."), "success")
                else:
                    flash(_("You are on the waiting list. We will tell you when places come free."), "success")
                return redirect(url_for("booking.my_bookings"))
            booking = services.book_slot(current_user, slot.id, group_request(form))
            flash(_("Your request was sent. The venue will confirm it soon."), "success")
            return redirect(url_for("booking.detail", booking_id=booking.id))
        except BookingRefused as refusal:
            error, status = attach_refusal(form, refusal), refusal_status(refusal)
            offer_waitlist = offer_waitlist or refusal.code == "slot_full"
            refused_level = refusal.code == "level_not_taught"
    elif form.is_submitted():
        status = 422
    slot = db.session.get(Slot, slot_id)
    school = current_user.school
    students = form.students.data if isinstance(form.students.data, int) else None
    level_warning = level_warning_now = None
    if school is not None and school.level_set:
        # The refusal's own sentence, with a placeholder the script fills with the chosen level.
        level_warning = rules.level_not_taught(school, "{level}").message
        if school.teaches(form.level.data or "") is False and not form.level.errors:
            level_warning_now = rules.level_not_taught(school, form.level.data).message
    return (
        render_template(
            "booking/request.html",
            slot=slot,
            program=slot.program,
            form=form,
            error=error,
            offer_waitlist=offer_waitlist,
            gate=rules.booking_gate(current_user),
            school=school,
            # the level's confirmation box: open once the level was refused as not taught (and
            # kept open after), shown and hidden as the level changes by booking_request.js
            ask_level=refused_level or bool(form.level_confirmed.data),
            total=slot.program.price_for(students) if students else None,
            level_warning=level_warning,
            level_warning_now=level_warning_now,
            bookable=slot.is_open and slot.program.active and slot.starts_at > utcnow(),
        ),
        status,
    )


# -- the school's bookings --------------------------------------------------------------------


def _render_my_bookings(error: str | None = None, status: int = 200):
    school_id = current_user.acting_school_id  # a coordinator waiting for approval sees none
    bookings, entries = [], []
    now = utcnow()
    if school_id is not None:
        # The visits to come (or under way) first, the soonest on top; then the past ones, the
        # most recent first. Each CASE is NULL in the other group, so it orders only its own.
        upcoming = Slot.ends_at > now
        bookings = db.session.scalars(
            select(Booking)
            .join(Slot, Booking.slot_id == Slot.id)
            .where(Booking.school_id == school_id)
            .order_by(
                case((upcoming, 0), else_=1),
                case((upcoming, Slot.starts_at)).asc(),
                case((~upcoming, Slot.starts_at)).desc(),
                Booking.id.desc(),
            )
        ).all()
        entries = db.session.scalars(
            select(WaitlistEntry)
            .where(WaitlistEntry.school_id == school_id, WaitlistEntry.status.in_(WAITLIST_LIVE))
            .order_by(WaitlistEntry.created_at)
        ).all()
    return (
        render_template(
            "booking/my_bookings.html",
            bookings=bookings,
            entries=entries,
            status_labels=STATUS_LABELS,
            waitlist_labels=WAITLIST_STATUS_LABELS,
            display=codes.display,
            whatsapp_links=whatsapp.links,
            action_form=ActionForm(),
            now=now,
            error=error,
            gate=rules.booking_gate(current_user, email_too=False),
        ),
        status,
    )


@bp.get("/my/bookings")
@roles_required(SCHOOL)
def my_bookings():
    return _render_my_bookings()


@bp.post("/waitlist/<int:entry_id>/accept")
@roles_required(SCHOOL)
def accept_offer(entry_id):
    entry = waitlist.get_entry(entry_id, current_user)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        booking = waitlist.accept_offer(entry, current_user)
    except BookingRefused as refusal:
        return _render_my_bookings(refusal.message, refusal_status(refusal))
    flash(_("You accepted the places. The venue will confirm your request soon."), "success")
    return redirect(url_for("booking.detail", booking_id=booking.id))


@bp.post("/waitlist/<int:entry_id>/withdraw")
@roles_required(SCHOOL)
def withdraw_entry(entry_id):
    entry = waitlist.get_entry(entry_id, current_user)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        waitlist.withdraw(entry, current_user)
    except BookingRefused as refusal:
        return _render_my_bookings(refusal.message, refusal_status(refusal))
    flash(_("You left the waiting list."), "success")
    return redirect(url_for("booking.my_bookings"))


# -- one booking ------------------------------------------------------------------------------


@bp.get("/bookings/<int:booking_id>")
@login_required
def detail(booking_id):
    return render_detail(services.get_booking(booking_id, current_user))


@bp.post("/bookings/<int:booking_id>/cancel")
@login_required
def cancel(booking_id):
    booking = services.get_booking(booking_id, current_user)
    form = ReasonForm(prefix="cancel")
    if not form.validate_on_submit():
        return render_detail(booking, 422, cancel_form=form)
    try:
        services.cancel(booking, current_user, form.reason.data)
    except BookingRefused as refusal:
        return render_detail(booking, refusal_status(refusal), attach_refusal(form, refusal), cancel_form=form)
    flash(_("The booking was cancelled."), "success")
    return redirect(safe_next(url_for("booking.detail", booking_id=booking.id)))
