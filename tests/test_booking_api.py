"""The bookings JSON API: request (201, 409 slot_full, 422 per field), detail, decisions,
cancelling and check-in, with bearer tokens and with the session."""

from __future__ import annotations

from datetime import timedelta

import pytest

from koin_media.booking import services
from koin_media.booking.models import (
    CANCELLED,
    CHECKED_IN,
    COMPLETED,
    CONFIRMED,
    NO_SHOW,
    PENDING,
    REJECTED,
    Booking,
)
from koin_media.booking.problems import BookingRefused
from koin_media.database import write_intent
from koin_media.extensions import db

from .booking_helpers import (
    group_request,
    make_slot,
    make_venue,
    request_fields,
    school_user,
    school_users,
    seats_accounted,
)
from .conftest import PASSWORD, csrf_token


def bearer(client, user) -> dict:
    response = client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def english(message_code: str, **params) -> str:
    return str(BookingRefused(message_code, params).message)


def test_request_returns_201_with_id_code_and_status(client, slot, school):
    response = client.post(
        "/api/v1/bookings", json={"slot_id": slot.id, **request_fields()}, headers=bearer(client, school)
    )
    assert response.status_code == 201
    body = response.get_json()
    booking = db.session.get(Booking, body["id"])
    assert body == {"id": booking.id, "code": booking.code, "status": PENDING}
    assert response.headers["Location"].endswith(f"/api/v1/bookings/{booking.id}")
    assert booking.contact_phone == "+6281234567890" and seats_accounted(slot.id) == (32, 32)


def test_slot_full_is_409(client, school):
    slot = make_slot(capacity=30)
    response = client.post(
        "/api/v1/bookings", json={"slot_id": slot.id, **request_fields()}, headers=bearer(client, school)
    )
    assert response.status_code == 409
    body = response.get_json()
    assert body["error"] == "slot_full" and body["message"]
    assert seats_accounted(slot.id) == (0, 0)


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"students": 9}, "students", "group_too_small"),
        ({"students": 41, "teachers": 3}, "students", "group_too_large"),
        ({"students": 31, "teachers": 2}, "teachers", "too_few_teachers"),
        ({"level": "SD"}, "level", "level_not_offered"),
        ({"contact_phone": "+1 415 555 0100"}, "contact_phone", "bad_phone"),
        ({"consent": False}, "consent", "consent_missing"),
    ],
)
def test_rule_violations_are_422_per_field(client, slot, school, overrides, field, code):
    school.locale = "en"
    db.session.commit()
    headers = bearer(client, school)
    response = client.post(
        "/api/v1/bookings", json={"slot_id": slot.id, **request_fields(**overrides)}, headers=headers
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == code and "reason" not in body  # one shape: the rule's code is the error
    assert list(body["errors"]) == [field] and body["errors"][field][0] == body["message"]
    assert db.session.query(Booking).count() == 0


def test_clear_english_messages(client, slot, school):
    school.locale = "en"
    db.session.commit()
    headers = bearer(client, school)
    fields = {"slot_id": slot.id, **request_fields(students=31, teachers=2)}
    body = client.post("/api/v1/bookings", json=fields, headers=headers).get_json()
    assert body["errors"] == {"teachers": ["Bring at least 3 teachers for 31 students (one for every 15)."]}


@pytest.mark.parametrize(
    ("body", "field"),
    [({"students": "tiga"}, "students"), ({"slot_id": None}, "slot_id"), ({"teachers": -1}, "teachers")],
)
def test_malformed_fields_are_422(client, slot, school, body, field):
    fields = {"slot_id": slot.id, **request_fields(), **body}
    response = client.post("/api/v1/bookings", json=fields, headers=bearer(client, school))
    assert response.status_code == 422 and field in response.get_json()["errors"]


def test_slot_refusals(client, slot, school):
    headers = bearer(client, school)
    response = client.post("/api/v1/bookings", json={"slot_id": 999999, **request_fields()}, headers=headers)
    assert response.status_code == 422 and response.get_json()["errors"] == {"slot_id": [english("slot_not_found")]}
    slot.is_open = False
    db.session.commit()
    response = client.post("/api/v1/bookings", json={"slot_id": slot.id, **request_fields()}, headers=headers)
    assert response.status_code == 422 and response.get_json()["error"] == "slot_closed"
    past = make_slot(slot.program, starts_in=timedelta(hours=-3))
    response = client.post("/api/v1/bookings", json={"slot_id": past.id, **request_fields()}, headers=headers)
    assert response.status_code == 422 and response.get_json()["error"] == "slot_past"
    assert seats_accounted(slot.id) == (0, 0) and seats_accounted(past.id) == (0, 0)
    assert db.session.scalar(db.select(Booking.id)) is None  # no refusal left a booking behind


def test_school_refusals(client, slot, school, factory):
    response = client.post(
        "/api/v1/bookings", json={"slot_id": slot.id, **request_fields()}, headers=bearer(client, school_user(False, 1))
    )
    assert response.status_code == 422 and response.get_json()["error"] == "school_unverified"
    response = client.post(
        "/api/v1/bookings", json={"slot_id": slot.id, **request_fields()}, headers=bearer(client, factory.user("ikm"))
    )
    assert response.status_code == 403  # as on the request form: only schools book
    headers = bearer(client, school)
    assert (
        client.post("/api/v1/bookings", json={"slot_id": slot.id, **request_fields()}, headers=headers).status_code
        == 201
    )
    response = client.post("/api/v1/bookings", json={"slot_id": slot.id, **request_fields()}, headers=headers)
    assert response.status_code == 409 and response.get_json()["error"] == "duplicate_request"
    assert seats_accounted(slot.id) == (32, 32)  # the one booking; the refused ones hold nothing


def test_anonymous_is_401_and_bad_json_is_4xx(client, slot, school):
    assert client.post("/api/v1/bookings", json={"slot_id": slot.id}).status_code == 401
    headers = bearer(client, school)
    assert client.post("/api/v1/bookings", data="slot_id=1", headers=headers).status_code == 415
    response = client.post("/api/v1/bookings", data="[1]", headers={**headers, "Content-Type": "application/json"})
    assert response.status_code == 400


def test_detail_is_404_for_other_schools_and_other_venues(client, slot, school, manager, factory):
    with write_intent():
        booking = services.book_slot(school, slot.id, group_request())
    body = client.get(f"/api/v1/bookings/{booking.id}", headers=bearer(client, school)).get_json()
    assert body["code"] == booking.code and body["status"] == PENDING and body["slot"]["id"] == slot.id
    assert body["school"]["npsn"] == school.school.npsn and body["contact_phone"] == "+6281234567890"
    assert client.get(f"/api/v1/bookings/{booking.id}", headers=bearer(client, manager)).status_code == 200
    (other,) = school_users(1, start=60)
    assert client.get(f"/api/v1/bookings/{booking.id}", headers=bearer(client, other)).status_code == 404
    stranger = factory.user("venue_manager")
    venue = make_venue(slug="meninting-bike-park", name="Meninting Bike Park")
    venue.managers.append(stranger)
    db.session.commit()
    stranger_headers = bearer(client, stranger)
    assert client.get(f"/api/v1/bookings/{booking.id}", headers=stranger_headers).status_code == 404
    assert client.post(f"/api/v1/bookings/{booking.id}/confirm", headers=stranger_headers).status_code == 404
    assert client.get("/api/v1/bookings/999999", headers=bearer(client, school)).status_code == 404


def test_decisions_and_check_in(client, slot, school, manager):
    slot = make_slot(slot.program, starts_in=timedelta(minutes=30))
    with write_intent():
        booking = services.book_slot(school, slot.id, group_request())
    school_headers, manager_headers = bearer(client, school), bearer(client, manager)
    assert client.post(f"/api/v1/bookings/{booking.id}/confirm", headers=school_headers).status_code == 403
    response = client.post(f"/api/v1/bookings/{booking.id}/confirm", headers=manager_headers)
    assert response.status_code == 200 and response.get_json()["status"] == CONFIRMED
    response = client.post(f"/api/v1/bookings/{booking.id}/confirm", headers=manager_headers)
    assert response.status_code == 409 and response.get_json()["error"] == "wrong_status"
    url = f"/api/v1/bookings/{booking.id}/check-in"
    response = client.post(url, json={"students": 40, "teachers": 2}, headers=manager_headers)
    assert response.status_code == 422 and list(response.get_json()["errors"]) == ["students"]
    response = client.post(url, json={"students": 29, "teachers": 2}, headers=manager_headers)
    assert response.status_code == 200
    body = response.get_json()
    assert (body["status"], body["attended_students"], body["attended_teachers"]) == (CHECKED_IN, 29, 2)
    # The rest of the gate's buttons: no-show only for a confirmed group, complete once checked in.
    assert client.post(f"/api/v1/bookings/{booking.id}/complete", headers=school_headers).status_code == 403
    response = client.post(f"/api/v1/bookings/{booking.id}/no-show", headers=manager_headers)
    assert response.status_code == 409 and response.get_json()["error"] == "wrong_status"
    assert "complete" in body["actions"]
    response = client.post(f"/api/v1/bookings/{booking.id}/complete", headers=manager_headers)
    assert response.status_code == 200 and response.get_json()["status"] == COMPLETED
    assert response.get_json()["actions"] == []


def test_a_group_that_never_came_is_marked_once_its_session_ended(client, slot, school, manager):
    with write_intent():
        booking = services.book_slot(school, slot.id, group_request())
        services.confirm(booking, manager)
    headers = bearer(client, manager)
    response = client.post(f"/api/v1/bookings/{booking.id}/no-show", headers=headers)
    assert response.status_code == 422 and response.get_json()["error"] == "slot_not_ended"
    slot_row = db.session.get(type(slot), slot.id)
    with write_intent():
        slot_row.starts_at, slot_row.ends_at = (
            slot_row.starts_at - timedelta(days=30),
            slot_row.ends_at - timedelta(days=30),
        )
        db.session.commit()
    response = client.post(f"/api/v1/bookings/{booking.id}/no-show", headers=headers)
    assert response.status_code == 200 and response.get_json()["status"] == NO_SHOW
    assert seats_accounted(slot.id) == (0, 0)


def test_reject_needs_a_reason(client, slot, school, manager):
    with write_intent():
        booking = services.book_slot(school, slot.id, group_request())
    headers = bearer(client, manager)
    response = client.post(f"/api/v1/bookings/{booking.id}/reject", json={}, headers=headers)
    assert response.status_code == 422 and list(response.get_json()["errors"]) == ["reason"]
    response = client.post(
        f"/api/v1/bookings/{booking.id}/reject", json={"reason": "Penuh untuk acara."}, headers=headers
    )
    assert response.status_code == 200
    assert response.get_json()["status"] == REJECTED and response.get_json()["decision_reason"] == "Penuh untuk acara."
    assert seats_accounted(slot.id) == (0, 0)


def test_cancel_by_school_and_by_staff(client, school, factory):
    soon = make_slot(starts_in=timedelta(hours=20))
    later = make_slot(soon.program, starts_in=timedelta(days=10))
    with write_intent():
        near = services.book_slot(school, soon.id, group_request())
        far = services.book_slot(school, later.id, group_request())
    headers = bearer(client, school)
    response = client.post(f"/api/v1/bookings/{near.id}/cancel", headers=headers)
    assert response.status_code == 422 and response.get_json()["error"] == "cancel_window_passed"
    response = client.post(f"/api/v1/bookings/{far.id}/cancel", headers=headers)
    assert response.status_code == 200 and response.get_json()["status"] == CANCELLED
    staff_headers = bearer(client, factory.user("staff"))
    response = client.post(f"/api/v1/bookings/{near.id}/cancel", json={}, headers=staff_headers)
    assert response.status_code == 422 and list(response.get_json()["errors"]) == ["reason"]
    response = client.post(f"/api/v1/bookings/{near.id}/cancel", json={"reason": "Banjir."}, headers=staff_headers)
    assert response.status_code == 200 and response.get_json()["cancelled_reason"] == "Banjir."
    db.session.expire_all()
    assert (near.status, near.cancelled_reason, far.status) == (CANCELLED, "Banjir.", CANCELLED)
    assert seats_accounted(soon.id) == (0, 0) and seats_accounted(later.id) == (0, 0)  # the seats came back


def test_session_calls_need_the_csrf_token(client, auth, slot, school):
    auth.login(school)
    fields = {"slot_id": slot.id, **request_fields()}
    assert client.post("/api/v1/bookings", json=fields).status_code == 400
    assert seats_accounted(slot.id) == (0, 0) and db.session.scalar(db.select(Booking.id)) is None
    token = csrf_token(client, "/my/bookings")
    response = client.post("/api/v1/bookings", json=fields, headers={"X-CSRFToken": token})
    assert response.status_code == 201
    assert seats_accounted(slot.id) == (32, 32)
