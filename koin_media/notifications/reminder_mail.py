"""The reminder before a visit, asking the school for its final headcount.

A receiver of ``visits.signals.visit_changed`` (``reminder_due``, sent by the hourly job in
visits/reminders.py, which decides whether and which reminder is due): every approved
coordinator of the school hears, in their language, how many days are left (calendar days
in Lombok from the moment it is sent, ``reminders.days_left``), what to bring
(``Program.requirements``) and where to confirm the final number of students and teachers.
"""

from __future__ import annotations

from ..booking.models import Booking
from ..sitelinks import site_link
from ..visits.signals import visit_changed
from . import models as kinds
from .booking_mail import to_school


def on_visit_changed(
    booking: Booking,
    action: str,
    actor=None,
    days_before: int | None = None,
    days_left: int | None = None,
    now=None,
    **_extra,
):
    if action != "reminder_due":
        return
    to_school(
        kinds.REMINDER,
        booking,
        now=now,
        days_before=days_before,
        # What the mail says: the calendar days really left (a late reminder is not ``days_before``).
        days_left=days_left,
        headcount_url=site_link("visits.headcount", booking_id=booking.id),
    )


def connect() -> None:
    """Listen to the visit signals (called by the package's ``init_app``)."""
    visit_changed.connect(on_visit_changed)
