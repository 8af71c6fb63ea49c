"""Periodic booking housekeeping: expire undecided requests, lapse unanswered waitlist offers,
complete visits that have ended. Each step gives seats back in the same transaction."""

from __future__ import annotations

import logging

from huey import crontab

from ..database import utcnow
from ..jobs import periodic_job
from . import services, visits, waitlist

log = logging.getLogger(__name__)


@periodic_job(crontab(minute="*/5"))
def booking_housekeeping() -> dict:
    now = utcnow()
    expired = services.expire_pending(now)
    lapsed = waitlist.lapse_offers(now)
    completed = visits.complete_finished(now)
    if expired or lapsed or completed:
        log.info("bookings: %s expired, %s offers lapsed, %s completed", len(expired), len(lapsed), len(completed))
    return {"expired": len(expired), "lapsed": len(lapsed), "completed": len(completed)}
