"""The gate: find a booking by its code (typed, or the text of its QR code), check the group
in with who actually came, mark a no-show, complete the visit. For venue managers and staff."""

from __future__ import annotations

import re

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..database import utcnow
from ..extensions import db
from . import bp, codes, services, visits
from .forms import ActionForm, AttendanceForm, CheckInLookupForm
from .models import STATUS_LABELS, Booking
from .pages import attach_refusal, manager_only, refusal_status
from .problems import BookingRefused

# A code inside whatever the scanner gave (the bare code, or a link that contains it).
_CODE_CANDIDATES = re.compile(r"(?=([A-Za-z0-9]{4}[\s-]?[A-Za-z0-9]{4}))")


def find_booking(text: str) -> Booking | None:
    """The booking whose code is in ``text`` (typed with any case, dashes or spaces, or the
    text of the QR code), if the current user manages its venue."""
    candidates = [text] + [match.group(1) for match in _CODE_CANDIDATES.finditer(text or "")]
    for candidate in candidates:
        booking = services.booking_by_code(candidate)
        if booking is not None:
            return booking if booking.is_managed_by(current_user) else None
    return None


def render_checkin(booking=None, lookup=None, attendance=None, error=None, status=200):
    """The gate page; its buttons are the actions ``Booking.allowed_actions`` allows."""
    if booking is not None:
        booking = db.session.get(Booking, booking.id)
    if attendance is None and booking is not None:
        attendance = AttendanceForm(formdata=None, students=booking.students, teachers=booking.teachers)
    lookup = lookup or CheckInLookupForm(formdata=None, code=codes.display(booking.code) if booking else "")
    return (
        render_template(
            "booking/checkin.html",
            booking=booking,
            lookup=lookup,
            attendance=attendance,
            action_form=ActionForm(),
            status_labels=STATUS_LABELS,
            display=codes.display,
            actions=booking.allowed_actions(current_user, utcnow()) if booking is not None else frozenset(),
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
    booking = services.get_booking(booking_id, current_user)
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
    booking = services.get_booking(booking_id, current_user)
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
