"""The school's feedback on a completed visit, and what venue managers and staff read of it.

A coordinator of the booking's school rates the visit from 1 to 5 with an optional comment,
once per booking (the database keeps one row per booking); its coordinators may change it for
``FEEDBACK_EDIT_DAYS`` after it was first sent, then it stands. The rules live in ``give``,
which the page and the API both call; the rating range is also a CHECK constraint.
Managers of the venue and staff see it per program: count, average and the comments with the
school and the visit's date (``program_summary``, ``comments``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import format_decimal
from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..booking.models import Booking, Program, Slot
from ..booking.problems import BookingRefused
from ..database import utcnow
from ..extensions import db
from .after_models import RATING_MAX, RATING_MIN, VisitFeedback
from .certificates import available

COMMENT_MAX_LENGTH = 2000

# Where feedback stands for a booking (the form page says so).
NOT_YET = "not_completed"  # the visit is not completed: nothing to rate yet
OPEN = "open"  # may be given, or changed
CLOSED = "closed"  # given, and the time to change it has passed


def edit_days() -> int:
    return int(current_app.config["FEEDBACK_EDIT_DAYS"])


def of(booking: Booking) -> VisitFeedback | None:
    return db.session.scalar(select(VisitFeedback).where(VisitFeedback.booking_id == booking.id))


def may_give(booking: Booking, user) -> bool:
    """Only a coordinator of the booking's school speaks for it (not the venue, not staff)."""
    return booking.is_school_of(user)


def editable_until(given: VisitFeedback) -> datetime:
    return given.created_at + timedelta(days=edit_days())


def state(booking: Booking, given: VisitFeedback | None, now: datetime | None = None) -> str:
    if not available(booking):
        return NOT_YET
    if given is not None and (now or utcnow()) > editable_until(given):
        return CLOSED
    return OPEN


def _check(rating, comment: str) -> None:
    if isinstance(rating, bool) or not isinstance(rating, int) or not RATING_MIN <= rating <= RATING_MAX:
        raise BookingRefused("rating_invalid", {"minimum": RATING_MIN, "maximum": RATING_MAX})
    if len(comment) > COMMENT_MAX_LENGTH:
        raise BookingRefused("comment_too_long", {"maximum": COMMENT_MAX_LENGTH})


@dataclass(frozen=True)
class Given:
    feedback: VisitFeedback
    created: bool  # False: an earlier feedback was changed


def give(booking: Booking, user, rating, comment: str | None, now: datetime | None = None) -> Given:
    """Record (or, within the edit window, change) the school's feedback on a completed visit.
    Refusals: ``not_allowed`` (403), ``not_completed`` and ``feedback_closed`` (409),
    ``rating_invalid`` and ``comment_too_long`` (422); nothing is written then."""
    now = now or utcnow()
    comment = (comment or "").strip()
    try:
        if not may_give(booking, user):
            raise BookingRefused("not_allowed")
        given = of(booking)
        current = state(booking, given, now)
        if current == NOT_YET:
            raise BookingRefused("not_completed")
        if current == CLOSED:
            raise BookingRefused("feedback_closed", {"days": edit_days()})
        _check(rating, comment)
    except BookingRefused:
        db.session.rollback()
        raise
    created = given is None
    if created:
        given = VisitFeedback(booking_id=booking.id, created_at=now)
        db.session.add(given)
    given.author_id, given.rating, given.comment, given.updated_at = user.id, rating, comment, now
    audit.record(user, "feedback.give" if created else "feedback.change", booking, rating=rating)
    try:
        db.session.commit()
    except IntegrityError:
        # Two coordinators sent the first feedback at the same moment (PostgreSQL: both saw
        # none): the other one's stands and this one changes it, as if sent a moment later.
        db.session.rollback()
        if of(booking) is None:
            raise
        return give(booking, user, rating, comment, now)
    return Given(given, created)


# -- what managers and staff read -------------------------------------------------------------


@dataclass(frozen=True)
class ProgramFeedback:
    program: Program
    count: int
    average: float | None

    @property
    def average_text(self) -> str:
        """The average to one decimal, as the reader's language writes it ("4,3", "4.3")."""
        return format_decimal(self.average, format="0.0") if self.average is not None else ""


def program_summary(venue_id: int) -> list[ProgramFeedback]:
    """Every program of the venue (offered or not) with its feedback count and average rating,
    by title; programs nobody rated yet have a count of 0 and no average."""
    rated = (
        select(
            Slot.program_id, func.count(VisitFeedback.id).label("count"), func.avg(VisitFeedback.rating).label("avg")
        )
        .select_from(VisitFeedback)
        .join(Booking, VisitFeedback.booking_id == Booking.id)
        .join(Slot, Booking.slot_id == Slot.id)
        .group_by(Slot.program_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Program, rated.c.count, rated.c.avg)
        .outerjoin(rated, rated.c.program_id == Program.id)
        .where(Program.venue_id == venue_id)
        .order_by(Program.title, Program.id)
    ).all()
    return [
        ProgramFeedback(program, count or 0, float(average) if average is not None else None)
        for program, count, average in rows
    ]


def comments(venue_id: int, program_id: int | None = None) -> Select:
    """The venue's feedback (of one program, if given), the most recent visit first; each
    loads its booking with the school, slot and program the page shows beside it."""
    statement = (
        select(VisitFeedback)
        .join(Booking, VisitFeedback.booking_id == Booking.id)
        .join(Slot, Booking.slot_id == Slot.id)
        .join(Program, Slot.program_id == Program.id)
        .where(Program.venue_id == venue_id)
        .order_by(Slot.starts_at.desc(), VisitFeedback.id.desc())
    )
    if program_id is not None:
        statement = statement.where(Program.id == program_id)
    return statement
