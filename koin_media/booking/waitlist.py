"""The waitlist of a full slot: join, offers of freed seats (held for the offer), accept.

When seats come free (a cancellation, a rejection, an expiry, a lapsed offer), the waiting
entries are offered them first come, first served: each entry whose headcount fits gets its
seats held by the database for a limited time (``BOOKING_OFFER_HOURS``, default 24 h, never
past the start), in the transaction that freed them. Accepting turns the offer into a pending
booking that keeps those seats; an offer nobody accepts lapses and its seats go to the next.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import abort
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..database import utcnow
from ..extensions import db
from ..venues.models import Venue
from . import capacity, rules
from .models import ACCEPTED, LAPSED, OFFERED, WAITING, WAITLIST_LIVE, WITHDRAWN, Booking, Slot, WaitlistEntry
from .problems import BookingRefused
from .rules import GroupRequest
from .settings import offer_hours
from .signals import booking_changed, waitlist_changed
from .transaction import commit, end_each_due, flush, new_booking


def live_entry(school_id: int, slot_id: int) -> WaitlistEntry | None:
    return db.session.scalar(
        select(WaitlistEntry).where(
            WaitlistEntry.school_id == school_id,
            WaitlistEntry.slot_id == slot_id,
            WaitlistEntry.status.in_(WAITLIST_LIVE),
        )
    )


def join_waitlist(school_user, slot_id: int, request: GroupRequest, now: datetime | None = None) -> WaitlistEntry:
    """Wait for seats in a slot, with the request the school would make (same checks as a
    booking). If seats are free already, the entry is offered them at once."""
    now = now or utcnow()
    try:
        slot = rules.load_slot(slot_id)
        request = rules.check_request(school_user, slot, now, request)
        if rules.has_live_booking(request.school_id, slot.id) or live_entry(request.school_id, slot.id):
            raise BookingRefused("duplicate_request")
    except BookingRefused:
        db.session.rollback()
        raise
    entry = WaitlistEntry(
        slot_id=slot.id,
        requested_by_id=school_user.id,
        **request.stored(),
        status=WAITING,
        created_at=now,
        updated_at=now,
    )
    db.session.add(entry)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise BookingRefused("duplicate_request") from None
    audit.record(school_user, "waitlist.join", entry, headcount=entry.headcount)
    waitlist_changed.send(entry, action="joined", actor=school_user)
    offer_freed_seats(slot, now)
    commit()
    return entry


def offer_freed_seats(slot: Slot, now: datetime | None = None) -> list[WaitlistEntry]:
    """Offer free seats to the waiting entries that fit, first come first served, holding the
    seats for each offer. Runs inside the caller's transaction (which commits)."""
    now = now or utcnow()
    db.session.refresh(slot, ["is_open", "starts_at"])
    if not slot.is_open or slot.starts_at <= now:
        return []
    waiting = db.session.scalars(
        select(WaitlistEntry)
        .where(WaitlistEntry.slot_id == slot.id, WaitlistEntry.status == WAITING)
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
    ).all()
    offers = []
    until = min(now + timedelta(hours=offer_hours()), slot.starts_at)
    for entry in waiting:
        if not capacity.hold(slot.id, entry.headcount):
            continue  # a smaller group further down may still fit
        entry.status = OFFERED
        entry.offered_at, entry.offered_until = now, until
        entry.updated_at = now
        flush()
        audit.record(None, "waitlist.offer", entry, offered_until=until.isoformat())
        waitlist_changed.send(entry, action="offered", actor=None)
        offers.append(entry)
    return offers


def accept_offer(entry: WaitlistEntry, school_user, now: datetime | None = None) -> Booking:
    """Turn an open offer into a pending booking; the seats held for the offer pass to it."""
    now = now or utcnow()
    try:
        if school_user is None or school_user.school_id != entry.school_id:
            raise BookingRefused("not_allowed")
        rules.check_may_book_for_school(school_user)
        if not entry.offer_open(now):
            raise BookingRefused("offer_not_open" if entry.status != OFFERED else "offer_lapsed")
        if rules.has_live_booking(entry.school_id, entry.slot_id):
            raise BookingRefused("duplicate_request")
    except BookingRefused:
        db.session.rollback()
        raise
    request = GroupRequest.of(entry)
    entry.status = ACCEPTED
    entry.updated_at = now
    flush()  # version check first: the offer cannot be accepted and lapse at once
    booking = new_booking(request, entry.slot, school_user, now)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise BookingRefused("duplicate_request") from None
    entry.booking_id = booking.id
    audit.record(school_user, "waitlist.accept", entry, booking_id=booking.id)
    audit.record(school_user, "booking.request", booking, slot_id=entry.slot_id, headcount=booking.headcount)
    waitlist_changed.send(entry, action="accepted", actor=school_user)
    booking_changed.send(booking, action="requested", actor=school_user)
    commit()
    return booking


def end_entry(entry: WaitlistEntry, status: str, actor, now: datetime) -> None:
    """End a live entry; an offered one gives its seats back (to the next in line)."""
    was_offered = entry.status == OFFERED
    entry.status = status
    entry.updated_at = now
    flush()
    if was_offered:
        capacity.give_back(entry.slot_id, entry.headcount)
    audit.record(actor, f"waitlist.{status}", entry)
    waitlist_changed.send(entry, action=status, actor=actor)
    if was_offered:
        offer_freed_seats(entry.slot, now)


def withdraw(entry: WaitlistEntry, actor, now: datetime | None = None) -> WaitlistEntry:
    """The school stops waiting (or declines the offer); whoever manages the venue may
    withdraw any entry."""
    now = now or utcnow()
    if entry.status not in WAITLIST_LIVE:
        db.session.rollback()
        raise BookingRefused("offer_not_open")
    acts_for_school = actor is not None and actor.acts_for_school(entry.school_id)
    if not acts_for_school and not Venue.may_manage(actor, entry.slot.program.venue_id):
        db.session.rollback()
        raise BookingRefused("not_allowed")
    end_entry(entry, WITHDRAWN, actor, now)
    commit()
    return entry


def lapse_offers(now: datetime | None = None) -> list[WaitlistEntry]:
    """End the offers nobody accepted in time and pass their seats on (periodic job)."""
    now = now or utcnow()
    return end_each_due(
        WaitlistEntry,
        select(WaitlistEntry.id)
        .where(WaitlistEntry.status == OFFERED, WaitlistEntry.offered_until <= now)
        .order_by(WaitlistEntry.id),
        lambda entry: entry.status == OFFERED and entry.offered_until <= now,
        lambda entry: end_entry(entry, LAPSED, None, now),
    )


def get_entry(entry_id: int, user) -> WaitlistEntry:
    """The waitlist entry, for a coordinator of its school; 404 for anyone else."""
    entry = db.session.get(WaitlistEntry, entry_id)
    if entry is None or not user.acts_for_school(entry.school_id):
        abort(404)
    return entry
