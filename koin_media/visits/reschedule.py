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

Locks. Slot rows are taken in id order, as ``services.move`` takes them, so that two changes
never each hold a row the other waits for. ``take`` and ``cancel_visit`` lock the booking (its
version: of two clicks at once, one moves and the other is refused), then the closed session
and every live alternative at once, by id, before any seat moves. The closure cannot: it
holds the sessions it closed before it looks for alternatives, so ``offer_alternatives``
chooses them first, holds them by id, and never waits for one: a session another transaction
is changing at that moment (a booking, a move, a second closure at the venue) is passed over
like a full one and the next nearest tried. Not yet in that order: the venue moving or
cancelling a hit booking (``services``) locks its own sessions first and releases the
alternatives after them (``on_booking_changed``); a collision there is a PostgreSQL deadlock
that rolls one side back. The lapse job locks an offer's session before writing the offer, the
order ``take`` uses, and the closure locks the sessions it closes by id before closing them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload, selectinload

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
from ..booking.transaction import end_each_due, flush, lock, require_action
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


def lead_hours() -> int:
    """A school needs this long between its answer and the session (a bus, the parents' letters):
    no alternative starts sooner, and a hold ends this long before its session starts."""
    return int(current_app.config["RESCHEDULE_LEAD_HOURS"])


# -- lookups ----------------------------------------------------------------------------------


def open_reschedule(booking_id: int) -> Reschedule | None:
    return db.session.scalar(select(Reschedule).where(Reschedule.booking_id == booking_id, Reschedule.status == OPEN))


def latest_reschedule(booking_id: int) -> Reschedule | None:
    """The booking's most recent reschedule, answered or not (the school's page shows it)."""
    return db.session.scalar(
        select(Reschedule).where(Reschedule.booking_id == booking_id).order_by(Reschedule.id.desc()).limit(1)
    )


def get_offer(booking: Booking, offer_id: int) -> RescheduleOffer | None:
    """An alternative of ``booking`` (which the caller loaded with ``services.get_booking``);
    None for any other offer id, which the routes answer with a 404 like a missing one, so one
    school cannot probe another's."""
    offer = db.session.get(RescheduleOffer, offer_id)
    if offer is None or offer.reschedule.booking_id != booking.id:
        return None
    return offer


def closure_reschedules(closure: Closure) -> list[Reschedule]:
    """Every booking the closure hit, its session's start first, then by booking; with what the
    venue's page shows of each row loaded up front (a closure may hit dozens of bookings)."""
    return db.session.scalars(
        select(Reschedule)
        .join(Slot, Reschedule.from_slot_id == Slot.id)
        .where(Reschedule.closure_id == closure.id)
        .order_by(Slot.starts_at, Reschedule.booking_id)
        .options(
            contains_eager(Reschedule.from_slot),
            joinedload(Reschedule.to_slot),
            joinedload(Reschedule.answered_by),
            selectinload(Reschedule.offers),
        )
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
    the same program, open, starting more than ``lead_hours`` from now, outside every closure of
    the venue, with room for the whole group, where the school has no live booking, no
    alternative held and no place on the waitlist. None when the group no longer fits the
    program's rules (its levels, its sizes)."""
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
        Slot.starts_at > now + timedelta(hours=lead_hours()),
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


def _hold_alternatives(candidates: list[Slot], seats: int) -> list[Slot]:
    """Hold ``seats`` in up to three of ``candidates`` (nearest first), returned nearest first.

    Chosen first, then held in slot id order, the order every other change of seats takes
    them in (``services.move``); in rounds, as a session may have filled up since it was read.
    The closure holds the rows of the sessions it closed already, and those are not in that
    order with the candidates, so it never waits for a candidate: one another transaction is
    changing right now (a booking, a move, another closure of this venue) is passed over like a
    full one (``SKIP LOCKED``; SQLite has one writer at a time and nothing to wait for)."""
    held = set()
    remaining = list(candidates)
    while remaining and len(held) < MAX_ALTERNATIVES:
        chosen, remaining = remaining[: MAX_ALTERNATIVES - len(held)], remaining[MAX_ALTERNATIVES - len(held) :]
        free = db.session.scalars(
            select(Slot.id)
            .where(Slot.id.in_([slot.id for slot in chosen]))
            .order_by(Slot.id)
            .with_for_update(skip_locked=True)
        ).all()
        held.update(slot_id for slot_id in free if capacity.hold(slot_id, seats))
    return [slot for slot in candidates if slot.id in held]


def offer_alternatives(booking: Booking, closure: Closure, actor=None, now: datetime | None = None):
    """Record that ``closure`` hit ``booking`` and hold up to three alternatives for its school.

    Runs inside the closure's transaction (the caller commits). A booking that already has an
    open reschedule (a second closure over the same session) keeps it and gets nothing new.
    Only a booking that may still move gets one (pending, confirmed): a group checked in
    already is at the venue, and alternatives held for it could never be taken.
    Returns the reschedule, or None when there was one already or the booking cannot move."""
    now = now or utcnow()
    if booking.status not in BOOKING_ACTION_STATUSES[MOVE]:
        return None
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
    until = now + timedelta(hours=hold_hours())
    lead = timedelta(hours=lead_hours())
    offers = [
        RescheduleOffer(
            reschedule=reschedule,
            slot_id=slot.id,
            position=position,
            seats=booking.headcount,
            status=OFFERED,
            expires_at=min(until, slot.starts_at - lead),
            created_at=now,
            updated_at=now,
        )
        for position, slot in enumerate(_hold_alternatives(candidate_slots(booking, now), booking.headcount), 1)
    ]
    db.session.add_all(offers)
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


def _lock(booking: Booking, reschedule: Reschedule) -> None:
    """The booking, then the rows of its (closed) session and of its live alternatives, in slot
    id order: see the module's note on lock order."""
    lock(booking)
    slot_ids = {booking.slot_id, *(offer.slot_id for offer in reschedule.live_offers)}
    db.session.execute(select(Slot.id).where(Slot.id.in_(slot_ids)).order_by(Slot.id).with_for_update())


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
    _lock(booking, reschedule)
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
    _lock(booking, reschedule)
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

    def lapse(offer: RescheduleOffer) -> None:
        # The session's row before the offer's, the order a tap (take) takes them in, so the
        # two queue rather than deadlock when a tap comes at the moment of expiry.
        db.session.execute(select(Slot.id).where(Slot.id == offer.slot_id).with_for_update())
        offer.status = LAPSED
        offer.updated_at = now
        flush()  # its version: a click may have taken or released it meanwhile
        capacity.give_back(offer.slot_id, offer.seats)
        audit.record(None, "reschedule.lapse", offer, slot_id=offer.slot_id, seats=offer.seats)
        waitlist.offer_freed_seats(offer.slot, now)

    return end_each_due(
        RescheduleOffer,
        select(RescheduleOffer.id)
        .where(RescheduleOffer.status == OFFERED, RescheduleOffer.expires_at <= now)
        .order_by(RescheduleOffer.id),
        lambda offer: offer.status == OFFERED and offer.expires_at <= now,
        lapse,
    )
