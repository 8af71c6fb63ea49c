"""The gate: find a booking by its code (scanned with the phone's camera or from a photo,
typed, or the text of its QR code), see whether the group may be checked in now, check it in
with who actually came, mark a no-show, complete the visit. For venue managers and staff.

The scanner (static/js/checkin.js) asks ``checkin_lookup`` for the booking a code names and
shows the same booking panel as the page, so what the gate can do is decided here once."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..database import utcnow
from ..errors import error_response
from ..extensions import db
from ..i18n import wita_datetime, wita_range
from ..localtime import LOCAL
from ..security import enable_camera_scanner
from . import bp, codes, services, visits
from .forms import ActionForm, AttendanceForm, CheckInLookupForm
from .models import (
    CHECK_IN,
    CHECKED_IN,
    CONFIRMED,
    STATUS_LABELS,
    WINDOW_ENDED,
    WINDOW_TOO_EARLY,
    Booking,
)
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


def not_found_message() -> str:
    return _("No booking at your venues has this code. Check it and try again.")


@dataclass(frozen=True)
class GateWindow:
    """What the gate can do with a booking now, shown before any button is pressed: ``state``
    for the page and its script, ``message`` for the person at the gate."""

    state: str  # open, too_early, ended, checked_in, or closed (any other status)
    message: str


def _today(now: datetime, *moments: datetime) -> bool:
    today = now.astimezone(LOCAL).date()
    return all(moment.astimezone(LOCAL).date() == today for moment in moments)


def _window_times(opens_at: datetime, closes_at: datetime, now: datetime) -> str:
    """The window as "06.00–10.00 WITA" today, with the day when it is another one."""
    return wita_range(opens_at, closes_at, "time" if _today(now, opens_at, closes_at) else "full")


def gate_window(booking: Booking, now: datetime) -> GateWindow:
    """The check-in window of ``booking`` (``Booking.check_in_window``: from
    ``check_in_opens_at`` until the slot ends) in words, both ends said."""
    if booking.status == CHECKED_IN:
        students, teachers = booking.attended_students, booking.attended_teachers
        message = _(
            "Already checked in: %(students)s students, %(teachers)s teachers.", students=students, teachers=teachers
        )
        return GateWindow("checked_in", message)
    if booking.status != CONFIRMED:
        status = str(STATUS_LABELS[booking.status]).lower()
        return GateWindow("closed", _("This booking cannot be checked in: it is %(status)s.", status=status))
    window = booking.check_in_window(now)
    closes_at = booking.slot.ends_at
    if window == WINDOW_TOO_EARLY:
        times = _window_times(booking.check_in_opens_at, closes_at, now)
        return GateWindow(window, _("Too early: check-in is possible %(times)s.", times=times))
    if window == WINDOW_ENDED:
        return GateWindow(window, _("The session has ended: check-in is closed."))
    until = wita_datetime(closes_at, "time" if _today(now, closes_at) else "full")
    return GateWindow(window, _("Check-in is possible now, until %(time)s.", time=until))


def booking_panel(booking: Booking, attendance=None) -> dict:
    """What the booking panel (templates/booking/_checkin_booking.html) shows, on the page and
    in the scanner's look-up alike: its buttons are the actions ``Booking.allowed_actions``
    allows (check-in only while the window is open); before the window opens the check-in
    button is shown disabled, the window above it saying when."""
    booking = db.session.get(Booking, booking.id)
    now = utcnow()
    if attendance is None:
        attendance = AttendanceForm(formdata=None, students=booking.students, teachers=booking.teachers)
    window = gate_window(booking, now)
    actions = booking.allowed_actions(current_user, now)
    return {
        "booking": booking,
        "attendance": attendance,
        "window": window,
        "check_in_open": CHECK_IN in actions,
        "check_in_later": window.state == WINDOW_TOO_EARLY,
        "actions": actions,
        "status_labels": STATUS_LABELS,
        "display": codes.display,
    }


def render_checkin(booking=None, lookup=None, attendance=None, error=None, status=200):
    """The gate page, with the booking panel once a booking is found."""
    enable_camera_scanner()
    panel = booking_panel(booking, attendance) if booking is not None else {"booking": None}
    lookup = lookup or CheckInLookupForm(formdata=None, code=codes.display(booking.code) if booking else "")
    return (
        render_template("booking/checkin.html", lookup=lookup, action_form=ActionForm(), error=error, **panel),
        status,
    )


@bp.get("/checkin/lookup")
@manager_only
def checkin_lookup():
    """The scanner's look-up (JSON): the booking a scanned or typed code names, at the user's
    venues only, with its window and the panel to show before anything is pressed."""
    lookup = CheckInLookupForm(formdata=request.args, meta={"csrf": False})
    if not lookup.validate():
        return error_response(422, lookup.code.errors[0], error="invalid_code")
    if not lookup.code.data:  # only spaces: InputRequired saw characters, the strip filter none
        return error_response(422, _("Enter the booking code."), error="invalid_code")
    booking = find_booking(lookup.code.data)
    if booking is None:
        return error_response(404, not_found_message())
    panel = booking_panel(booking)
    return jsonify(
        code=booking.code,
        display=codes.display(booking.code),
        status=booking.status,
        window=panel["window"].state,
        message=panel["window"].message,
        check_in_open=panel["check_in_open"],
        actions=sorted(panel["actions"]),
        html=render_template("booking/_checkin_booking.html", **panel),
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
        lookup.code.errors = [not_found_message()]
        return render_checkin(lookup=lookup, status=404)
    lookup.code.data = codes.display(booking.code)  # what was read or typed, as printed
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
