"""Requests waiting for a venue's decision: the managers' inbox, its count in the navigation and
``GET /api/v1/bookings/pending`` ask the same query here, so the page, the badge and the API
list the same bookings in the same order.

Which venues count is ``Venue.managed_by`` (staff: all; a venue manager: theirs). A request
whose deadline has passed is left out even before the expiry job ends it: confirming it is
refused (``request_expired``), so it is no longer work to do."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import Select, func, or_, select

from ..extensions import db
from ..i18n import wita_datetime
from ..localtime import LOCAL
from ..venues.models import Venue
from .models import PENDING, Booking, Program, Slot

# Below this, the time left is counted in hours or minutes and the request is marked urgent:
# a manager who opens the inbox at the start of a shift sees what will lapse before its end.
URGENT = timedelta(hours=12)


def _waiting(statement: Select, user, now: datetime) -> Select:
    venue_ids = Venue.managed_by(user).order_by(None).with_only_columns(Venue.id)
    return (
        statement.join(Slot, Booking.slot_id == Slot.id)
        .join(Program, Slot.program_id == Program.id)
        .where(
            Booking.status == PENDING,
            Program.venue_id.in_(venue_ids),
            or_(Booking.expires_at.is_(None), Booking.expires_at > now),
            Slot.starts_at > now,
        )
    )


def requests_for(user, now: datetime) -> Select:
    """The pending requests ``user`` may decide, most urgent first: the soonest to expire,
    then the oldest (a request without a deadline, from before deadlines existed, last)."""
    return _waiting(select(Booking), user, now).order_by(
        Booking.expires_at.asc().nulls_last(), Booking.created_at, Booking.id
    )


def count_for(user, now: datetime) -> int:
    """How many requests wait for ``user`` (the navigation's badge): one query."""
    return db.session.scalar(_waiting(select(func.count(Booking.id)), user, now))


def is_urgent(booking: Booking, now: datetime) -> bool:
    return booking.expires_at is not None and booking.expires_at - now < URGENT


def time_left(booking: Booking, now: datetime) -> str:
    """When the request lapses, as a manager reads it at a glance: "Kedaluwarsa 3 jam lagi",
    "Kedaluwarsa besok 08.00 WITA", or the date further ahead."""
    expires = booking.expires_at
    if expires is None:
        return _("No deadline")
    left = expires - now
    if left < timedelta(hours=1):
        minutes = max(1, -(-int(left.total_seconds()) // 60))
        return ngettext("Expires in %(num)d minute", "Expires in %(num)d minutes", minutes)
    if left < URGENT:
        hours = max(1, round(left.total_seconds() / 3600))  # to the nearest hour: 2 h 59 min is "3 hours"
        return ngettext("Expires in %(num)d hour", "Expires in %(num)d hours", hours)
    clock = wita_datetime(expires, "time")
    days = (expires.astimezone(LOCAL).date() - now.astimezone(LOCAL).date()).days
    if days == 0:
        return _("Expires today at %(time)s", time=clock)
    if days == 1:
        return _("Expires tomorrow at %(time)s", time=clock)
    return _("Expires %(when)s", when=wita_datetime(expires, "medium"))
