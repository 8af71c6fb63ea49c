"""The confirmed booking's calendar file and QR code, for its school and the people receiving it."""

from __future__ import annotations

from flask import Response, abort
from flask_login import current_user

from ..access import login_required
from . import bp
from .calendar_files import booking_calendar, booking_qr_svg, has_calendar_files, ics_filename
from .models import Booking
from .services import get_booking

QR_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'"


def _confirmed_booking_or_404(booking_id: int) -> Booking:
    """The booking, if it is confirmed (or checked in) and the caller is its school, a
    manager of its venue or staff; otherwise 404, so that its existence is not revealed."""
    booking = get_booking(booking_id, current_user)
    if not has_calendar_files(booking):
        abort(404)
    return booking


@bp.get("/bookings/<int:booking_id>/calendar.ics")
@login_required
def ics(booking_id: int):
    booking = _confirmed_booking_or_404(booking_id)
    response = Response(booking_calendar(booking), mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="{ics_filename(booking)}"'
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.get("/bookings/<int:booking_id>/qr.svg")
@login_required
def qr(booking_id: int):
    booking = _confirmed_booking_or_404(booking_id)
    response = Response(booking_qr_svg(booking), mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = QR_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-cache"
    return response
