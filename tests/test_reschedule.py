"""Reschedule after a closure (visits/reschedule.py): which sessions are offered and held, the
hold that lapses, the one-tap move with exact seats, the race of two taps, cancelling, the
venue's page per closure, the school's page and API, and the mails."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from flask_babel import force_locale, format_datetime
from sqlalchemy import event, func, select

from koin_media.accounts.models import User
from koin_media.booking import schedule, services, visits, waitlist
from koin_media.booking.models import CANCELLED, CHECKED_IN, CONFIRMED, PENDING, Booking, Closure, Slot
from koin_media.booking.problems import BookingRefused
from koin_media.database import utcnow, write_intent
from koin_media.extensions import db
from koin_media.i18n import wita_datetime
from koin_media.notifications.models import OutboxMessage
from koin_media.venues.models import Venue
from koin_media.visits import reschedule
from koin_media.visits.reschedule_models import Reschedule, RescheduleOffer

from .booking_helpers import (
    group_request,
    make_program,
    make_slot,
    make_venue,
    school_user,
    school_users,
    seats_accounted,
)
from .conftest import csrf_token
from .query_count import statements_of

GROUP = {"students": 30, "teachers": 2}  # 32 seats
SEATS = 32


class Scene:
    """A venue with a program, the visit's session in 10 days and sessions around it; a
    confirmed booking of a school in it; the venue's manager and office staff."""

    def __init__(self, factory):
        self.venue = make_venue()
        self.program = make_program(self.venue)
        self.slot = self.at(10)
        self.teacher = school_user(start=800)
        self.manager = factory.user("venue_manager")
        self.venue.managers.append(self.manager)
        self.staff = factory.user("staff")
        db.session.commit()
        self.booking = services.book_slot(self.teacher, self.slot.id, group_request(**GROUP))
        services.confirm(self.booking, self.staff)

    def at(self, days: float, program=None, capacity=100) -> Slot:
        return make_slot(program or self.program, starts_in=timedelta(days=days), capacity=capacity)

    def close(self, slot: Slot | None = None, reason: str = "MotoGP Mandalika") -> list[Booking]:
        slot = slot or self.slot
        return schedule.close_for(
            self.venue, slot.starts_at - timedelta(hours=1), slot.ends_at + timedelta(hours=1), reason, self.staff
        )


@pytest.fixture
def scene(app, factory):
    """Built where the app writes (SQLite's write lock up front); the test then reads deferred,
    so the pages it requests can write beside it."""
    with write_intent():
        return Scene(factory)


def held(slot_id: int) -> int:
    db.session.rollback()
    return db.session.scalar(select(Slot.held).where(Slot.id == slot_id))


def seats_add_up(slot_id: int) -> bool:
    """``held`` as stored equals the live bookings, waitlist offers and alternatives held."""
    stored, counted = seats_accounted(slot_id)
    offered = db.session.scalar(
        select(func.coalesce(func.sum(RescheduleOffer.seats), 0)).where(
            RescheduleOffer.slot_id == slot_id, RescheduleOffer.status == "offered"
        )
    )
    db.session.rollback()
    return stored == counted + offered


def the_reschedule(booking: Booking) -> Reschedule:
    db.session.rollback()  # a fresh read: pages and threads wrote meanwhile
    return db.session.scalar(select(Reschedule).where(Reschedule.booking_id == booking.id))


# -- which sessions are offered ---------------------------------------------------------------


def test_three_nearest_sessions_that_fit_are_held_for_the_school(scene):
    near_after, near_before, further, furthest = scene.at(11), scene.at(8.5), scene.at(13), scene.at(20)
    too_small = scene.at(10.5, capacity=SEATS - 1)  # nearest of all, but the group does not fit
    exactly = scene.at(12.5, capacity=SEATS)  # just fits
    closed_too = scene.at(10.05)  # inside the same closure: closed with the visit's session
    other_program = scene.at(10.3, program=make_program(scene.venue, title="Kelas Fotografi"))
    own_booking = scene.at(9.5)
    services.book_slot(scene.teacher, own_booking.id, group_request(**GROUP))  # the school is there already

    before = utcnow()
    scene.close(reason="MotoGP Mandalika")
    found = the_reschedule(scene.booking)

    assert found.status == "open" and found.from_slot_id == scene.slot.id
    assert [o.slot_id for o in found.offers] == [near_after.id, near_before.id, exactly.id]
    assert [o.position for o in found.offers] == [1, 2, 3]
    assert all(o.status == "offered" and o.seats == SEATS for o in found.offers)
    # each held for the school for a day (KOIN_RESCHEDULE_HOLD_HOURS)
    assert all(
        timedelta(hours=23, minutes=59) < o.expires_at - before <= timedelta(hours=24, minutes=1) for o in found.offers
    )
    for slot in (near_after, near_before, exactly):
        assert held(slot.id) == SEATS and seats_add_up(slot.id)
    for slot in (further, furthest, too_small, other_program):
        assert held(slot.id) == 0
    assert held(closed_too.id) == 0 and not db.session.get(Slot, closed_too.id).is_open
    assert held(scene.slot.id) == SEATS  # the booking keeps its old seats until it moves
    assert db.session.get(Booking, scene.booking.id).status == CONFIRMED


def test_no_session_is_offered_to_a_group_the_program_no_longer_takes(scene):
    scene.at(11)
    scene.program.levels = "SMA,SMK"  # the booking is SMP
    db.session.commit()
    scene.close()
    found = the_reschedule(scene.booking)
    assert found.offers == [] and found.answer(utcnow()) == "none"


def test_sessions_in_another_closure_and_full_ones_are_not_offered(scene):
    other_closed = scene.at(12)
    full = scene.at(11, capacity=40)
    services.book_slot(school_user(start=801), full.id, group_request(students=20, teachers=2))  # 18 left
    schedule.close_for(scene.venue, other_closed.starts_at, other_closed.ends_at, "Perawatan lintasan", scene.staff)
    db.session.get(Slot, other_closed.id).is_open = True  # reopened by hand: still in a closure
    db.session.commit()
    scene.close()
    assert the_reschedule(scene.booking).offers == []


def test_pending_and_confirmed_bookings_each_get_their_own_alternatives(scene):
    other = school_user(start=802)
    pending = services.book_slot(other, scene.slot.id, group_request(**GROUP))
    spare = scene.at(11, capacity=70)  # room for both groups (64)
    affected = scene.close()
    assert {b.id for b in affected} == {scene.booking.id, pending.id}
    assert db.session.get(Booking, pending.id).status == PENDING
    assert [o.slot_id for o in the_reschedule(pending).offers] == [spare.id]
    assert [o.slot_id for o in the_reschedule(scene.booking).offers] == [spare.id]
    assert held(spare.id) == 2 * SEATS


def test_a_second_closure_over_the_same_session_offers_nothing_more(scene):
    scene.at(11)
    scene.close()
    scene.close(reason="Perpanjangan penutupan")
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Reschedule)) == 1
    assert db.session.scalar(select(func.count()).select_from(RescheduleOffer)) == 1


def test_no_session_starting_within_the_lead_time_is_offered(scene):
    """A school needs time to get there (KOIN_RESCHEDULE_LEAD_HOURS, 24): a session starting in
    7 minutes or 20 hours is not offered; one in 30 hours is, held until 24 hours before it."""
    in_minutes = make_slot(scene.program, starts_in=timedelta(minutes=7))
    tomorrow_early = scene.at(20 / 24)
    day_after = scene.at(30 / 24)
    scene.close()
    found = the_reschedule(scene.booking)
    assert [o.slot_id for o in found.offers] == [day_after.id]
    assert found.offers[0].expires_at == day_after.starts_at - timedelta(hours=24)
    assert held(in_minutes.id) == 0 and held(tomorrow_early.id) == 0


def test_a_checked_in_group_gets_no_alternatives_and_is_not_counted_as_waiting(scene, client, auth):
    """A closure on the day of a visit: the group checked in already is at the venue; only the
    pending and confirmed bookings of the session get alternatives."""
    today = scene.at(1 / 24)  # check-in is open (from 2 hours before)
    there, coming = school_users(2, start=840)
    arrived = services.book_slot(there, today.id, group_request(**GROUP))
    services.confirm(arrived, scene.staff)
    visits.check_in(arrived, scene.manager, 30, 2)
    still_coming = services.book_slot(coming, today.id, group_request(**GROUP))
    spare = scene.at(3)
    scene.close(today)
    assert the_reschedule(arrived) is None
    assert [o.slot_id for o in the_reschedule(still_coming).offers] == [spare.id, scene.slot.id]
    assert held(spare.id) == SEATS and seats_add_up(spare.id)  # the checked-in group holds none
    assert db.session.get(Booking, arrived.id).status == CHECKED_IN

    auth.login(scene.manager)
    page = client.get(f"/venues/sirkuit-mandalika/closures/{the_reschedule(still_coming).closure_id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<dd data-answer="waiting">1</dd>' in text and f'id="reschedule-{the_reschedule(still_coming).id}"' in text
    assert text.count('<tr id="reschedule-') == 1


def _held_slot_ids(action) -> list[int]:
    """The slots ``action`` held seats in (``capacity.hold``'s UPDATE), in the order it did."""
    held_ids = []

    def record(_conn, _cursor, statement, _parameters, context, _executemany):
        if statement.startswith("UPDATE slots SET held=(slots.held +"):
            params = context.compiled_parameters[0]
            held_ids.append(next(value for key, value in params.items() if key.startswith("id_")))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return held_ids


def test_alternatives_are_held_in_slot_id_order_and_shown_nearest_first(scene):
    # made furthest first, so the nearest has the highest id: the two orders differ
    furthest, middle, nearest = scene.at(13), scene.at(12), scene.at(11)
    assert furthest.id < middle.id < nearest.id
    assert _held_slot_ids(scene.close) == [furthest.id, middle.id, nearest.id]
    found = the_reschedule(scene.booking)
    assert [(o.position, o.slot_id) for o in found.offers] == [(1, nearest.id), (2, middle.id), (3, furthest.id)]


def test_taking_locks_the_closed_session_and_every_alternative_up_front_in_slot_id_order(scene):
    """``services.move`` takes slot rows in id order; so does ``take``, before any seat moves, so
    that a school's tap and the venue moving another booking out of the closed session cannot
    each hold a row the other waits for."""
    scene.at(13), scene.at(11)
    scene.close()
    found = the_reschedule(scene.booking)
    locks = []

    def record(_conn, _cursor, statement, _parameters, context, _executemany):
        if statement.startswith("SELECT slots.id \nFROM slots"):  # FOR UPDATE on PostgreSQL
            locks.append((statement, context.compiled_parameters[0]))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        reschedule.take(scene.booking, found.offers[0], scene.teacher)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    statement, params = locks[0]
    locked = {value for values in params.values() for value in (values if isinstance(values, list) else [values])}
    assert locked == {scene.slot.id, *(offer.slot_id for offer in found.offers)}
    assert "ORDER BY slots.id" in statement
    assert "FOR UPDATE" in statement or db.engine.dialect.name == "sqlite"  # one writer at a time there


def _close_in_thread(app, barrier, venue_id, slot_id, user_id):
    with app.app_context():
        try:
            venue = db.session.get(Venue, venue_id)
            slot = db.session.get(Slot, slot_id)
            staff = db.session.get(User, user_id)
            window = slot.starts_at - timedelta(hours=1), slot.ends_at + timedelta(hours=1)
            db.session.commit()
            barrier.wait(timeout=30)
            with write_intent():
                schedule.close_for(venue, *window, "Banjir", staff)
            return "ok"
        except Exception as exc:  # reported by the test
            return exc
        finally:
            db.session.remove()


def test_two_closures_at_once_at_one_venue_both_go_through(make_app, factory):
    """Each closure locks its own session first, then looks for alternatives, the other's session
    among them: neither may wait for the other (on PostgreSQL that was a deadlock, a 500)."""
    app = make_app()
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite lets one writer at a time: two closures cannot overlap")
        with write_intent():
            scene = Scene(factory)  # its booking is in the first closed session
            other_closed, spare = scene.at(11), scene.at(14)
            other = services.book_slot(school_user(start=840), other_closed.id, group_request(**GROUP))
            ids = scene.venue.id, scene.staff.id
            closed_ids = scene.slot.id, other_closed.id
            booking_ids, spare_id = (scene.booking.id, other.id), spare.id
            db.session.commit()
    # Both closing UPDATEs done before either looks for alternatives: the interleaving that
    # made each wait for the session the other had just closed.
    closed_both = threading.Barrier(2)

    def after_closing(_conn, _cursor, statement, *_args):
        if statement.startswith("UPDATE slots SET is_open"):
            closed_both.wait(timeout=30)

    start = threading.Barrier(2)
    with app.app_context():
        event.listen(db.engine, "after_cursor_execute", after_closing)
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            results = list(pool.map(lambda slot_id: _close_in_thread(app, start, ids[0], slot_id, ids[1]), closed_ids))
    finally:
        with app.app_context():
            event.remove(db.engine, "after_cursor_execute", after_closing)
    assert results == ["ok", "ok"], results
    with app.app_context():
        for booking_id in booking_ids:
            found = the_reschedule(db.session.get(Booking, booking_id))
            assert found.status == "open"
            assert {o.slot_id for o in found.offers} <= {spare_id}  # never the other's closed session
        for slot_id in (*closed_ids, spare_id):
            assert seats_add_up(slot_id)


# -- the hold lapses --------------------------------------------------------------------------


def test_a_lapsed_hold_gives_the_seats_back_and_offers_them_to_the_waitlist(scene):
    alternative = scene.at(11, capacity=64)
    services.book_slot(school_user(start=803), alternative.id, group_request(**GROUP))
    scene.close()
    assert held(alternative.id) == 64  # the other school's 32 and the 32 held for ours
    waiting_user = school_user(start=804)
    entry = waitlist.join_waitlist(waiting_user, alternative.id, group_request(students=20, teachers=2))
    assert entry.status == "waiting"

    assert reschedule.lapse_offers(utcnow() + timedelta(hours=23)) == []  # not yet
    lapsed = reschedule.lapse_offers(utcnow() + timedelta(hours=25))
    assert [o.slot_id for o in lapsed] == [alternative.id]
    db.session.expire_all()
    assert db.session.get(RescheduleOffer, lapsed[0].id).status == "lapsed"
    assert db.session.get(type(entry), entry.id).status == "offered"  # the waitlist got the seats
    assert held(alternative.id) == 32 + 22 and seats_add_up(alternative.id)
    found = the_reschedule(scene.booking)
    assert found.status == "open" and found.answer(utcnow()) == "lapsed"
    with pytest.raises(BookingRefused) as refused:
        reschedule.take(scene.booking, found.offers[0], scene.teacher)
    assert refused.value.code == "alternative_lapsed"


def test_the_periodic_job_lapses_holds(scene):
    from koin_media.visits.reschedule_jobs import lapse_reschedule_offers

    alternative = scene.at(11)
    scene.close()
    offer = the_reschedule(scene.booking).offers[0]
    offer.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert lapse_reschedule_offers.call_local() == {"lapsed": 1}
    assert held(alternative.id) == 0


# -- taking one -------------------------------------------------------------------------------


def test_taking_an_alternative_moves_the_booking_with_exact_seats_and_frees_the_rest(scene):
    first, second, third = scene.at(11), scene.at(8.5), scene.at(12, capacity=80)
    scene.close()
    found = the_reschedule(scene.booking)
    waiting_user = school_user(start=805)
    # the third session fills up; a school waits for it
    services.book_slot(school_user(start=806), third.id, group_request(students=38, teachers=3))  # 41 + 32 of 80
    entry = waitlist.join_waitlist(waiting_user, third.id, group_request(students=20, teachers=2))
    assert entry.status == "waiting"

    booking = reschedule.take(scene.booking, found.offers[1], scene.teacher)

    db.session.expire_all()
    booking = db.session.get(Booking, booking.id)
    assert booking.slot_id == second.id and booking.status == CONFIRMED
    assert held(second.id) == SEATS  # the held seats became the booking's, not twice
    assert held(scene.slot.id) == 0  # the closed session's seats went back
    assert held(first.id) == 0
    assert held(third.id) == 41 + 22  # released at once and offered to the waiting school
    assert db.session.get(type(entry), entry.id).status == "offered"
    for slot in (first, second, third, scene.slot):
        assert seats_add_up(slot.id)
    found = the_reschedule(booking)
    assert found.status == "moved" and found.to_slot_id == second.id and found.answered_by_id == scene.teacher.id
    assert [o.status for o in found.offers] == ["released", "taken", "released"]
    moved_mail = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "moved")).all()
    assert {m.to_address for m in moved_mail} == {scene.teacher.email}


def test_a_booking_no_longer_live_or_answered_is_refused_clearly(scene):
    scene.at(11)
    scene.close()
    offer = the_reschedule(scene.booking).offers[0]
    services.cancel(scene.booking, scene.manager, "Sekolah menelepon")
    db.session.expire_all()
    with pytest.raises(BookingRefused) as refused:
        reschedule.take(
            db.session.get(Booking, scene.booking.id), db.session.get(RescheduleOffer, offer.id), scene.teacher
        )
    assert refused.value.code == "wrong_status"
    assert "dibatalkan" in refused.value.message


def test_only_the_school_takes_an_alternative(scene):
    scene.at(11)
    scene.close()
    offer = the_reschedule(scene.booking).offers[0]
    for someone in (scene.manager, school_user(start=807)):
        with pytest.raises(BookingRefused) as refused:
            reschedule.take(scene.booking, offer, someone)
        assert refused.value.code == "not_allowed"
    assert the_reschedule(scene.booking).status == "open"


def _take_in_thread(app, barrier, booking_id, offer_id, user_id):
    with app.app_context():
        try:
            booking = db.session.get(Booking, booking_id)
            offer = db.session.get(RescheduleOffer, offer_id)
            user = db.session.get(User, user_id)
            offer.reschedule.offers  # noqa: B018  (loaded before lining up, as a page would)
            db.session.commit()  # end the read transaction: SQLite takes the write lock at the next
            barrier.wait()
            with write_intent():
                reschedule.take(booking, offer, user)
            return "ok"
        except BookingRefused as refusal:
            return refusal.code
        except Exception as exc:  # reported by the test
            return exc
        finally:
            db.session.remove()


@pytest.mark.parametrize("same_offer", [True, False])
def test_two_taps_at_once_move_the_booking_once(make_app, factory, same_offer):
    app = make_app()
    with app.app_context(), write_intent():
        scene = Scene(factory)
        first, second = scene.at(11), scene.at(9)
        scene.close()
        offers = the_reschedule(scene.booking).offers
        chosen = [offers[0].id, offers[0].id if same_offer else offers[1].id]
        ids = scene.booking.id, scene.teacher.id
        first_id, second_id, closed_id = first.id, second.id, scene.slot.id
        db.session.commit()
    barrier = threading.Barrier(2)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda offer_id: _take_in_thread(app, barrier, ids[0], offer_id, ids[1]), chosen))
    assert results.count("ok") == 1, results
    assert set(results) - {"ok"} <= {"status_changed", "reschedule_answered"}, results
    with app.app_context():
        booking = db.session.get(Booking, ids[0])
        assert booking.slot_id in (first_id, second_id)
        assert held(booking.slot_id) == SEATS
        other = second_id if booking.slot_id == first_id else first_id
        assert held(other) == 0 and held(closed_id) == 0
        for slot_id in (first_id, second_id, closed_id):
            assert seats_add_up(slot_id)
        moved_mails = db.session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "moved")
        )
        assert moved_mails == 1


# -- cancelling, and the venue changing the booking -------------------------------------------


def test_the_school_may_cancel_a_closed_visit_past_the_cancel_window(scene):
    slot = scene.at(1)  # tomorrow: past the 48-hour window
    booking = services.book_slot(school_user(start=808), slot.id, group_request(**GROUP))
    alternative = scene.at(3)
    scene.close(slot)
    teacher = db.session.get(User, booking.requested_by_id)
    with pytest.raises(BookingRefused):
        services.cancel(booking, teacher)  # the ordinary way stays closed
    reschedule.cancel_visit(db.session.get(Booking, booking.id), teacher, "Bus sudah dipesan")
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == CANCELLED
    assert held(slot.id) == 0 and held(alternative.id) == 0
    found = the_reschedule(booking)
    assert found.status == "cancelled" and {o.status for o in found.offers} == {"released"}


def test_the_venue_moving_or_cancelling_the_booking_settles_it_and_releases_the_holds(scene):
    alternative, by_hand = scene.at(11), scene.at(15)
    other = services.book_slot(school_user(start=809), scene.slot.id, group_request(**GROUP))
    scene.close()
    services.move(scene.booking, by_hand, scene.manager)
    services.cancel(db.session.get(Booking, other.id), scene.manager, "Ditutup")
    moved, cancelled = the_reschedule(scene.booking), the_reschedule(other)
    assert moved.status == "moved" and moved.to_slot_id == by_hand.id and moved.answered_by_id == scene.manager.id
    assert cancelled.status == "cancelled"
    assert all(o.status == "released" for o in moved.offers + cancelled.offers)
    assert held(alternative.id) == 0 and seats_add_up(alternative.id) and seats_add_up(by_hand.id)


# -- the venue's page per closure -------------------------------------------------------------


def test_the_closure_page_counts_who_moved_cancelled_waits_or_had_nothing(scene, client, auth):
    scene.at(11, capacity=SEATS + 11)  # room for our group and one small one, in booking order
    small = {"students": 10, "teachers": 1}
    waiting, leaving, stranded = (
        services.book_slot(user, scene.slot.id, group_request(**small)) for user in school_users(3, start=810)
    )
    scene.close()
    assert the_reschedule(leaving).offers == [] and the_reschedule(stranded).offers == []
    assert len(the_reschedule(waiting).offers) == 1
    reschedule.take(scene.booking, the_reschedule(scene.booking).offers[0], scene.teacher)
    reschedule.cancel_visit(db.session.get(Booking, leaving.id), db.session.get(User, leaving.requested_by_id))
    closure_id = the_reschedule(scene.booking).closure_id

    auth.login(scene.manager)
    page = client.get(f"/venues/sirkuit-mandalika/closures/{closure_id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    counts = reschedule.answer_counts(reschedule.closure_reschedules(db.session.get(Closure, closure_id)), utcnow())
    assert counts == {"moved": 1, "cancelled": 1, "waiting": 1, "lapsed": 0, "none": 1, "ended": 0}
    for key, count in counts.items():
        assert f'<dd data-answer="{key}">{count}</dd>' in text
    assert "Pindah" in text and "Tidak ada jadwal pengganti" in text and "Belum menjawab" in text
    assert text.count('data-answer="moved"') == 2  # the count and the row
    manage = client.get("/venues/sirkuit-mandalika/manage").get_data(as_text=True)
    assert f"/venues/sirkuit-mandalika/closures/{closure_id}" in manage


def test_the_closure_page_is_the_venues_own(scene, client, auth, factory):
    scene.close()
    closure_id = the_reschedule(scene.booking).closure_id
    other_venue = make_venue(slug="meninting-bike-park", name="Meninting Bike Park")
    stranger = factory.user("venue_manager")
    other_venue.managers.append(stranger)
    db.session.commit()
    auth.login(stranger)
    assert client.get(f"/venues/sirkuit-mandalika/closures/{closure_id}").status_code == 403
    assert client.get(f"/venues/meninting-bike-park/closures/{closure_id}").status_code == 404
    auth.logout()
    auth.login(scene.teacher)
    assert client.get(f"/venues/sirkuit-mandalika/closures/{closure_id}").status_code == 403


def _closure_hitting(scene, day: float, schools: list[User]) -> int:
    """A closure of a session ``day`` days ahead that hit one booking per school: every other
    one moved (a new session, who answered), the rest wait with their alternatives."""
    closed = scene.at(day)
    scene.at(day + 0.5, capacity=500), scene.at(day - 0.5, capacity=500)
    hit = [services.book_slot(user, closed.id, group_request(students=10, teachers=1)) for user in schools]
    scene.close(closed)
    for booking, user in list(zip(hit, schools, strict=True))[::2]:
        reschedule.take(booking, the_reschedule(booking).offers[0], user)
    return the_reschedule(hit[0]).closure_id


def test_the_closure_page_reads_the_same_queries_for_2_or_8_bookings(scene, client, auth):
    few = _closure_hitting(scene, 20, school_users(2, start=820))
    many = _closure_hitting(scene, 30, school_users(8, start=830))
    auth.login(scene.manager)

    def page_statements(closure_id: int) -> int:
        db.session.expire_all()
        page = []
        sent = statements_of(lambda: page.append(client.get(f"/venues/sirkuit-mandalika/closures/{closure_id}")))
        assert page[0].status_code == 200 and page[0].get_data(as_text=True).count('id="reschedule-') > 1
        return len(sent)

    assert page_statements(many) == page_statements(few)


# -- the school's page ------------------------------------------------------------------------


def test_the_school_sees_its_alternatives_and_moves_with_one_tap(scene, client, auth):
    alternative = scene.at(11)
    scene.close()
    offer = the_reschedule(scene.booking).offers[0]
    auth.login(scene.teacher)
    detail = client.get(f"/bookings/{scene.booking.id}").get_data(as_text=True)
    assert f"/bookings/{scene.booking.id}/alternatives" in detail and 'id="reschedule-notice"' in detail
    page = client.get(f"/bookings/{scene.booking.id}/alternatives")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "MotoGP Mandalika" in text
    assert f"/alternatives/{offer.id}/take" in text and "Batalkan kunjungan" in text
    token = csrf_token(client, f"/bookings/{scene.booking.id}/alternatives")
    response = client.post(f"/bookings/{scene.booking.id}/alternatives/{offer.id}/take", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/bookings/{scene.booking.id}")
    db.session.expire_all()
    assert db.session.get(Booking, scene.booking.id).slot_id == alternative.id
    again = client.post(f"/bookings/{scene.booking.id}/alternatives/{offer.id}/take", data={"csrf_token": token})
    assert again.status_code == 409 and "sudah dipindahkan atau dibatalkan" in again.get_data(as_text=True)


def test_other_schools_get_a_404_and_managers_see_no_buttons(scene, client, auth):
    scene.at(11)
    scene.close()
    offer = the_reschedule(scene.booking).offers[0]
    auth.login(school_user(start=820))
    assert client.get(f"/bookings/{scene.booking.id}/alternatives").status_code == 404
    token = csrf_token(client, "/")
    take = f"/bookings/{scene.booking.id}/alternatives/{offer.id}/take"
    assert client.post(take, data={"csrf_token": token}).status_code == 404
    assert client.get(f"/api/v1/bookings/{scene.booking.id}/alternatives").status_code == 404
    auth.logout()
    auth.login(scene.manager)
    text = client.get(f"/bookings/{scene.booking.id}/alternatives").get_data(as_text=True)
    assert "/take" not in text and 'id="school-answers"' in text


def test_an_offer_of_another_booking_is_a_404(scene, client, auth):
    scene.at(11, capacity=SEATS * 2)
    mine = services.book_slot(scene.teacher, scene.at(4).id, group_request(**GROUP))
    scene.close()
    offer = the_reschedule(scene.booking).offers[0]
    auth.login(scene.teacher)
    token = csrf_token(client, "/")
    assert (
        client.post(f"/bookings/{mine.id}/alternatives/{offer.id}/take", data={"csrf_token": token}).status_code == 404
    )


def test_an_offer_of_another_booking_is_none_to_the_service_and_a_json_404_to_the_api(scene, client):
    from .test_openapi import bearer

    scene.at(11, capacity=SEATS * 2)
    mine = services.book_slot(scene.teacher, scene.at(4).id, group_request(**GROUP))
    scene.close()
    offer = the_reschedule(scene.booking).offers[0]
    assert reschedule.get_offer(db.session.get(Booking, mine.id), offer.id) is None
    assert reschedule.get_offer(db.session.get(Booking, scene.booking.id), offer.id + 1000) is None
    assert reschedule.get_offer(db.session.get(Booking, scene.booking.id), offer.id).id == offer.id
    answer = client.post(f"/api/v1/bookings/{mine.id}/alternatives/{offer.id}/take", headers=bearer(scene.teacher))
    assert answer.status_code == 404 and answer.get_json()["error"] == "not_found"


# -- the API ----------------------------------------------------------------------------------


def test_the_api_lists_and_takes_alternatives(scene, client):
    from .test_openapi import bearer

    alternative = scene.at(11)
    scene.close()
    offer = the_reschedule(scene.booking).offers[0]
    headers = bearer(scene.teacher)
    listed = client.get(f"/api/v1/bookings/{scene.booking.id}/alternatives", headers=headers).get_json()
    assert listed["reschedule"]["answer"] == "waiting" and listed["reschedule"]["may_answer"] is True
    assert [(a["id"], a["open"], a["slot"]["id"]) for a in listed["alternatives"]] == [(offer.id, True, alternative.id)]
    assert listed["alternatives"][0]["expires_at"].endswith("Z")
    taken = client.post(f"/api/v1/bookings/{scene.booking.id}/alternatives/{offer.id}/take", headers=headers)
    assert taken.status_code == 200 and taken.get_json()["slot"]["id"] == alternative.id
    again = client.post(f"/api/v1/bookings/{scene.booking.id}/alternatives/{offer.id}/take", headers=headers)
    assert again.status_code == 409 and again.get_json()["error"] == "reschedule_answered"
    by_manager = client.post(
        f"/api/v1/bookings/{scene.booking.id}/alternatives/{offer.id}/take", headers=bearer(scene.manager)
    )
    assert by_manager.status_code in (403, 409)


def test_the_api_refuses_a_lapsed_alternative_in_the_callers_language(scene, client):
    from .test_openapi import bearer

    scene.at(11)
    scene.close()
    offer = the_reschedule(scene.booking).offers[0]
    offer.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    headers = {**bearer(scene.teacher), "Accept-Language": "en"}
    response = client.post(f"/api/v1/bookings/{scene.booking.id}/alternatives/{offer.id}/take", headers=headers)
    assert response.status_code == 409
    assert response.get_json() == {
        "error": "alternative_lapsed",
        "message": "This session is no longer held for your school: the offer lapsed. "
        "Choose another one or call the venue.",
    }


# -- the mails --------------------------------------------------------------------------------


def _mail(kind: str) -> list[OutboxMessage]:
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)).all()


def test_the_school_is_told_which_sessions_are_held_and_where_to_choose(scene):
    scene.at(11)
    scene.close()
    (held_mail,) = _mail("reschedule")
    (closure_mail,) = _mail("closure")
    link = f"/bookings/{scene.booking.id}/alternatives"
    assert held_mail.to_address == scene.teacher.email and held_mail.booking_id == scene.booking.id
    assert held_mail.subject.startswith("Jadwal pengganti disimpan")
    assert link in held_mail.body_text and "MotoGP Mandalika" in held_mail.body_text
    assert "1. " in held_mail.body_text and "WITA" in held_mail.body_text
    assert "Kode pemesanan" in held_mail.body_text  # the visit's facts (mail/_visit)
    assert link in closure_mail.body_text


def test_the_mail_and_the_closure_page_give_each_alternative_its_own_hold_end(scene, client, auth):
    """A near session's hold ends sooner (24 hours before it starts) than a far one's (a day
    from now): each is told as it is, not the earliest for all."""
    far, near = scene.at(11), scene.at(40 / 24)
    scene.close()
    found = the_reschedule(scene.booking)
    by_slot = {o.slot_id: o for o in found.offers}
    assert by_slot[near.id].expires_at < by_slot[far.id].expires_at
    (held_mail,) = _mail("reschedule")
    with force_locale("id"):
        mailed = [format_datetime(by_slot[s.id].expires_at, "EEEE, d MMMM y, HH.mm") for s in (far, near)]
        shown = [
            (wita_datetime(s.starts_at, "short"), wita_datetime(by_slot[s.id].expires_at, "short")) for s in (far, near)
        ]
    body = held_mail.body_text
    assert body.count("ditahan sampai") == 2
    for when in mailed:
        assert f"ditahan sampai {when} WITA" in body

    auth.login(scene.manager)
    text = client.get(f"/venues/sirkuit-mandalika/closures/{found.closure_id}").get_data(as_text=True)
    for session, until in shown:
        assert f"{session} ditahan sampai {until}" in text


def test_no_held_sessions_mail_when_nothing_could_be_held(scene):
    scene.close()
    assert _mail("reschedule") == [] and len(_mail("closure")) == 1
