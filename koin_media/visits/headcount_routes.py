"""The final headcount page: the reminder's link, and the booking page's button.

Loads the booking (``get_booking``: 404 for anyone but the school's coordinators and the
venue's managers), then lets ``headcount.confirm_headcount`` decide; a refusal is shown next
to its field, 409 for conflicts (no room, changed meanwhile), 422 otherwise."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import login_required
from ..booking import codes, services
from ..booking.models import HEADCOUNT, STATUS_LABELS, Booking
from ..booking.pages import attach_refusal, refusal_status
from ..booking.problems import BookingRefused
from ..database import utcnow
from ..extensions import db
from ..validators import whole_number as parse_whole_number
from . import bp
from .headcount import confirm_headcount
from .headcount_forms import HeadcountForm


@bp.route("/bookings/<int:booking_id>/headcount", methods=["GET", "POST"])
@login_required
def headcount(booking_id):
    booking = services.get_booking(booking_id, current_user)
    form = HeadcountForm()
    error, status = None, 200
    if request.method == "GET":
        form.students.data, form.teachers.data = booking.students, booking.teachers
        form.version.data = str(booking.version)
    elif form.validate_on_submit():
        try:
            confirm_headcount(
                booking,
                current_user,
                form.students.data,
                form.teachers.data,
                version=parse_whole_number(form.version.data or ""),
            )
        except BookingRefused as refusal:
            error, status = attach_refusal(form, refusal), refusal_status(refusal)
        else:
            flash(_("Final headcount confirmed."), "success")
            return redirect(url_for("booking.detail", booking_id=booking.id))
    else:
        status = 422
    booking = db.session.get(Booking, booking_id)  # fresh after a refused (rolled back) change
    if status == 409:
        form.version.data = str(booking.version)  # the page now shows what was saved meanwhile
    now = utcnow()
    return (
        render_template(
            "visits/headcount.html",
            booking=booking,
            code=codes.display(booking.code),
            slot=booking.slot,
            program=booking.slot.program,
            form=form,
            error=error,
            may_change=HEADCOUNT in booking.allowed_actions(current_user, now),
            status_label=STATUS_LABELS[booking.status],
        ),
        status,
    )
