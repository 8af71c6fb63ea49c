"""Reminders before a visit that ask the school for its final headcount.

``KOIN_REMINDER_DAYS`` (default 7 and 1) days before a confirmed visit, the hourly job
(notifications/jobs.py) sends ``visit_changed(action="reminder_due", days_before=...)``; the
mail itself is notifications/reminder_mail.py. ``due_reminder`` is the one rule for which
reminder a booking is owed now:

- Only while the visit stands (``Booking.visit_stands``): confirmed, in a session still open.
  A pending request may still be declined or expire; asking such a school to confirm numbers
  and pack for a visit the venue has not accepted would mislead it (its confirmation mail,
  soon, carries what to bring). A closure leaves the booking confirmed on its closed session
  until it is moved or cancelled: a reminder then would send the group on a closed day.
- A reminder is due ``days`` before the start and stays due until the next, closer reminder
  is (or the visit starts): a worker that was down for a few hours still sends it, but a
  school never gets two at once, nor a week's reminder the day before.
- It is for a booking that was already confirmed on its current session at the reminder's
  time: never for one made, confirmed or moved later (a booking made three days before gets
  no seven-day reminder; after a move, the new session's reminders follow its own schedule
  and the old session's are never sent).
- Once: a ``visit_reminders`` row per booking, days and session start, unique, is written
  with the mail, so two workers running the job at once send it once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from ..booking.models import CONFIRMED, Booking, Slot
from ..database import utcnow
from ..extensions import db
from ..localtime import LOCAL
from .reminder_models import VisitReminder
from .signals import visit_changed

log = logging.getLogger(__name__)


def reminder_days() -> tuple[int, ...]:
    """The days before a visit that reminders go out, largest first (config.env_days)."""
    return tuple(current_app.config["REMINDER_DAYS"])


def _windows(days: tuple[int, ...]) -> list[tuple[int, int]]:
    """Each reminder's days with the days of the next, closer one (0: the start)."""
    return list(zip(days, (*days[1:], 0), strict=True))


def due_reminder(booking: Booking, now: datetime) -> int | None:
    """The reminder (its days before the visit) the booking is owed now, or None."""
    if not booking.visit_stands:
        return None
    starts = booking.slot.starts_at
    for days, closer in _windows(reminder_days()):
        due = starts - timedelta(days=days)
        if due <= now < starts - timedelta(days=closer):
            # When the booking last became what it is now: made, confirmed, on this session.
            settled = max(moment for moment in (booking.created_at, booking.decided_at, booking.moved_at) if moment)
            return days if settled <= due else None
    return None


def days_left(starts_at: datetime, now: datetime) -> int:
    """Calendar days in Lombok from ``now`` to the visit (1: tomorrow, 0: today): what a
    reminder says, since one sent late (a worker was down) is no longer ``days`` before."""
    return (starts_at.astimezone(LOCAL).date() - now.astimezone(LOCAL).date()).days


def _already_sent(booking_id: int, days: int, starts_at: datetime) -> bool:
    return db.session.scalar(
        select(
            exists().where(
                VisitReminder.booking_id == booking_id,
                VisitReminder.days_before == days,
                VisitReminder.slot_starts_at == starts_at,
            )
        )
    )


def _candidates(now: datetime) -> list[int]:
    """Bookings whose visit stands inside some reminder's window without that reminder yet:
    a narrowing in SQL of ``due_reminder``, which decides per booking (the timing of when
    each was made, confirmed or moved too)."""
    ids: list[int] = []
    for days, closer in _windows(reminder_days()):
        sent = exists().where(
            VisitReminder.booking_id == Booking.id,
            VisitReminder.days_before == days,
            VisitReminder.slot_starts_at == Slot.starts_at,
        )
        ids += db.session.scalars(
            select(Booking.id)
            .join(Slot, Booking.slot_id == Slot.id)
            .where(
                Booking.status == CONFIRMED,
                Slot.is_open.is_(True),
                Slot.starts_at > now + timedelta(days=closer),
                Slot.starts_at <= now + timedelta(days=days),
                ~sent,
            )
            .order_by(Slot.starts_at, Booking.id)
        ).all()
    return ids


def _send_one(booking_id: int, now: datetime) -> bool:
    """Send the reminder the booking is owed, in its own transaction."""
    # Lock the booking row first: a move or cancellation committing meanwhile is seen (and
    # one that comes later waits), so a reminder never goes out for a session the booking left.
    db.session.execute(select(Booking.id).where(Booking.id == booking_id).with_for_update())
    booking = db.session.get(Booking, booking_id, populate_existing=True)
    days = due_reminder(booking, now) if booking is not None else None
    if days is None or _already_sent(booking.id, days, booking.slot.starts_at):
        db.session.rollback()
        return False
    db.session.add(
        VisitReminder(booking_id=booking.id, days_before=days, slot_starts_at=booking.slot.starts_at, sent_at=now)
    )
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()  # another worker sent it meanwhile: the unique row keeps it to one
        return False
    visit_changed.send(
        booking,
        action="reminder_due",
        actor=None,
        days_before=days,
        days_left=days_left(booking.slot.starts_at, now),
        now=now,
    )
    db.session.commit()
    return True


def send_due_reminders(now: datetime | None = None) -> int:
    """Send every reminder that is due (the hourly job); how many went out."""
    now = now or utcnow()
    ids = _candidates(now)
    db.session.rollback()  # end the read: each reminder is a transaction of its own
    sent = sum(1 for booking_id in dict.fromkeys(ids) if _send_one(booking_id, now))
    if sent:
        log.info("visits: %s reminders sent", sent)
    return sent
