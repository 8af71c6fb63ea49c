"""The certificate of attendance: its download (whoever may see the booking) and its public
check page, where the QR code printed on it leads."""

from __future__ import annotations

from flask import render_template
from flask_babel import gettext as _
from flask_login import current_user

from ..access import login_required
from ..booking.services import get_booking
from ..errors import abort_with
from . import bp, certificates


@bp.get("/bookings/<int:booking_id>/certificate.pdf")
@login_required
def certificate(booking_id):
    return certificates.download(get_booking(booking_id, current_user))


@bp.get("/certificates/<code>")
def certificate_check(code):
    """Anyone holding the paper (or its QR code) may check it: what it states, or a 404."""
    found = certificates.find(code)
    if found is None:
        abort_with(404, _("No certificate has this code. Check the code printed beside the QR code."))
    html = render_template("visits/certificate_check.html", facts=certificates.stated(found))
    return html, 200, {"X-Robots-Tag": "noindex"}
