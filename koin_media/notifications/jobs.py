"""Background delivery of the outbox, and the reminders before a visit (visits/reminders.py).

A message is handed to the queue as soon as the transaction that wrote it commits; the sweep
every minute delivers whatever is still due (the queue was unreachable, an earlier try
failed and its backoff has passed, the queue runs inline). In inline mode (tests,
``KOIN_QUEUE_IMMEDIATE``) nothing is sent from inside a commit: the sweep or an explicit
``deliver_pending()`` does it. The periodic jobs wrap plain functions that tests call with
their own ``now``.
"""

from __future__ import annotations

import logging
from datetime import datetime

from huey import crontab
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..database import utcnow
from ..jobs import job, periodic_job, runs_inline
from ..visits import reminders
from . import digest, outbox
from .models import OutboxMessage

log = logging.getLogger(__name__)

_NEW_IDS = "koin_outbox_new_ids"


@job()
def deliver_message(message_id: int) -> bool:
    return outbox.deliver(message_id)


@periodic_job(crontab(minute="*"))
def deliver_pending_mail() -> dict:
    return deliver_pending()


# Hourly: each reminder goes out within the hour it is due, or later after a worker was down
# (until the next, closer one is due); visits/reminders.py decides which, once per booking.
@periodic_job(crontab(minute="7"))
def remind_upcoming_visits() -> int:
    return reminders.send_due_reminders()


# Every morning at 08:20 WITA (Huey's crontab is UTC): last week's download digest to each
# creator who has not had it, so Monday's run sends it and a later one catches up after a
# worker was down; the week's record keeps it to one mail per creator.
@periodic_job(crontab(hour="0", minute="20"))
def send_weekly_digests() -> int:
    return digest.send_digests().sent


def deliver_pending(now: datetime | None = None) -> dict:
    """Deliver every message that is due (new ones, and failed ones whose backoff passed)."""
    now = now or utcnow()
    sent = failed = 0
    for message_id in outbox.due_ids(now):
        if outbox.deliver(message_id, now):
            sent += 1
        else:
            failed += 1
    if sent or failed:
        log.info("mail: %s sent, %s not sent", sent, failed)
    return {"sent": sent, "failed": failed}


# -- hand new messages to the queue once their transaction has committed ---------------------


def _remember_new_messages(session, _context) -> None:
    new = [obj.id for obj in session.new if isinstance(obj, OutboxMessage)]
    if new:
        session.info.setdefault(_NEW_IDS, []).extend(new)


def _enqueue_committed_messages(session) -> None:
    ids = session.info.pop(_NEW_IDS, None)
    if ids:
        hand_to_queue(ids)


def hand_to_queue(message_ids: list[int]) -> None:
    """One delivery job per committed message. Not in inline mode: sending from inside a
    commit would hold up the request (and tests); the sweep delivers those."""
    if runs_inline():
        return
    for message_id in message_ids:
        try:
            deliver_message(message_id)
        except Exception:  # any failure: the queue is unreachable, the sweep delivers it
            log.warning("mail %s: could not reach the queue; the sweep will send it", message_id, exc_info=True)


def _forget_rolled_back_messages(session) -> None:
    session.info.pop(_NEW_IDS, None)


_SESSION_LISTENERS = (
    ("after_flush", _remember_new_messages),
    ("after_commit", _enqueue_committed_messages),
    ("after_rollback", _forget_rolled_back_messages),
)


def connect() -> None:
    """Hand committed messages to the queue (called by the package's ``init_app``, once per
    process however many apps are built)."""
    for name, listener in _SESSION_LISTENERS:
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
