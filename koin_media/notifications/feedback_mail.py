"""After a completed visit: the school's coordinators hear that the certificate of attendance
is ready and are asked for their feedback (a rating and a comment) on the visit.

A receiver of ``booking.signals.booking_changed`` (``completed``: by the venue at the gate or by
the periodic job once the session has ended), writing into the completion's own transaction, so
the message exists exactly when the completed visit does.
"""

from __future__ import annotations

from ..booking.models import Booking
from ..booking.signals import booking_changed
from ..sitelinks import site_link
from . import models as kinds
from .booking_mail import to_school


def on_booking_changed(booking: Booking, action: str, actor=None, **_extra) -> None:
    if action != "completed":
        return
    to_school(
        kinds.FEEDBACK_REQUEST,
        booking,
        feedback_url=site_link("visits.feedback_form", booking_id=booking.id),
        certificate_url=site_link("visits.certificate", booking_id=booking.id),
    )


def connect() -> None:
    """Listen to the booking signals (called by the package's ``init_app``)."""
    booking_changed.connect(on_booking_changed)
