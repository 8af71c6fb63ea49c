"""Completed visits for the certificate and feedback tests: a booking taken through request,
confirmation, check-in at the gate and completion by the venue, as it happens."""

from __future__ import annotations

from datetime import timedelta

from koin_media.booking import services, visits
from koin_media.database import write_intent

from .booking_helpers import group_request


def completed_visit(school, slot, manager, students=28, teachers=2, **request):
    """``school``'s booking of ``slot``, confirmed and checked in by ``manager`` with the
    numbers that came, then completed once the session ended."""
    with write_intent():
        booking = services.book_slot(school, slot.id, group_request(**request))
        services.confirm(booking, manager)
        visits.check_in(booking, manager, students, teachers, now=slot.starts_at + timedelta(minutes=5))
        visits.complete(booking, manager, now=slot.ends_at)
    return booking


def confirmed_visit(school, slot, manager, **request):
    with write_intent():
        booking = services.book_slot(school, slot.id, group_request(**request))
        services.confirm(booking, manager)
    return booking
