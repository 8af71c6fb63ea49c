"""Booking pages for schools: request a slot (or wait for it), their bookings, the detail
page with its confirmation, cancelling and accepting a waitlist offer. The pages of venue
managers and staff (lists, decisions, check-in, export, report) are in ``manage``.

Every page loads its objects, checks access, then calls a service; a ``BookingRefused`` is
shown next to the field it is about (or at the top) with 409 for conflicts, 422 otherwise."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from ..access import login_required, roles_required
from ..database import utcnow
from ..extensions import db
from ..roles import SCHOOL
from ..security import safe_next as local_path_or
from . import bp, codes, rules, services, waitlist
from .forms import ActionForm, BookingRequestForm, MoveForm, ReasonForm, request_values
from .models import (
    CONFIRMED,
    HOLDING,
    OFFERED,
    PENDING,
    STATUS_LABELS,
    WAITLIST_LIVE,
    WAITLIST_STATUS_LABELS,
    Booking,
    Program,
    Slot,
    WaitlistEntry,
)
from .problems import BookingRefused

# Refusal fields whose form field is named differently on the pages.
FORM_FIELD_NAMES = {"attended_students": "students"}


# -- shared by the pages and the API ----------------------------------------------------------


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


def venue_id_of(booking: Booking) -> int:
    return booking.slot.program.venue_id


def visible_booking_or_404(booking_id: int) -> Booking:
    """The booking, for a coordinator of its school or whoever manages its venue; a 404 for
    everyone else, so other schools cannot learn that it exists."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or not current_user.is_authenticated:
        abort(404)
    if not (services.is_school_of(current_user, booking) or services.can_manage(current_user, venue_id_of(booking))):
        abort(404)
    return booking


def own_entry_or_404(entry_id: int) -> WaitlistEntry:
    entry = db.session.get(WaitlistEntry, entry_id)
    if entry is None or not current_user.acts_for_school(entry.school_id):
        abort(404)
    return entry


def membership_problem(user) -> str | None:
    """Why a school account does not act for its school (pending or declined), to explain on
    the booking pages; None when it does, or when the school's verification is what is missing
    (the page says so separately)."""
    if user.school is None:
        return None
    try:
        rules.check_school_membership(user)
    except BookingRefused as refusal:
        return refusal.message if refusal.code != "school_unverified" else None
    return None


def safe_next(default: str) -> str:
    """Where to go after a button on a list: a path on this site, nothing else."""
    return local_path_or(request.form.get("next"), default)


def calendar_links(booking: Booking) -> dict:
    """The .ics and QR of a confirmed booking, when those endpoints exist."""
    if booking.status not in HOLDING or booking.status == PENDING:
        return {}
    links = {}
    if "booking.ics" in current_app.view_functions:
        links["ics"] = url_for("booking.ics", booking_id=booking.id)
    if "booking.qr" in current_app.view_functions:
        links["qr"] = url_for("booking.qr", booking_id=booking.id)
    return links


def move_choices(booking: Booking) -> list[Slot]:
    """Open future slots of the same venue where the group fits."""
    return db.session.scalars(
        select(Slot)
        .join(Program, Slot.program_id == Program.id)
        .where(
            Program.venue_id == venue_id_of(booking),
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
    from ..i18n import wita_datetime

    return _(
        "%(program)s — %(start)s (%(remaining)s places left)",
        program=slot.program.title,
        start=wita_datetime(slot.starts_at, "short"),
        remaining=slot.remaining,
    )


# -- requesting a slot ------------------------------------------------------------------------


@bp.route("/slots/<int:slot_id>/book", methods=["GET", "POST"])
@roles_required(SCHOOL)
def request_form(slot_id):
    slot = db.session.get(Slot, slot_id)
    if slot is None:
        abort(404)
    form = BookingRequestForm()
    form.set_levels(slot.program)
    if request.method == "GET":
        form.contact_name.data = current_user.name
        form.contact_phone.data = current_user.phone or ""
    error, status = None, 200
    offer_waitlist = slot.remaining == 0
    if form.validate_on_submit():
        joining = request.form.get("action") == "waitlist"
        try:
            if joining:
                entry = waitlist.join_waitlist(current_user, slot.id, **request_values(form))
                if entry.status == OFFERED:
                    flash(_("Places came free: accept the offer below before it lapses."), "success")
                else:
                    flash(_("You are on the waiting list. We will tell you when places come free."), "success")
                return redirect(url_for("booking.my_bookings"))
            booking = services.book_slot(current_user, slot.id, **request_values(form))
            flash(_("Your request was sent. The venue will confirm it soon."), "success")
            return redirect(url_for("booking.detail", booking_id=booking.id))
        except BookingRefused as refusal:
            error, status = attach_refusal(form, refusal), refusal_status(refusal)
            offer_waitlist = offer_waitlist or refusal.code == "slot_full"
    elif form.is_submitted():
        status = 422
    slot = db.session.get(Slot, slot_id)
    school = current_user.school
    return (
        render_template(
            "booking/request.html",
            slot=slot,
            program=slot.program,
            form=form,
            error=error,
            offer_waitlist=offer_waitlist,
            unverified=school is not None and not school.is_verified,
            membership_problem=membership_problem(current_user),
            bookable=slot.is_open and slot.program.active and slot.starts_at > utcnow(),
        ),
        status,
    )


# -- the school's bookings --------------------------------------------------------------------


def _render_my_bookings(error: str | None = None, status: int = 200):
    school_id = current_user.acting_school_id  # a coordinator waiting for approval sees none
    bookings, entries = [], []
    if school_id is not None:
        bookings = db.session.scalars(
            select(Booking)
            .join(Slot, Booking.slot_id == Slot.id)
            .where(Booking.school_id == school_id)
            .order_by(Slot.starts_at.desc(), Booking.id.desc())
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
            action_form=ActionForm(),
            now=utcnow(),
            error=error,
            membership_problem=membership_problem(current_user),
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
    entry = own_entry_or_404(entry_id)
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
    entry = own_entry_or_404(entry_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        waitlist.withdraw(entry, current_user)
    except BookingRefused as refusal:
        return _render_my_bookings(refusal.message, refusal_status(refusal))
    flash(_("You left the waiting list."), "success")
    return redirect(url_for("booking.my_bookings"))


# -- one booking ------------------------------------------------------------------------------


def render_detail(booking: Booking, status: int = 200, error: str | None = None, **forms):
    booking = db.session.get(Booking, booking.id)  # fresh after a refused (rolled back) change
    manager = services.can_manage(current_user, venue_id_of(booking))
    school = services.is_school_of(current_user, booking)
    move_form = forms.pop("move_form", None) or MoveForm(prefix="move")
    if manager and booking.status in (PENDING, CONFIRMED):
        move_form.slot_id.choices = [SelectChoice(slot.id, slot_label(slot)) for slot in move_choices(booking)]
    cancel_hours = rules.cancel_hours()
    context = dict(
        booking=booking,
        slot=booking.slot,
        program=booking.slot.program,
        venue=booking.slot.program.venue,
        status_labels=STATUS_LABELS,
        display=codes.display,
        links=calendar_links(booking),
        manager=manager,
        is_school=school,
        can_cancel=booking.status in (PENDING, CONFIRMED)
        and (manager or utcnow() <= booking.slot.starts_at - timedelta(hours=cancel_hours)),
        cancel_hours=cancel_hours,
        action_form=ActionForm(),
        cancel_form=forms.pop("cancel_form", None) or ReasonForm(prefix="cancel"),
        reject_form=forms.pop("reject_form", None) or ReasonForm(prefix="reject"),
        move_form=move_form,
        error=error,
    )
    return render_template("booking/detail.html", **context), status


@bp.get("/bookings/<int:booking_id>")
@login_required
def detail(booking_id):
    return render_detail(visible_booking_or_404(booking_id))


@bp.post("/bookings/<int:booking_id>/cancel")
@login_required
def cancel(booking_id):
    booking = visible_booking_or_404(booking_id)
    form = ReasonForm(prefix="cancel")
    if not form.validate_on_submit():
        return render_detail(booking, 422, cancel_form=form)
    try:
        services.cancel(booking, current_user, form.reason.data)
    except BookingRefused as refusal:
        return render_detail(booking, refusal_status(refusal), attach_refusal(form, refusal), cancel_form=form)
    flash(_("The booking was cancelled."), "success")
    return redirect(safe_next(url_for("booking.detail", booking_id=booking.id)))
