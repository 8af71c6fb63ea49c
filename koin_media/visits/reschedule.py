"""Alternatives after a closure: offered, held, taken, released, lapsed.

When a closure hits a live booking (``booking.schedule.close_for`` sends ``booking_changed``
with ``slot_closed``, inside its transaction), ``offer_alternatives`` records a ``Reschedule``
and holds up to three other sessions of the same program for the school, nearest the original
date first, each for ``RESCHEDULE_HOLD_HOURS`` (never past its start). The seats are held by
the database (``booking.capacity.hold``) in the closure's own transaction, so nobody else can
take them meanwhile; the booking keeps its old seats until it moves or ends.

The school answers on its page or through the API: ``take`` moves the booking into one of the
sessions (its held seats become the booking's, the closed session's are given back, the other
alternatives are released at once and offered to their waitlists), ``cancel_visit`` cancels
it. Alternatives nobody takes lapse (``lapse_offers``, a periodic job) and their seats go to
the waitlist. A booking the venue moves or cancels, or that ends another way, releases its
alternatives in that change's own transaction (``on_booking_changed``).

Locks, in the order every change of a hit booking takes them, so that two never wait on each
other: the booking (its version: of two clicks at once, one moves and the other is refused),
the closed session's row, then the alternatives' sessions by id.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import abort, current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..booking import capacity, rules, services, waitlist
from ..booking.models import ACTION_STATUSES as BOOKING_ACTION_STATUSES
from ..booking.models import (
    CANCEL,
    CANCELLED,
    LIVE,
    MOVE,
    WAITLIST_LIVE,
    Booking,
    Closure,
    Slot,
    WaitlistEntry,
)
from ..booking.problems import BookingRefused
from ..booking.signals import booking_changed
from ..booking.transaction import commit, flush, lock, require_action
from ..database import utcnow
from ..extensions import db
from .reschedule_models import (
    ANSWERS,
    ENDED,
    LAPSED,
    MOVED,
    OFFERED,
    OPEN,
    RELEASED,
    TAKEN,
    Reschedule,
    RescheduleOffer,
)
from .reschedule_models import CANCELLED as RESCHEDULE_CANCELLED
from .signals import visit_changed

MAX_ALTERNATIVES = 3
# Candidates read on each side of the original date: enough for three after some lose the race
# for their seats (a hold that fails is skipped), few enough to stay one small query each.
CANDIDATES_PER_SIDE = 10


def hold_hours() -> int:
    return int(current_app.config["RESCHEDULE_HOLD_HOURS"])


# -- lookups ----------------------------------------------------------------------------------


def open_reschedule(booking_id: int) -> Reschedule | None:
    return db.session.scalar(select(Reschedule).where(Reschedule.booking_id == booking_id, Reschedule.status == OPEN))


def latest_reschedule(booking_id: int) -> Reschedule | None:
    """The booking's most recent reschedule, answered or not (the school's page shows it)."""
    return db.session.scalar(
        select(Reschedule).where(Reschedule.booking_id == booking_id).order_by(Reschedule.id.desc()).limit(1)
    )


def get_offer(booking: Booking, offer_id: int) -> RescheduleOffer:
    """An alternative of ``booking`` (which the caller loaded with ``services.get_booking``);
    a 404 for any other offer id, so one school cannot probe another's."""
    offer = db.session.get(RescheduleOffer, offer_id)
    if offer is None or offer.reschedule.booking_id != booking.id:
        abort(404)
    return offer


def closure_reschedules(closure: Closure) -> list[Reschedule]:
    """Every booking the closure hit, its session's start first, then by booking."""
    return db.session.scalars(
        select(Reschedule)
        .join(Slot, Reschedule.from_slot_id == Slot.id)
        .where(Reschedule.closure_id == closure.id)
        .order_by(Slot.starts_at, Reschedule.booking_id)
    ).all()


def answer_counts(reschedules: list[Reschedule], now: datetime) -> dict[str, int]:
    """How many moved, cancelled, are waiting, lapsed, had no alternative, ended otherwise."""
    counts = dict.fromkeys(ANSWERS, 0)
    for reschedule in reschedules:
        counts[reschedule.answer(now)] += 1
    return counts


# -- offering ---------------------------------------------------------------------------------


def candidate_slots(booking: Booking, now: datetime) -> list[Slot]:
    """Sessions that could be held for the booking's school, nearest the original date first:
    the same program, open, to come, outside every closure of the venue, with room for the
    whole group, where the school has no live booking, no alternative held and no place on the
    waitlist. None when the group no longer fits the program's rules (its levels, its sizes)."""
    original = booking.slot
    program = original.program
    if not program.active:
        return []
    try:
        rules.check_program(program, booking.students, booking.teachers, booking.level)
    except BookingRefused:
        return []
    school_id = booking.school_id
    in_closure = (
        select(Closure.id)
        .where(Closure.venue_id == program.venue_id, Closure.starts_at < Slot.ends_at, Closure.ends_at > Slot.starts_at)
        .exists()
    )
    booked = (
        select(Booking.id)
        .where(Booking.slot_id == Slot.id, Booking.school_id == school_id, Booking.status.in_(LIVE))
        .exists()
    )
    held = (
        select(RescheduleOffer.id)
        .join(Reschedule, RescheduleOffer.reschedule_id == Reschedule.id)
        .join(Booking, Reschedule.booking_id == Booking.id)
        .where(RescheduleOffer.slot_id == Slot.id, RescheduleOffer.status == OFFERED, Booking.school_id == school_id)
        .exists()
    )
    waiting = (
        select(WaitlistEntry.id)
        .where(
            WaitlistEntry.slot_id == Slot.id,
            WaitlistEntry.school_id == school_id,
            WaitlistEntry.status.in_(WAITLIST_LIVE),
        )
        .exists()
    )
    fitting = select(Slot).where(
        Slot.program_id == program.id,
        Slot.id != original.id,
        Slot.is_open.is_(True),
        Slot.starts_at > now,
        Slot.capacity - Slot.held >= booking.headcount,
        ~in_closure,
        ~booked,
        ~held,
        ~waiting,
    )
    before = db.session.scalars(
        fitting.where(Slot.starts_at < original.starts_at).order_by(Slot.starts_at.desc()).limit(CANDIDATES_PER_SIDE)
    ).all()
    after = db.session.scalars(
        fitting.where(Slot.starts_at >= original.starts_at).order_by(Slot.starts_at).limit(CANDIDATES_PER_SIDE)
    ).all()
    return sorted([*before, *after], key=lambda slot: (abs(slot.starts_at - original.starts_at), slot.starts_at))


def offer_alternatives(booking: Booking, closure: Closure, actor=None, now: datetime | None = None):
    """Record that ``closure`` hit ``booking`` and hold up to three alternatives for its school.

    Runs inside the closure's transaction (the caller commits). A booking that already has an
    open reschedule (a second closure over the same session) keeps it and gets nothing new.
    Returns the reschedule, or None when there was one already."""
    now = now or utcnow()
    if open_reschedule(booking.id) is not None:
        return None
    reschedule = Reschedule(
        booking_id=booking.id, closure_id=closure.id, from_slot_id=booking.slot_id, status=OPEN, created_at=now
    )
    try:
        # A savepoint: two closures saved at the same moment may both reach this booking, and
        # the unique open reschedule lets one of them record it without failing the other.
        with db.session.begin_nested():
            db.session.add(reschedule)
    except IntegrityError:
        return None
    offers = []
    until = now + timedelta(hours=hold_hours())
    for slot in candidate_slots(booking, now):
        if len(offers) == MAX_ALTERNATIVES:
            break
        if not capacity.hold(slot.id, booking.headcount):
            continue  # taken since it was read: the next one may still fit
        offer = RescheduleOffer(
            reschedule=reschedule,
            slot_id=slot.id,
            position=len(offers) + 1,
            seats=booking.headcount,
            status=OFFERED,
            expires_at=min(until, slot.starts_at),
            created_at=now,
            updated_at=now,
        )
        db.session.add(offer)
        offers.append(offer)
    db.session.flush()
    audit.record(
        actor,
        "reschedule.offer",
        reschedule,
        booking_id=booking.id,
        closure_id=closure.id,
        slots=[offer.slot_id for offer in offers],
    )
    visit_changed.send(booking, action="reschedule_offered", actor=actor, reschedule=reschedule, offers=offers)
    return reschedule


# -- answering --------------------------------------------------------------------------------


def _lock(booking: Booking) -> None:
    """The booking, then its (closed) session's row: see the module's note on lock order."""
    lock(booking)
    db.session.execute(select(Slot.id).where(Slot.id == booking.slot_id).with_for_update())


def _end_offers(reschedule: Reschedule, now: datetime, taken: RescheduleOffer | None = None) -> list:
    """End every live alternative (``taken`` as taken, the rest released) and give their seats
    back; returns the released ones, whose freed seats the caller offers to their waitlists."""
    released = []
    for offer in sorted(reschedule.live_offers, key=lambda offer: offer.slot_id):
        offer.status = TAKEN if offer is taken else RELEASED
        offer.updated_at = now
        flush()  # its version: the lapse job may have ended it meanwhile
        capacity.give_back(offer.slot_id, offer.seats)
        if offer is not taken:
            released.append(offer)
    return released


# The audit action each way a reschedule is settled records (audit.ACTION_LABELS words them).
SETTLED_ACTIONS = {MOVED: "reschedule.moved", RESCHEDULE_CANCELLED: "reschedule.cancelled", ENDED: "reschedule.ended"}


def _settle(reschedule: Reschedule, status: str, actor, now: datetime, to_slot_id: int | None = None) -> list:
    released = _end_offers(reschedule, now)
    reschedule.status = status
    reschedule.to_slot_id = to_slot_id
    reschedule.answered_by_id = getattr(actor, "id", None)
    reschedule.answered_at = now
    flush()
    for offer in released:
        waitlist.offer_freed_seats(offer.slot, now)
    audit.record(actor, SETTLED_ACTIONS[status], reschedule, booking_id=reschedule.booking_id, to_slot=to_slot_id)
    return released


def _refuse(error: BookingRefused):
    db.session.rollback()
    raise error


def take(booking: Booking, offer: RescheduleOffer, actor, now: datetime | None = None) -> Booking:
    """Move the booking into the alternative ``offer`` holds, for a coordinator of its school.

    One transaction: the alternative's held seats pass to the booking (given back and held
    again, under the same row lock, so nobody takes them in between), the closed session's
    seats are given back, the other alternatives released, and ``booking_changed`` says
    ``moved`` (the usual mail). Or nothing, with a refusal: not the school's, the booking no
    longer movable, answered already, the alternative lapsed."""
    now = now or utcnow()
    reschedule = offer.reschedule
    try:
        if not booking.is_school_of(actor):
            raise BookingRefused("not_allowed")
        require_action(booking, MOVE)
        if reschedule.status != OPEN or offer.status in (TAKEN, RELEASED):
            raise BookingRefused("reschedule_answered")
        if not offer.is_open(now):
            raise BookingRefused("alternative_lapsed")
    except BookingRefused as refusal:
        _refuse(refusal)
    _lock(booking)
    released = _end_offers(reschedule, now, taken=offer)
    reschedule.status = MOVED
    reschedule.to_slot_id = offer.slot_id
    reschedule.answered_by_id = actor.id
    reschedule.answered_at = now
    flush()
    for other in released:
        waitlist.offer_freed_seats(other.slot, now)
    audit.record(actor, "reschedule.moved", reschedule, booking_id=booking.id, to_slot=offer.slot_id)
    visit_changed.send(booking, action="rescheduled", actor=actor, reschedule=reschedule, offer=offer)
    # Holds the seats just given back, gives back the closed session's, says "moved", commits;
    # a refusal there (the session was closed meanwhile) rolls all of this back.
    return services.move(booking, offer.slot, actor, now, offered_to_school=True)


def cancel_visit(booking: Booking, actor, reason: str | None = None, now: datetime | None = None) -> Booking:
    """The school cancels the visit a closure took (past the cancel window too): its
    alternatives are released, then ``services.cancel`` gives back its seats and tells."""
    now = now or utcnow()
    reschedule = open_reschedule(booking.id)
    try:
        if not booking.is_school_of(actor):
            raise BookingRefused("not_allowed")
        require_action(booking, CANCEL)
        if reschedule is None:
            raise BookingRefused("reschedule_answered")
    except BookingRefused as refusal:
        _refuse(refusal)
    _lock(booking)
    _settle(reschedule, RESCHEDULE_CANCELLED, actor, now)
    return services.cancel(booking, actor, reason, now, after_closure=True)


# -- the booking changed another way ----------------------------------------------------------


def on_booking_changed(booking: Booking, action: str, actor=None, closure=None, **_extra) -> None:
    """A closure hit the booking: offer alternatives. Anything else that moves or ends a booking
    with an open reschedule (the venue moved or cancelled it, it expired, ...) settles it and
    releases its alternatives, in that change's transaction."""
    if action == "slot_closed":
        if closure is not None:
            offer_alternatives(booking, closure, actor)
        return
    reschedule = open_reschedule(booking.id)
    if reschedule is None:
        return
    now = utcnow()
    if action == "moved":
        _settle(reschedule, MOVED, actor, now, to_slot_id=booking.slot_id)
    elif booking.status == CANCELLED:
        _settle(reschedule, RESCHEDULE_CANCELLED, actor, now)
    elif booking.status not in BOOKING_ACTION_STATUSES[MOVE]:
        _settle(reschedule, ENDED, actor, now)


def connect() -> None:
    """Listen to the booking signals (called once by ``create_app``)."""
    booking_changed.connect(on_booking_changed)


# -- lapsing ----------------------------------------------------------------------------------


def lapse_offers(now: datetime | None = None) -> list[RescheduleOffer]:
    """End the alternatives nobody took in time and offer their seats to the waitlist
    (periodic job). One transaction per offer: a click that wins the race is left alone."""
    now = now or utcnow()
    ids = db.session.scalars(
        select(RescheduleOffer.id)
        .where(RescheduleOffer.status == OFFERED, RescheduleOffer.expires_at <= now)
        .order_by(RescheduleOffer.id)
    ).all()
    db.session.rollback()
    lapsed = []
    for offer_id in ids:
        offer = db.session.get(RescheduleOffer, offer_id)
        if offer is None or offer.status != OFFERED or offer.expires_at > now:
            db.session.rollback()
            continue
        offer.status = LAPSED
        offer.updated_at = now
        try:
            flush()
        except BookingRefused:
            continue  # taken or released meanwhile (rolled back)
        capacity.give_back(offer.slot_id, offer.seats)
        audit.record(None, "reschedule.lapse", offer, slot_id=offer.slot_id, seats=offer.seats)
        waitlist.offer_freed_seats(offer.slot, now)
        commit()
        lapsed.append(offer)
    return lapsed
