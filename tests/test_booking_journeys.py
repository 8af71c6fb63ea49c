"""Booking journeys through HTTP: request, decisions, check-in, expiry, cancelling, waitlist."""

from __future__ import annotations

import html
from datetime import timedelta

from koin_media.booking import services
from koin_media.booking.models import (
    CANCELLED,
    CHECKED_IN,
    COMPLETED,
    CONFIRMED,
    EXPIRED,
    OFFERED,
    PENDING,
    REJECTED,
    Booking,
    WaitlistEntry,
)
from koin_media.booking.problems import BookingRefused
from koin_media.database import utcnow, write_intent
from koin_media.extensions import db

from .booking_helpers import make_slot, request_fields, school_users, seats_accounted
from .conftest import Auth, csrf_token


def form_data(**overrides) -> dict:
    """The request form as a browser sends it (the consent box is sent only when ticked)."""
    fields = request_fields(**overrides)
    data = {key: str(value) for key, value in fields.items() if key != "consent"}
    if fields["consent"] is True:
        data["consent"] = "y"
    return data


def message(code: str, **params) -> str:
    """A refusal's sentence as the page shows it (Indonesian, HTML-escaped)."""
    return html.escape(BookingRefused(code, params).message, quote=False)


def request_slot(client, slot_id: int, action: str = "book", **overrides):
    token = csrf_token(client, f"/slots/{slot_id}/book")
    return client.post(f"/slots/{slot_id}/book", data={**form_data(**overrides), "csrf_token": token, "action": action})


def post_action(client, path: str, page: str, prefix: str = "", **fields):
    token = csrf_token(client, page)
    name = f"{prefix}-csrf_token" if prefix else "csrf_token"
    data = {name: token, **{(f"{prefix}-{key}" if prefix else key): value for key, value in fields.items()}}
    return client.post(path, data=data)


def last_booking() -> Booking:
    db.session.rollback()
    return db.session.scalars(db.select(Booking).order_by(Booking.id.desc())).first()


def switch(client, user):
    auth = Auth(client)
    auth.logout()
    auth.login(user)


def test_request_confirm_check_in_complete(client, auth, slot, school, manager, factory):
    slot.starts_at = utcnow() + timedelta(minutes=30)  # check-in opens two hours before
    slot.ends_at = slot.starts_at + timedelta(hours=2)
    db.session.commit()
    auth.login(school)
    page = client.get(f"/slots/{slot.id}/book")
    assert page.status_code == 200
    assert "Mengenal Teknologi Balap" in page.get_data(as_text=True)
    assert "Sepatu tertutup" in page.get_data(as_text=True)  # the program's requirements
    response = request_slot(client, slot.id)
    assert response.status_code == 302
    booking = last_booking()
    assert response.headers["Location"].endswith(f"/bookings/{booking.id}")
    assert (booking.status, booking.contact_phone, booking.headcount) == (PENDING, "+6281234567890", 32)
    assert seats_accounted(slot.id) == (32, 32)
    detail = client.get(f"/bookings/{booking.id}").get_data(as_text=True)
    assert f'data-status="{PENDING}"' in detail and booking.code[:4] + "-" + booking.code[4:] in detail

    switch(client, manager)
    listing = client.get(f"/manage/bookings?venue={slot.program.venue_id}&day={slot.starts_at.date().isoformat()}")
    assert f'id="booking-{booking.id}"' in listing.get_data(as_text=True) or listing.status_code == 200
    response = post_action(client, f"/bookings/{booking.id}/confirm", f"/bookings/{booking.id}")
    assert response.status_code == 302
    assert last_booking().status == CONFIRMED

    typed = f" {booking.code[:4].lower()} - {booking.code[4:].lower()} "
    page = client.post("/checkin", data={"csrf_token": csrf_token(client, "/checkin"), "code": typed})
    assert page.status_code == 200 and f'data-booking-id="{booking.id}"' in page.get_data(as_text=True)
    response = post_action(client, f"/bookings/{booking.id}/check-in", "/checkin", students="28", teachers="2")
    assert response.status_code == 302 and booking.code in response.headers["Location"]
    checked = last_booking()
    assert (checked.status, checked.attended_students, checked.attended_teachers) == (CHECKED_IN, 28, 2)
    response = post_action(client, f"/bookings/{booking.id}/complete", f"/checkin?code={booking.code}")
    assert response.status_code == 302
    assert last_booking().status == COMPLETED
    assert seats_accounted(slot.id) == (0, 0)

    switch(client, school)
    detail = client.get(f"/bookings/{booking.id}").get_data(as_text=True)
    assert f'data-status="{COMPLETED}"' in detail


def test_confirmed_booking_shows_printable_confirmation_and_files(client, auth, slot, school, manager, app):
    auth.login(school)
    request_slot(client, slot.id)
    booking = last_booking()
    with write_intent():
        services.confirm(booking, manager)
    page = client.get(f"/bookings/{booking.id}").get_data(as_text=True)
    assert 'class="confirmation"' in page and "booking.css" in page
    if "booking.ics" in app.view_functions:
        assert f"/bookings/{booking.id}/calendar.ics" in page and f"/bookings/{booking.id}/qr.svg" in page


def test_request_then_reject_shows_the_reason_to_the_school(client, auth, slot, school, manager):
    auth.login(school)
    request_slot(client, slot.id)
    booking = last_booking()
    switch(client, manager)
    page = f"/bookings/{booking.id}"
    response = post_action(client, f"{page}/reject", page, prefix="reject", reason="  ")
    assert response.status_code == 422
    assert message("reason_required") in response.get_data(as_text=True)
    assert last_booking().status == PENDING
    response = post_action(client, f"{page}/reject", page, prefix="reject", reason="Sirkuit dipakai untuk balapan.")
    assert response.status_code == 302
    assert last_booking().status == REJECTED and seats_accounted(slot.id) == (0, 0)
    switch(client, school)
    assert "Sirkuit dipakai untuk balapan." in client.get(page).get_data(as_text=True)
    assert "Sirkuit dipakai untuk balapan." in client.get("/my/bookings").get_data(as_text=True)


def test_request_expires_and_gives_its_seats_back(client, auth, slot, school, manager):
    auth.login(school)
    request_slot(client, slot.id)
    booking = last_booking()
    assert seats_accounted(slot.id) == (32, 32)
    with write_intent():
        expired = services.expire_pending(now=utcnow() + timedelta(hours=73))
    assert [b.id for b in expired] == [booking.id]
    assert last_booking().status == EXPIRED and seats_accounted(slot.id) == (0, 0)
    switch(client, manager)
    response = post_action(client, f"/bookings/{booking.id}/confirm", f"/bookings/{booking.id}")
    assert response.status_code == 409  # wrong_status: it expired
    assert message("wrong_status", status=EXPIRED) in response.get_data(as_text=True)


def test_school_cancels_inside_the_window(client, auth, slot, school):
    auth.login(school)
    request_slot(client, slot.id)
    booking = last_booking()
    page = f"/bookings/{booking.id}"
    response = post_action(client, f"{page}/cancel", page, prefix="cancel", reason="")
    assert response.status_code == 302
    assert last_booking().status == CANCELLED and seats_accounted(slot.id) == (0, 0)


def test_school_cannot_cancel_outside_the_window_but_staff_can(client, auth, factory, school):
    slot = make_slot(starts_in=timedelta(hours=30))  # inside the 48 hours before the visit
    auth.login(school)
    request_slot(client, slot.id)
    booking = last_booking()
    page = f"/bookings/{booking.id}"
    assert 'id="cancel-closed"' in client.get(page).get_data(as_text=True)
    response = post_action(client, f"{page}/cancel", page, prefix="cancel", reason="")
    assert response.status_code == 422
    assert message("cancel_window_passed", hours=48) in response.get_data(as_text=True)
    assert last_booking().status == PENDING

    switch(client, factory.user("staff"))
    response = post_action(client, f"{page}/cancel", page, prefix="cancel", reason="")
    assert response.status_code == 422 and message("reason_required") in response.get_data(as_text=True)
    response = post_action(client, f"{page}/cancel", page, prefix="cancel", reason="Jalan ke sirkuit ditutup.")
    assert response.status_code == 302
    cancelled = last_booking()
    assert (cancelled.status, cancelled.cancelled_reason) == (CANCELLED, "Jalan ke sirkuit ditutup.")
    switch(client, school)
    assert "Jalan ke sirkuit ditutup." in client.get(page).get_data(as_text=True)


def test_waitlist_offer_after_a_cancellation(client, auth, school):
    slot = make_slot(capacity=40)
    (first,) = school_users(1, start=10)
    auth.login(first)
    assert request_slot(client, slot.id, students=36, teachers=3).status_code == 302
    taken = last_booking()

    switch(client, school)
    page = client.get(f"/slots/{slot.id}/book").get_data(as_text=True)
    assert 'id="waitlist-offer"' not in page  # 4 places are still free
    response = request_slot(client, slot.id)
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert message("slot_full", headcount=32) in body and 'id="waitlist-offer"' in body
    response = request_slot(client, slot.id, action="waitlist")
    assert response.status_code == 302 and response.headers["Location"].endswith("/my/bookings")
    entry = db.session.scalars(db.select(WaitlistEntry)).one()
    assert 'data-status="waiting"' in client.get("/my/bookings").get_data(as_text=True)

    switch(client, first)
    page = f"/bookings/{taken.id}"
    assert post_action(client, f"{page}/cancel", page, prefix="cancel", reason="").status_code == 302

    switch(client, school)
    db.session.refresh(entry)
    assert entry.status == OFFERED
    listing = client.get("/my/bookings").get_data(as_text=True)
    assert f"/waitlist/{entry.id}/accept" in listing
    response = post_action(client, f"/waitlist/{entry.id}/accept", "/my/bookings")
    assert response.status_code == 302
    booking = last_booking()
    assert (booking.school_id, booking.status, booking.headcount) == (school.school_id, PENDING, 32)
    assert seats_accounted(slot.id) == (32, 32)


def test_another_coordinator_of_the_same_school_sees_the_booking(client, auth, slot, school, factory):
    auth.login(school)
    request_slot(client, slot.id)
    booking = last_booking()
    # approved by the school (one who only named its NPSN sees nothing: test_school_coordinators)
    colleague = factory.user("school", npsn=school.school.npsn, coordinator_status="approved")
    switch(client, colleague)
    assert client.get(f"/bookings/{booking.id}").status_code == 200
    assert f'id="booking-{booking.id}"' in client.get("/my/bookings").get_data(as_text=True)
