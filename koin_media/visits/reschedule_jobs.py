"""The periodic job that ends alternatives nobody took after a closure and gives their seats
back (to the waitlist first), so a held session never stays blocked past its hold."""

from __future__ import annotations

import logging

from huey import crontab

from ..database import utcnow
from ..jobs import periodic_job
from . import reschedule

log = logging.getLogger(__name__)


@periodic_job(crontab(minute="*/5"))
def lapse_reschedule_offers() -> dict:
    lapsed = reschedule.lapse_offers(utcnow())
    if lapsed:
        log.info("reschedules: %s alternatives lapsed", len(lapsed))
    return {"lapsed": len(lapsed)}
