"""The alternatives held for a school after a closure took its visit.

A receiver of ``visits.signals.visit_changed`` (``reschedule_offered``, sent by
visits/reschedule.py in the closure's transaction, beside the closure mail of booking_mail):
every approved coordinator of the school hears, in their language, which sessions are held for
the group, each until its own hold ends (a near session's hold ends sooner, the lead time before
its start), and where to move the booking with one tap or cancel the visit. Nothing is sent when
no alternative could be held: the closure mail then says the venue will call.
"""

from __future__ import annotations

from ..booking.models import Booking
from ..sitelinks import site_link
from ..visits.signals import visit_changed
from . import models as kinds
from .booking_mail import to_school


def on_visit_changed(booking: Booking, action: str, actor=None, reschedule=None, offers=(), **_extra) -> None:
    if action != "reschedule_offered" or not offers:
        return
    to_school(
        kinds.RESCHEDULE,
        booking,
        offers=offers,
        reason=reschedule.closure.reason,
        alternatives_url=site_link("visits.alternatives", booking_id=booking.id),
    )


def connect() -> None:
    """Listen to the visit signals (called by the package's ``init_app``)."""
    visit_changed.connect(on_visit_changed)
