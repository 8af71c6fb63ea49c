"""Booking pages: rules with clear messages through the form, who sees what, the managers'
lists, check-in, the CSV export and the visitor report."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from koin_media.booking import services, visits
from koin_media.booking.models import CHECKED_IN, COMPLETED, CONFIRMED, NO_SHOW, PENDING, Booking
from koin_media.database import utcnow, write_intent
from koin_media.extensions import db
from koin_media.localtime import LOCAL

from .booking_helpers import group_request, make_program, make_slot, make_venue, school_user, school_users
from .conftest import csrf_token
from .query_count import statements_of
from .test_booking_journeys import last_booking, message, post_action, request_slot, switch


def book(user, slot, **overrides):
    with write_intent():
        return services.book_slot(user, slot.id, group_request(**overrides))


# -- rules through the form -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "code", "params", "field"),
    [
        ({"students": 9}, "group_too_small", {"minimum": 10}, "students"),
        ({"students": 41, "teachers": 3}, "group_too_large", {"maximum": 40}, "students"),
        ({"students": 31, "teachers": 2}, "too_few_teachers", {"needed": 3, "students": 31, "ratio": 15}, "teachers"),
        ({"contact_phone": "12345"}, "bad_phone", {}, "contact_phone"),
        ({"consent": False}, "consent_missing", {}, "consent"),
    ],
)
def test_request_rules_show_their_message_next_to_the_field(client, auth, slot, school, overrides, code, params, field):
    auth.login(school)
    response = request_slot(client, slot.id, **overrides)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert f'<p class="error" id="{field}-error">{message(code, **params)}</p>' in body
    assert last_booking() is None


@pytest.mark.parametrize(
    ("change", "code", "status"),
    [
        (lambda slot: setattr(slot, "is_open", False), "slot_closed", 422),
        (lambda slot: setattr(slot, "starts_at", utcnow() - timedelta(hours=1)), "slot_past", 422),
    ],
)
def test_closed_or_past_slot(client, auth, slot, school, change, code, status):
    auth.login(school)
    change(slot)
    db.session.commit()
    assert 'name="action"' not in client.get(f"/slots/{slot.id}/book").get_data(as_text=True)
    response = request_slot(client, slot.id)
    assert response.status_code == status
    assert f'id="booking-error">{message(code)}<' in response.get_data(as_text=True)


def test_unverified_school_is_told_to_wait_for_verification(client, auth, slot):
    auth.login(school_user(verified=False))
    assert message("school_unverified") in client.get(f"/slots/{slot.id}/book").get_data(as_text=True)
    response = request_slot(client, slot.id)
    assert response.status_code == 422 and message("school_unverified") in response.get_data(as_text=True)
    assert last_booking() is None


def test_duplicate_request_is_a_conflict(client, auth, slot, school):
    auth.login(school)
    assert request_slot(client, slot.id).status_code == 302
    response = request_slot(client, slot.id)
    assert response.status_code == 409 and message("duplicate_request") in response.get_data(as_text=True)


def test_not_a_number_is_a_form_error(client, auth, slot, school):
    auth.login(school)
    response = request_slot(client, slot.id, students="tiga puluh")
    assert response.status_code == 422 and 'id="students-error"' in response.get_data(as_text=True)


def test_only_schools_request_and_unknown_slots_are_404(client, auth, slot, factory):
    assert client.get(f"/slots/{slot.id}/book").status_code == 302  # to the login page
    auth.login(factory.user("creator"))
    assert client.get(f"/slots/{slot.id}/book").status_code == 403
    switch(client, school_user())
    assert client.get("/slots/999999/book").status_code == 404


# -- who sees a booking -----------------------------------------------------------------------


def test_another_schools_booking_is_404(client, auth, slot, school):
    booking = book(school, slot)
    (other,) = school_users(1, start=20)
    auth.login(other)
    assert client.get(f"/bookings/{booking.id}").status_code == 404
    page = f"/bookings/{booking.id}"
    assert post_action(client, f"{page}/cancel", "/my/bookings", prefix="cancel", reason="").status_code == 404
    assert f'id="booking-{booking.id}"' not in client.get("/my/bookings").get_data(as_text=True)
    assert client.get("/manage/bookings").status_code == 403


def test_managers_of_another_venue_get_403_or_404(client, auth, slot, school, manager, factory):
    booking = book(school, slot)
    stranger = factory.user("venue_manager")
    other_venue = make_venue(slug="meninting-bike-park", name="Meninting Bike Park")
    other_venue.managers.append(stranger)
    db.session.commit()
    auth.login(stranger)
    assert client.get(f"/bookings/{booking.id}").status_code == 404
    assert post_action(client, f"/bookings/{booking.id}/confirm", "/checkin").status_code == 404
    assert client.get(f"/manage/bookings?venue={slot.program.venue_id}").status_code == 403
    assert client.get(f"/manage/bookings.csv?venue={slot.program.venue_id}").status_code == 403
    page = client.post("/checkin", data={"csrf_token": csrf_token(client, "/checkin"), "code": booking.code})
    assert page.status_code == 404
    assert db.session.get(Booking, booking.id).status == PENDING


# -- managers' lists --------------------------------------------------------------------------


def test_the_day_list_asks_the_same_number_of_queries_for_one_booking_or_many(client, auth, slot, manager):
    """Each row's buttons come from Booking.allowed_actions, with the venue asked once."""
    day = slot.starts_at.astimezone(LOCAL).date()
    schools = iter(school_users(6, start=40))
    auth.login(manager)

    def queries() -> int:
        page = []
        sent = statements_of(lambda: page.append(client.get(f"/manage/bookings?day={day.isoformat()}")))
        assert page[0].status_code == 200
        return len(sent)

    book(next(schools), slot, students=10, teachers=1)
    one = queries()
    for school in schools:
        book(school, slot, students=10, teachers=1)
    assert queries() == one


def test_day_and_week_lists_filter_by_status(client, auth, slot, school, manager):
    pending = book(school, slot)
    other = book(school_users(1, start=30)[0], slot)
    with write_intent():
        services.confirm(other, manager)
    day = slot.starts_at.astimezone(LOCAL).date()
    auth.login(manager)
    page = client.get(f"/manage/bookings?day={day.isoformat()}").get_data(as_text=True)
    assert f'id="booking-{pending.id}"' in page and f'id="booking-{other.id}"' in page
    page = client.get(f"/manage/bookings?day={day.isoformat()}&status=confirmed").get_data(as_text=True)
    assert f'id="booking-{pending.id}"' not in page and f'id="booking-{other.id}"' in page
    iso = day.isocalendar()
    page = client.get(f"/manage/bookings?week={iso.year}-W{iso.week:02d}&status=pending").get_data(as_text=True)
    assert f'id="booking-{pending.id}"' in page and f'id="booking-{other.id}"' not in page
    page = client.get(f"/manage/bookings?day={(day + timedelta(days=1)).isoformat()}").get_data(as_text=True)
    assert f'id="booking-{pending.id}"' not in page


@pytest.mark.parametrize("query", ["day=17-08-2026", "week=2026-W60", "week=minggu", "status=lost", "venue=nowhere"])
def test_bad_list_filters_are_clear_4xx(client, auth, manager, query):
    auth.login(manager)
    assert client.get(f"/manage/bookings?{query}").status_code in (400, 404)


def test_confirm_from_the_list_returns_to_the_list(client, auth, slot, school, manager):
    booking = book(school, slot)
    auth.login(manager)
    back = "/manage/bookings?status=pending"
    response = post_action(client, f"/bookings/{booking.id}/confirm", back, next=back)
    assert response.status_code == 302 and response.headers["Location"].endswith(back)
    assert db.session.get(Booking, booking.id).status == CONFIRMED


def test_move_to_another_slot_of_the_venue(client, auth, slot, school, manager):
    booking = book(school, slot)
    later = make_slot(slot.program, starts_in=timedelta(days=8), capacity=40)
    tiny = make_slot(slot.program, starts_in=timedelta(days=9), capacity=20)
    elsewhere = make_slot(make_program(make_venue(slug="meninting", name="Meninting Bike Park")))
    auth.login(manager)
    page = client.get(f"/bookings/{booking.id}").get_data(as_text=True)
    assert f'value="{later.id}"' in page and f'value="{tiny.id}"' not in page and f'value="{elsewhere.id}"' not in page
    path = f"/bookings/{booking.id}"
    response = post_action(client, f"{path}/move", path, prefix="move", slot_id=str(elsewhere.id))
    assert response.status_code == 422 and message("other_venue") in response.get_data(as_text=True)
    response = post_action(client, f"{path}/move", path, prefix="move", slot_id=str(tiny.id))
    assert response.status_code == 409 and message("slot_full", headcount=32) in response.get_data(as_text=True)
    response = post_action(client, f"{path}/move", path, prefix="move", slot_id=str(later.id))
    assert response.status_code == 302
    db.session.rollback()
    assert db.session.get(Booking, booking.id).slot_id == later.id
    assert (db.session.get(type(slot), slot.id).held, db.session.get(type(slot), later.id).held) == (0, 32)


# -- check-in ---------------------------------------------------------------------------------


def test_check_in_finds_the_code_in_the_qr_text_and_checks_attendance(client, auth, school, factory):
    slot = make_slot(starts_in=timedelta(minutes=45))
    staff = factory.user("staff")
    booking = book(school, slot)
    with write_intent():
        services.confirm(booking, staff)
    auth.login(staff)
    page = client.get(f"/checkin?code=https://koin.example/b/{booking.code}")
    assert page.status_code == 200 and f'data-booking-id="{booking.id}"' in page.get_data(as_text=True)
    response = post_action(client, f"/bookings/{booking.id}/check-in", "/checkin", students="31", teachers="2")
    assert response.status_code == 422 and message("attendance_invalid") in response.get_data(as_text=True)
    assert db.session.get(Booking, booking.id).status == CONFIRMED
    response = client.post("/checkin", data={"csrf_token": csrf_token(client, "/checkin"), "code": "ABCD-EFGH"})
    assert response.status_code == 404 and 'id="code-error"' in response.get_data(as_text=True)
    response = post_action(client, f"/bookings/{booking.id}/check-in", "/checkin", students="28", teachers="2")
    assert response.status_code == 302
    db.session.expire_all()
    checked = db.session.get(Booking, booking.id)
    assert (checked.status, checked.attended_students, checked.attended_teachers) == (CHECKED_IN, 28, 2)


def test_no_show_after_the_slot_ends(client, auth, school, factory):
    slot = make_slot(starts_in=timedelta(hours=2))
    staff = factory.user("staff")
    past = utcnow() - timedelta(days=1)
    booking = book(school, slot)
    with write_intent():
        services.confirm(booking, staff)
    auth.login(staff)
    page = f"/checkin?code={booking.code}"
    assert "/no-show" not in client.get(page).get_data(as_text=True)
    response = post_action(client, f"/bookings/{booking.id}/no-show", page)
    assert response.status_code == 422 and message("slot_not_ended") in response.get_data(as_text=True)
    slot.starts_at, slot.ends_at = past - timedelta(hours=2), past
    db.session.commit()
    assert f"/bookings/{booking.id}/no-show" in client.get(page).get_data(as_text=True)
    assert post_action(client, f"/bookings/{booking.id}/no-show", page).status_code == 302
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == NO_SHOW
    db.session.rollback()
    assert db.session.get(Booking, booking.id).status == NO_SHOW


# -- CSV export and report --------------------------------------------------------------------


@pytest.fixture
def visits_done(app, slot, manager, factory):
    """Three bookings at the venue: completed (came 25 + 2), confirmed (30 + 2), pending."""
    staff = factory.user("staff")
    first, second, third = school_users(3, start=40)
    done = book(first, slot, students=28, teachers=2, level="SMA")
    confirmed = book(second, slot)
    pending = book(third, slot, students=12, teachers=1)
    now = slot.starts_at - timedelta(minutes=10)
    with write_intent():
        services.confirm(done, staff)
        services.confirm(confirmed, staff)
        visits.check_in(done, staff, 25, 2, now=now)
        visits.complete(done, staff, now=now)
    return done, confirmed, pending


def test_csv_export_by_date_range(client, auth, slot, manager, visits_done):
    done, confirmed, pending = visits_done
    auth.login(manager)
    day = slot.starts_at.astimezone(LOCAL).date()
    response = client.get(f"/manage/bookings.csv?from={day.isoformat()}&to={day.isoformat()}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.data.startswith("\ufeff".encode())  # Excel reads the file as UTF-8
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [row["code"] for row in rows] == [done.code, confirmed.code, pending.code]
    first = rows[0]
    assert first["status"] == COMPLETED and first["level"] == "SMA" and first["students"] == "28"
    assert first["npsn"] == "52010040" and first["regency"] and first["venue"] == slot.program.venue.name
    assert first["start_wita"] == slot.starts_at.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M")
    assert first["contact_phone"] == "+6281234567890"
    later = (day + timedelta(days=1)).isoformat()
    empty = client.get(f"/manage/bookings.csv?from={later}&to={later}").data.decode("utf-8-sig")
    assert empty.strip().splitlines() == [
        "code,venue,program,start_wita,school,npsn,regency,level,students,teachers,status,contact_name,contact_phone"
    ]
    assert client.get(f"/manage/bookings.csv?from={later}&to={day.isoformat()}").status_code == 400


def test_report_counts_visits_and_visitors(client, auth, slot, manager, visits_done):
    auth.login(manager)
    day = slot.starts_at.astimezone(LOCAL).date().isoformat()
    page = client.get(f"/manage/report?from={day}&to={day}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    # completed: 25 + 2 who came; confirmed: 30 + 2 booked; the pending request is not counted
    assert '<tr data-key="SMA"><th scope="row">SMA</th><td>1</td><td>25</td><td>2</td><td>27</td></tr>' in body
    assert '<tr data-key="SMP"><th scope="row">SMP</th><td>1</td><td>30</td><td>2</td><td>32</td></tr>' in body
    assert '<tr data-key="Kota Mataram"><th scope="row">Kota Mataram</th><td>2</td><td>55</td><td>4</td>' in body
    assert client.get("/manage/report?from=kemarin").status_code == 400


def test_report_only_counts_the_managers_venues(client, auth, slot, visits_done, factory):
    stranger = factory.user("venue_manager")
    venue = make_venue(slug="meninting-bike-park", name="Meninting Bike Park")
    venue.managers.append(stranger)
    db.session.commit()
    auth.login(stranger)
    day = slot.starts_at.astimezone(LOCAL).date().isoformat()
    assert 'data-key="SMA"' not in client.get(f"/manage/report?from={day}&to={day}").get_data(as_text=True)
    rows = client.get(f"/manage/bookings.csv?from={day}&to={day}").get_data(as_text=True).strip().splitlines()
    assert len(rows) == 1


def test_checked_in_status_constant_is_listed(client, auth, manager):
    auth.login(manager)
    assert f'value="{CHECKED_IN}"' in client.get("/manage/bookings").get_data(as_text=True)
