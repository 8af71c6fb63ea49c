"""The final headcount (visits/headcount.py, its page and POST /api/v1/bookings/<id>/headcount):
within the program's rules; fewer people give seats back at once and offer them to the waiting
list; more people need free seats, refused when full; the booking's school and whoever manages
its venue only (404 for anyone else); on a confirmed booking until the session starts; shown
as "Jumlah akhir dikonfirmasi" on the booking page and in the venue's list."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select

from koin_media.accounts.models import User
from koin_media.audit import AuditEvent
from koin_media.booking import schedule, services, waitlist
from koin_media.booking.models import CANCEL, HEADCOUNT, OFFERED, Booking, Slot, WaitlistEntry
from koin_media.booking.problems import BookingRefused
from koin_media.database import engine_options, utcnow, write_intent
from koin_media.extensions import db
from koin_media.localtime import LOCAL
from koin_media.notifications.models import OutboxMessage
from koin_media.visits import reschedule
from koin_media.visits.headcount import confirm_headcount
from koin_media.visits.reschedule_models import Reschedule

from .booking_helpers import group_request, make_program, make_slot, make_venue, school_user, seats_accounted
from .conftest import csrf_token


def _scene(factory, capacity=40) -> dict:
    venue = make_venue()
    manager = factory.user("venue_manager")
    venue.managers.append(manager)
    db.session.commit()
    program = make_program(venue)  # 10 to 40 students, one teacher for every 15
    slot = make_slot(program, capacity=capacity)
    school = school_user()
    with write_intent():
        booking = services.confirm(services.book_slot(school, slot.id, group_request()), manager)
    return {"venue": venue, "manager": manager, "program": program, "slot": slot, "school": school, "booking": booking}


@pytest.fixture
def scene(app, factory):
    """A confirmed booking of 30 students and 2 teachers in a session of 40 places."""
    return _scene(factory)


def change(booking, user, students, teachers, now=None, version=None):
    with write_intent():
        return confirm_headcount(booking, user, students, teachers, now, version)


def held(slot) -> int:
    db.session.rollback()
    return db.session.scalar(select(Slot.held).where(Slot.id == slot.id))


def fresh(booking) -> Booking:
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(Booking, booking.id)


def page_of(booking) -> str:
    return f"/bookings/{booking.id}/headcount"


def post_page(client, booking, students, teachers, version=None):
    token = csrf_token(client, "/")
    data = {"csrf_token": token, "students": str(students), "teachers": str(teachers)}
    if version is not None:
        data["version"] = str(version)
    return client.post(page_of(booking), data=data)


def post_api(client, booking, **body):
    return client.post(
        f"/api/v1/bookings/{booking.id}/headcount", json=body, headers={"X-CSRFToken": csrf_token(client, "/")}
    )


# -- seats ------------------------------------------------------------------------------------


def test_fewer_people_give_seats_back_at_once_and_the_waiting_list_gets_an_offer(scene):
    slot, booking = scene["slot"], scene["booking"]
    waiting = school_user(start=901)
    with write_intent():
        entry = waitlist.join_waitlist(waiting, slot.id, group_request(students=10, teachers=1))
    assert entry.status == "waiting"  # 8 places free: a group of 11 does not fit
    assert seats_accounted(slot.id) == (32, 32)

    change(booking, scene["school"], 20, 2)

    booking = fresh(booking)
    assert (booking.students, booking.teachers) == (20, 2)
    assert booking.headcount_confirmed_at is not None
    assert db.session.get(WaitlistEntry, entry.id).status == OFFERED
    assert seats_accounted(slot.id) == (33, 33)  # 22 booked, 11 held for the offer
    offers = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "waitlist_offer")).all()
    assert [m.to_address for m in offers] == [waiting.email]
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "booking.headcount")).all()
    assert (event.actor_id, event.subject_id) == (scene["school"].id, booking.id)
    assert event.detail == {"students": 20, "teachers": 2, "before": {"students": 30, "teachers": 2}}


def test_more_people_take_free_seats_and_are_refused_when_the_session_is_full(scene):
    slot, booking, school = scene["slot"], scene["booking"], scene["school"]
    change(booking, school, 35, 3)  # 32 -> 38 of 40
    assert seats_accounted(slot.id) == (38, 38)
    booking = fresh(booking)
    version = booking.version
    with pytest.raises(BookingRefused) as refused:
        change(booking, school, 38, 3)  # three more, two free
    assert refused.value.code == "headcount_no_room" and refused.value.message_params == {"remaining": 2}
    booking = fresh(booking)
    assert (booking.students, booking.teachers, booking.version) == (35, 3, version)  # nothing written
    assert seats_accounted(slot.id) == (38, 38)
    change(booking, school, 37, 3)  # exactly full
    assert seats_accounted(slot.id) == (40, 40)


def test_more_people_in_a_closed_session_are_refused_as_closed(scene):
    slot, booking = scene["slot"], scene["booking"]
    slot.is_open = False
    db.session.commit()
    with pytest.raises(BookingRefused) as refused:
        change(booking, scene["school"], 31, 3)
    assert refused.value.code == "slot_closed"
    change(fresh(booking), scene["school"], 20, 2)  # fewer is still fine
    assert seats_accounted(slot.id) == (22, 22)


def test_confirming_the_same_numbers_records_the_confirmation_only(scene):
    slot, booking = scene["slot"], scene["booking"]
    assert booking.headcount_confirmed_at is None
    change(booking, scene["school"], 30, 2)
    assert fresh(booking).headcount_confirmed_at is not None
    assert seats_accounted(slot.id) == (32, 32)


@pytest.mark.parametrize("answer", ["take", "lapse"])
def test_fewer_people_while_alternatives_are_held_keep_every_sessions_seats_exact(scene, answer):
    """A closure holds alternatives for the whole group (32 seats each); the school then
    confirms fewer people (22). Taking one moves 22 seats there and frees the rest; a lapse
    gives back all 32 the hold took. No seat is lost or counted twice anywhere."""
    booking, program, closed = scene["booking"], scene["program"], scene["slot"]
    first, second = (make_slot(program, starts_in=timedelta(days=days), capacity=40) for days in (8, 9))
    with write_intent():
        schedule.close_for(
            scene["venue"], closed.starts_at - timedelta(hours=1), closed.ends_at, "MotoGP Mandalika", scene["manager"]
        )
    assert [held(s) for s in (closed, first, second)] == [32, 32, 32]

    change(fresh(booking), scene["school"], 20, 2)
    assert [held(s) for s in (closed, first, second)] == [22, 32, 32]  # the holds keep the group's 32

    found = db.session.scalar(select(Reschedule).where(Reschedule.booking_id == booking.id))
    if answer == "take":
        with write_intent():
            reschedule.take(fresh(booking), found.offers[0], scene["school"])
        assert fresh(booking).slot_id == first.id
        assert [held(s) for s in (closed, first, second)] == [0, 22, 0]
    else:
        assert len(reschedule.lapse_offers(utcnow() + timedelta(hours=25))) == 2
        assert [held(s) for s in (closed, first, second)] == [22, 0, 0]
    for slot in (first, second, closed):
        stored, counted = seats_accounted(slot.id)
        assert stored == counted


# -- the program's rules ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("students", "teachers", "code", "field", "indonesian"),
    [
        (9, 1, "group_too_small", "students", "paling sedikit 10 siswa"),
        (41, 3, "group_too_large", "students", "40"),
        (31, 2, "too_few_teachers", "teachers", "Bawa paling sedikit 3 guru"),
    ],
)
def test_the_programs_rules_hold_in_the_service_the_page_and_the_api(
    client, auth, scene, students, teachers, code, field, indonesian
):
    slot, booking, school = scene["slot"], scene["booking"], scene["school"]
    with pytest.raises(BookingRefused) as refused:
        change(booking, school, students, teachers)
    assert refused.value.code == code

    auth.login(school)
    page = post_page(client, booking, students, teachers)
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert f'id="{field}-error"' in html and indonesian in html

    api = post_api(client, booking, students=students, teachers=teachers)
    assert api.status_code == 422
    answer = api.get_json()
    assert answer["error"] == code and indonesian in answer["message"]
    assert answer["errors"] == {field: [answer["message"]]}

    booking = fresh(booking)
    assert (booking.students, booking.teachers, booking.headcount_confirmed_at) == (30, 2, None)
    assert seats_accounted(slot.id) == (32, 32)


# -- who, and until when ----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["school", "manager", "staff"])
def test_the_school_and_whoever_manages_the_venue_may_confirm(client, auth, scene, factory, who):
    user = scene[who] if who in scene else factory.user("staff")
    booking = scene["booking"]
    assert HEADCOUNT in booking.allowed_actions(user)
    auth.login(user)
    assert client.get(page_of(booking)).status_code == 200
    assert post_page(client, booking, 28, 2, booking.version).status_code == 302
    assert fresh(booking).students == 28


@pytest.mark.parametrize("who", ["other_school", "pending_colleague", "other_manager", "creator"])
def test_anyone_else_gets_a_404_and_the_service_refuses(client, auth, scene, factory, who):
    booking = scene["booking"]
    if who == "other_school":
        user = school_user(start=902)
    elif who == "pending_colleague":  # asked to join the school, not approved yet
        user = factory.user("school", npsn=scene["school"].school.npsn)
        assert user.coordinator_status == "pending"
    elif who == "other_manager":
        user = factory.user("venue_manager")
        other_venue = make_venue("meninting-bike-park", "Meninting Bike Park")
        other_venue.managers.append(user)
        db.session.commit()
    else:
        user = factory.user("creator")
    assert HEADCOUNT not in booking.allowed_actions(user)
    with pytest.raises(BookingRefused) as refused:
        change(booking, user, 20, 2)
    assert refused.value.code == "not_allowed"
    auth.login(user)
    assert client.get(page_of(booking)).status_code == 404
    assert post_page(client, booking, 20, 2).status_code == 404
    assert post_api(client, booking, students=20, teachers=2).status_code == 404
    assert fresh(booking).students == 30


def test_open_until_the_session_starts_even_after_the_cancel_window(scene):
    booking, school, manager = scene["booking"], scene["school"], scene["manager"]
    starts = booking.slot.starts_at
    just_before = starts - timedelta(seconds=1)
    assert CANCEL not in booking.allowed_actions(school, just_before)  # the cancel window is long closed
    for user in (school, manager):
        assert HEADCOUNT in booking.allowed_actions(user, just_before)
        assert HEADCOUNT not in booking.allowed_actions(user, starts)
    change(booking, school, 25, 2, just_before)
    assert fresh(booking).students == 25
    for user in (school, manager):
        with pytest.raises(BookingRefused) as refused:
            change(fresh(booking), user, 20, 2, starts)
        assert refused.value.code == "slot_past"
    assert fresh(booking).students == 25


def test_only_a_confirmed_booking(scene):
    slot, school, manager = scene["slot"], scene["school"], scene["manager"]
    other = school_user(start=903)
    with write_intent():
        pending = services.book_slot(other, make_slot(slot.program, starts_in=timedelta(days=8)).id, group_request())
        cancelled = services.cancel(fresh(scene["booking"]), manager, "Sirkuit dipakai balap")
    for booking, user in ((pending, other), (cancelled, school), (pending, manager)):
        booking = fresh(booking)
        assert HEADCOUNT not in booking.allowed_actions(user)
        with pytest.raises(BookingRefused) as refused:
            change(booking, user, 20, 2)
        assert refused.value.code == "wrong_status"


# -- the pages --------------------------------------------------------------------------------


def test_the_page_confirms_and_the_booking_page_and_the_venue_list_say_so(client, auth, scene):
    booking, school, manager = scene["booking"], scene["school"], scene["manager"]
    auth.login(school)
    detail = client.get(f"/bookings/{booking.id}").get_data(as_text=True)
    assert 'data-action="headcount"' in detail and "Jumlah akhir dikonfirmasi" not in detail
    page = client.get(page_of(booking))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Jumlah akhir rombongan" in html
    assert 'name="students"' in html and 'value="30"' in html
    assert "tersisa 8 di sesi ini" in html  # the free places, for a larger group

    answer = post_page(client, booking, 26, 2, booking.version)
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/bookings/{booking.id}")
    detail = client.get(f"/bookings/{booking.id}").get_data(as_text=True)
    assert 'id="headcount-confirmed"' in detail and "Jumlah akhir dikonfirmasi" in detail
    assert "26 siswa, 2 guru" in detail

    auth.logout()
    auth.login(manager)
    day = booking.slot.starts_at.astimezone(LOCAL).date().isoformat()
    listing = client.get(f"/manage/bookings?venue={scene['venue'].id}&day={day}").get_data(as_text=True)
    assert "Jumlah akhir dikonfirmasi" in listing and "26 + 2" in listing


def test_saving_over_someone_elses_change_is_refused(client, auth, scene):
    booking, school, manager = scene["booking"], scene["school"], scene["manager"]
    auth.login(school)
    seen = booking.version
    change(booking, manager, 25, 2)  # the venue, on the phone with the school, meanwhile
    answer = post_page(client, booking, 35, 3, seen)
    assert answer.status_code == 409
    html = answer.get_data(as_text=True)
    assert "Orang lain mengubah pemesanan ini" in html
    assert f'name="version" type="hidden" value="{fresh(booking).version}"' in html  # saving again is deliberate
    assert (fresh(booking).students, seats_accounted(scene["slot"].id)) == (25, (27, 27))


def test_the_page_explains_when_it_can_no_longer_change(client, auth, scene):
    booking = scene["booking"]
    booking.slot.starts_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    auth.login(scene["school"])
    html = client.get(page_of(booking)).get_data(as_text=True)
    assert 'id="headcount-closed"' in html and 'id="headcount-form"' not in html
    assert post_page(client, booking, 20, 2).status_code == 422  # slot_past
    assert fresh(booking).students == 30


# -- the API ----------------------------------------------------------------------------------


def test_the_api_confirms_and_answers_the_booking(client, auth, scene):
    booking = scene["booking"]
    auth.login(scene["school"])
    seen = booking.version
    answer = post_api(client, booking, students=24, teachers=2, version=seen)
    assert answer.status_code == 200
    body = answer.get_json()
    assert (body["students"], body["teachers"]) == (24, 2)
    assert body["headcount_confirmed_at"].endswith("Z") and "headcount" in body["actions"]
    full = post_api(client, booking, students=40, teachers=3)  # 43 of 40
    assert full.status_code == 409
    assert full.get_json()["error"] == "headcount_no_room" and "Hanya tersisa 14 tempat" in full.get_json()["message"]
    stale = post_api(client, booking, students=20, teachers=2, version=seen)
    assert stale.status_code == 409 and stale.get_json()["error"] == "status_changed"
    wrong = post_api(client, booking, students="banyak", teachers=2)
    assert wrong.status_code == 422 and "students" in wrong.get_json()["errors"]
    not_json = client.post(
        f"/api/v1/bookings/{booking.id}/headcount",
        data="students=20",
        headers={"X-CSRFToken": csrf_token(client, "/"), "Content-Type": "text/plain"},
    )
    assert not_json.status_code == 415
    assert fresh(booking).students == 24


# -- two at once ------------------------------------------------------------------------------


def test_two_schools_raising_at_once_for_the_last_places_get_them_once(make_app, migrated, factory):
    options = {**engine_options(migrated), "pool_size": 6, "max_overflow": 0}
    app = make_app(SQLALCHEMY_ENGINE_OPTIONS=options)
    with app.app_context():
        scene = _scene(factory, capacity=50)
        other = school_user(start=904)
        with write_intent():
            second = services.confirm(
                services.book_slot(other, scene["slot"].id, group_request(students=10, teachers=1)), scene["manager"]
            )
        slot_id = scene["slot"].id
        calls = [(scene["school"].id, scene["booking"].id, 30, 6), (other.id, second.id, 14, 1)]  # +4 each, 7 free
        assert seats_accounted(slot_id) == (43, 43)
        db.session.remove()

    barrier = threading.Barrier(len(calls))

    def raise_headcount(call):
        user_id, booking_id, students, teachers = call
        with app.app_context():
            try:
                user, booking = db.session.get(User, user_id), db.session.get(Booking, booking_id)
                db.session.commit()
                barrier.wait()
                change(booking, user, students, teachers)
                return "ok"
            except BookingRefused as refusal:
                return refusal.code
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        results = list(pool.map(raise_headcount, calls))

    assert sorted(results) == ["headcount_no_room", "ok"]
    with app.app_context():
        assert seats_accounted(slot_id) == (47, 47)
        assert db.session.scalar(select(Slot.held).where(Slot.id == slot_id)) <= 50
