"""Booking rules, each refusal with its code; the lifecycle around the held seats."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from koin_media.audit import AuditEvent
from koin_media.booking import codes
from koin_media.booking.models import (
    ACCEPTED,
    CANCELLED,
    CHECKED_IN,
    COMPLETED,
    CONFIRMED,
    EXPIRED,
    LAPSED,
    NO_SHOW,
    OFFERED,
    PENDING,
    REJECTED,
    WAITING,
    Booking,
    Slot,
)
from koin_media.booking.problems import BookingRefused
from koin_media.booking.schedule import close_for, generate_slots
from koin_media.booking.services import (
    book_slot,
    booking_by_code,
    cancel,
    confirm,
    expire_pending,
    move,
    reject,
)
from koin_media.booking.visits import check_in, complete, mark_no_show
from koin_media.booking.waitlist import accept_offer, join_waitlist, lapse_offers
from koin_media.database import utcnow, write_intent
from koin_media.extensions import db

from .booking_helpers import (
    group_request,
    make_program,
    make_slot,
    make_venue,
    school_user,
    school_users,
    seats_accounted,
)


@pytest.fixture
def writing(app):
    """Services run where the app writes: SQLite takes its write lock up front."""
    with write_intent():
        yield app


@pytest.fixture
def slot(writing):
    return make_slot(capacity=100)


@pytest.fixture
def school(writing):
    return school_user()


@pytest.fixture
def manager(writing, factory, slot):
    user = factory.user("venue_manager")
    slot.program.venue.managers.append(user)
    db.session.commit()
    return user


def refused(call, *args, **kwargs) -> BookingRefused:
    with pytest.raises(BookingRefused) as caught:
        call(*args, **kwargs)
    return caught.value


def _bookings() -> int:
    return db.session.scalar(select(func.count()).select_from(Booking))


# -- requests ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"students": 9}, "group_too_small"),
        ({"students": 41, "teachers": 3}, "group_too_large"),
        ({"students": 31, "teachers": 2}, "too_few_teachers"),
        ({"level": "SD"}, "level_not_offered"),
        ({"level": "TK"}, "level_not_offered"),
        ({"contact_phone": "12345"}, "bad_phone"),
        ({"contact_phone": "+1 415 555 0100"}, "bad_phone"),
        ({"contact_name": "  "}, "contact_missing"),
        ({"consent": False}, "consent_missing"),
        ({"consent": "yes"}, "consent_missing"),
    ],
)
def test_request_rules(slot, school, overrides, code):
    refusal = refused(book_slot, school, slot.id, group_request(**overrides))
    assert refusal.code == code
    assert refusal.message and "%(" not in refusal.message
    assert seats_accounted(slot.id) == (0, 0) and _bookings() == 0


def _closed(slot):
    slot.is_open = False


def _past(slot):
    slot.starts_at = utcnow() - timedelta(hours=1)
    slot.ends_at = utcnow() + timedelta(hours=1)


def _inactive(slot):
    slot.program.active = False


@pytest.mark.parametrize(
    ("change", "code"), [(_closed, "slot_closed"), (_past, "slot_past"), (_inactive, "slot_closed")]
)
def test_slot_rules(slot, school, change, code):
    change(slot)
    db.session.commit()
    assert refused(book_slot, school, slot.id, group_request()).code == code
    assert seats_accounted(slot.id) == (0, 0)


@pytest.mark.parametrize(
    ("who", "code"), [("unverified", "school_unverified"), ("ikm", "not_a_school"), ("nobody", "not_a_school")]
)
def test_school_rules(slot, factory, who, code):
    user = {"unverified": lambda: school_user(verified=False), "ikm": lambda: factory.user("ikm")}.get(
        who, lambda: None
    )()
    assert refused(book_slot, user, slot.id, group_request()).code == code


def test_unknown_slot(writing, school):
    assert refused(book_slot, school, 987654, group_request()).code == "slot_not_found"


def test_a_request_holds_its_seats_and_gets_a_code(slot, school):
    booking = book_slot(school, slot.id, group_request())
    assert booking.status == PENDING and booking.headcount == 32
    assert booking.contact_phone == "+6281234567890"
    assert codes.normalise(booking.code) == booking.code
    assert booking_by_code(codes.display(booking.code).lower()) == booking
    assert booking.expires_at == min(booking.created_at + timedelta(hours=72), slot.starts_at)
    assert seats_accounted(slot.id) == (32, 32)
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.subject_id == booking.id)) == "booking.request"


def test_duplicate_request(slot, school):
    book_slot(school, slot.id, group_request())
    assert refused(book_slot, school, slot.id, group_request()).code == "duplicate_request"
    assert seats_accounted(slot.id) == (32, 32)


def test_too_many_pending(writing, school):
    program = make_program()
    slots = [make_slot(program, starts_in=timedelta(days=7 + n)) for n in range(4)]
    for slot in slots[:3]:
        book_slot(school, slot.id, group_request())
    refusal = refused(book_slot, school, slots[3].id, group_request())
    assert refusal.code == "too_many_pending" and refusal.message_params == {"maximum": 3}


def test_slot_full_is_a_conflict(writing, school):
    slot = make_slot(capacity=20)
    refusal = refused(book_slot, school, slot.id, group_request(students=16, teachers=5))
    assert refusal.code == "slot_full" and refusal.is_conflict
    assert seats_accounted(slot.id) == (0, 0)


# -- decisions --------------------------------------------------------------------------------


def test_only_managers_of_the_venue_and_staff_decide(slot, school, manager, factory):
    other_venue_manager = factory.user("venue_manager")
    other_venue = make_venue("meninting-bike-park", "Meninting Bike Park")
    other_venue.managers.append(other_venue_manager)
    db.session.commit()
    booking = book_slot(school, slot.id, group_request())
    venue = slot.program.venue
    assert venue.can_manage(manager) and venue.can_manage(factory.user("staff"))
    assert not venue.can_manage(other_venue_manager) and not venue.can_manage(school)
    assert refused(confirm, booking, other_venue_manager).code == "not_allowed"
    assert refused(confirm, booking, school).code == "not_allowed"
    confirm(booking, manager)
    assert booking.status == CONFIRMED and booking.decided_by_id == manager.id and booking.expires_at is None
    assert seats_accounted(slot.id) == (32, 32)


def test_reject_needs_a_reason_and_gives_the_seats_back(slot, school, manager):
    booking = book_slot(school, slot.id, group_request())
    assert refused(reject, booking, manager, " ").code == "reason_required"
    reject(booking, manager, "Lintasan sedang diperbaiki")
    assert booking.status == REJECTED and booking.decision_reason == "Lintasan sedang diperbaiki"
    assert seats_accounted(slot.id) == (0, 0)
    assert refused(confirm, booking, manager).code == "wrong_status"


def test_expiry_gives_the_seats_back(slot, school, manager):
    booking = book_slot(school, slot.id, group_request())
    assert expire_pending(utcnow() + timedelta(hours=71)) == []
    later = utcnow() + timedelta(hours=73)
    assert refused(confirm, booking, manager, now=later).code == "request_expired"
    assert [b.id for b in expire_pending(later)] == [booking.id]
    assert booking.status == EXPIRED
    assert seats_accounted(slot.id) == (0, 0)
    assert expire_pending(later) == []  # idempotent


def test_a_decision_on_a_stale_booking_loses(slot, school, manager):
    booking = book_slot(school, slot.id, group_request())
    booking_id = booking.id
    db.session.execute(db.text("UPDATE bookings SET version = version + 1 WHERE id = :id"), {"id": booking_id})
    # The ORM still believes the version it read: its write must fail, not overwrite.
    assert refused(confirm, booking, manager).code == "status_changed"
    db.session.rollback()
    assert db.session.get(Booking, booking_id).status == PENDING


# -- cancel and move --------------------------------------------------------------------------


@pytest.mark.parametrize(("hours_before", "allowed"), [(49, True), (48, True), (47, False), (1, False)])
def test_schools_cancel_until_the_window(slot, school, hours_before, allowed):
    booking = book_slot(school, slot.id, group_request())
    now = slot.starts_at - timedelta(hours=hours_before)
    if allowed:
        cancel(booking, school, now=now)
        assert booking.status == CANCELLED and seats_accounted(slot.id) == (0, 0)
    else:
        refusal = refused(cancel, booking, school, now=now)
        assert refusal.code == "cancel_window_passed" and refusal.message_params == {"hours": 48}
        assert seats_accounted(slot.id) == (32, 32)


def test_staff_cancel_any_time_with_a_reason(slot, school, factory):
    staff = factory.user("staff")
    booking = book_slot(school, slot.id, group_request())
    confirm(booking, staff)
    late = slot.starts_at - timedelta(hours=2)
    assert refused(cancel, booking, staff, now=late).code == "reason_required"
    cancel(booking, staff, "Cuaca buruk", now=late)
    assert booking.status == CANCELLED and booking.cancelled_reason == "Cuaca buruk"
    assert seats_accounted(slot.id) == (0, 0)


def test_another_school_cannot_cancel(slot, school):
    booking = book_slot(school, slot.id, group_request())
    assert refused(cancel, booking, school_user(start=901)).code == "not_allowed"


def test_move_is_atomic(slot, school, manager):
    full = make_slot(slot.program, starts_in=timedelta(days=8), capacity=40)
    free = make_slot(slot.program, starts_in=timedelta(days=9), capacity=40)
    blocker = school_user(start=902)
    book_slot(blocker, full.id, group_request(students=20))
    booking = book_slot(school, slot.id, group_request())

    assert refused(move, booking, full, manager).code == "slot_full"
    assert booking.slot_id == slot.id
    assert seats_accounted(slot.id) == (32, 32) and seats_accounted(full.id) == (22, 22)

    move(booking, free, manager)
    assert booking.slot_id == free.id
    assert seats_accounted(slot.id) == (0, 0) and seats_accounted(free.id) == (32, 32)


def test_move_keeps_to_the_venue(slot, school, manager):
    elsewhere = make_slot(make_program(make_venue("meninting-bike-park", "Meninting Bike Park")))
    booking = book_slot(school, slot.id, group_request())
    assert refused(move, booking, elsewhere, manager).code == "other_venue"


# -- the visit --------------------------------------------------------------------------------


def test_check_in_then_complete(slot, school, manager):
    booking = book_slot(school, slot.id, group_request())
    confirm(booking, manager)
    assert refused(check_in, booking, manager, 30, 2, now=slot.starts_at - timedelta(hours=3)).code == (
        "check_in_not_open"
    )
    assert refused(check_in, booking, manager, 31, 2, now=slot.starts_at).code == "attendance_invalid"
    check_in(booking, manager, 28, 2, now=slot.starts_at)
    assert booking.status == CHECKED_IN and (booking.attended_students, booking.attended_teachers) == (28, 2)
    complete(booking, manager, now=slot.ends_at)
    assert booking.status == COMPLETED and seats_accounted(slot.id) == (0, 0)


def test_no_show_only_after_the_slot_ends(slot, school, manager):
    booking = book_slot(school, slot.id, group_request())
    confirm(booking, manager)
    assert refused(mark_no_show, booking, manager, now=slot.starts_at).code == "slot_not_ended"
    mark_no_show(booking, manager, now=slot.ends_at)
    assert booking.status == NO_SHOW and seats_accounted(slot.id) == (0, 0)


# -- waitlist ---------------------------------------------------------------------------------


def test_waitlist_offer_after_a_cancellation(writing):
    slot = make_slot(capacity=40)
    first, waiting, too_big = school_users(3, start=910)
    booking = book_slot(first, slot.id, group_request())  # 32 of 40
    big = join_waitlist(too_big, slot.id, group_request(students=36, teachers=3))
    entry = join_waitlist(waiting, slot.id, group_request(students=20, teachers=2))
    assert (big.status, entry.status) == (WAITING, WAITING)
    assert refused(join_waitlist, waiting, slot.id, group_request()).code == "duplicate_request"

    cancel(booking, first)
    # First come, first served among those that fit: the 39 go first, then 22 no longer fit.
    assert big.status == OFFERED and entry.status == WAITING
    assert seats_accounted(slot.id) == (39, 39)

    lapse_offers(big.offered_until + timedelta(seconds=1))
    assert big.status == LAPSED and entry.status == OFFERED
    assert seats_accounted(slot.id) == (22, 22)
    assert refused(book_slot, waiting, slot.id, group_request(students=20, teachers=2)).code == "duplicate_request"

    new_booking = accept_offer(entry, waiting)
    assert entry.status == ACCEPTED and entry.booking_id == new_booking.id
    assert new_booking.status == PENDING and new_booking.headcount == 22
    assert seats_accounted(slot.id) == (22, 22)


def test_an_offer_cannot_be_accepted_after_it_lapses(writing):
    slot = make_slot(capacity=40)
    first, waiting = school_users(2, start=920)
    booking = book_slot(first, slot.id, group_request())
    entry = join_waitlist(waiting, slot.id, group_request(students=20, teachers=2))
    cancel(booking, first)
    assert entry.status == OFFERED
    assert refused(accept_offer, entry, waiting, now=entry.offered_until).code == "offer_lapsed"
    assert refused(accept_offer, entry, first).code == "not_allowed"


# -- closures and slot generation -------------------------------------------------------------


def test_a_closure_closes_overlapping_slots_and_returns_their_bookings(slot, school, manager):
    venue = slot.program.venue
    after = make_slot(slot.program, starts_in=timedelta(days=12))
    booking = book_slot(school, slot.id, group_request())
    cancelled = book_slot(school_user(start=930), slot.id, group_request())
    cancel(cancelled, manager, "Rombongan batal")

    affected = close_for(venue, slot.starts_at - timedelta(days=1), slot.ends_at + timedelta(days=1), "MotoGP")
    assert [b.id for b in affected] == [booking.id]
    assert not db.session.get(Slot, slot.id).is_open and db.session.get(Slot, after.id).is_open
    assert refused(book_slot, school_user(start=931), slot.id, group_request()).code == "slot_closed"
    assert seats_accounted(slot.id) == (32, 32)  # the booking stays until staff move or cancel it


def test_slots_from_a_weekly_pattern_in_wita(writing):
    program = make_program()
    today = utcnow().date()
    monday = today + timedelta(days=7 - today.weekday())
    make_args = (program, [0, 2], time(8, 0), time(10, 0), monday, monday + timedelta(days=13), 60)
    created = generate_slots(*make_args)
    assert len(created) == 4
    first = min(created, key=lambda s: s.starts_at)
    assert first.starts_at == datetime.combine(monday, time(0, 0), tzinfo=UTC)  # 08:00 WITA
    assert first.ends_at == datetime.combine(monday, time(2, 0), tzinfo=UTC)
    assert {s.starts_at.weekday() for s in created} == {0, 2} and {s.capacity for s in created} == {60}
    assert generate_slots(*make_args) == []  # idempotent


def test_slot_generation_skips_closures_and_the_past(writing):
    program = make_program()
    today = utcnow().date()
    monday = today + timedelta(days=7 - today.weekday())
    close_for(
        program.venue,
        datetime.combine(monday, time(0, 0), tzinfo=UTC) - timedelta(hours=8),
        datetime.combine(monday, time(0, 0), tzinfo=UTC) + timedelta(hours=16),
        "Balap",
    )
    created = generate_slots(program, range(7), time(8, 0), time(10, 0), today - timedelta(days=3), monday, 30)
    starts = {s.starts_at.date() for s in created}
    assert monday not in starts and all(day > today - timedelta(days=1) for day in starts)
    with pytest.raises(ValueError):
        generate_slots(program, [0], time(10, 0), time(8, 0), monday, monday, 30)


def test_the_periodic_job_expires_and_completes(slot, school, manager):
    from koin_media.booking.jobs import booking_housekeeping

    stale = book_slot(school, slot.id, group_request())
    stale.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert booking_housekeeping.call_local() == {"expired": 1, "lapsed": 0, "completed": 0}
    assert stale.status == EXPIRED and seats_accounted(slot.id) == (0, 0)
