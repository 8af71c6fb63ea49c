"""Must show: a booking journey in headless Chromium — a school finds a slot on the calendar,
books, staff confirm, and the school downloads the .ics."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from koin_media.booking.models import Booking
from koin_media.extensions import db

from .booking_helpers import make_program, make_slot, school_user
from .browser_fixtures import log_in

pytestmark = pytest.mark.browser
WITA = ZoneInfo("Asia/Makassar")
TIMEOUT_MS = 20_000


def test_school_books_on_the_calendar_staff_confirm_school_gets_the_ics(make_app, live_server, browser, factory):
    app = make_app()
    with app.app_context():
        program = make_program()
        slot = make_slot(program, starts_in=timedelta(days=10), capacity=60)
        school = school_user()
        staff = factory.user("staff")
        venue_slug, slot_id = program.venue.slug, slot.id
        month = slot.starts_at.astimezone(WITA).strftime("%Y-%m")
        school_email, staff_email = school.email, staff.email
    server = live_server(app)
    page_errors = []

    school_page = browser.new_context().new_page()
    school_page.set_default_timeout(TIMEOUT_MS)
    school_page.on("pageerror", lambda error: page_errors.append(str(error)))
    log_in(school_page, server.url, school_email)
    school_page.goto(f"{server.url}/venues/{venue_slug}/calendar?month={month}&group=27")
    with school_page.expect_navigation():
        school_page.click(f"a.slot-link[data-slot='{slot_id}']")
    assert f"/slots/{slot_id}/book" in school_page.url
    form = school_page.locator("form.booking-form")
    form.locator("[name=students]").fill("25")
    form.locator("[name=teachers]").fill("2")
    form.locator("[name=level]").select_option("SMP")
    form.locator("[name=contact_name]").fill("Baiq Nurul Aini")
    form.locator("[name=contact_phone]").fill("0812 3456 7890")
    form.locator("[name=consent]").check()
    with school_page.expect_navigation():
        form.locator("button[value=book]").click()

    with app.app_context():
        booking = db.session.scalar(db.select(Booking))
        assert booking is not None and booking.status == "pending" and booking.contact_phone == "+6281234567890"
        booking_id = booking.id
    assert school_page.url.endswith(f"/bookings/{booking_id}")

    staff_page = browser.new_context().new_page()
    staff_page.set_default_timeout(TIMEOUT_MS)
    log_in(staff_page, server.url, staff_email)
    staff_page.goto(f"{server.url}/bookings/{booking_id}")
    with staff_page.expect_navigation():
        staff_page.locator(f"form[action$='/bookings/{booking_id}/confirm'] button").click()
    with app.app_context():
        assert db.session.get(Booking, booking_id).status == "confirmed"

    school_page.goto(f"{server.url}/bookings/{booking_id}")
    with school_page.expect_download() as download_info:
        school_page.click("#ics-link")
    ics = download_info.value.path().read_text()
    assert "BEGIN:VCALENDAR" in ics and "TZID=Asia/Makassar" in ics
    with app.app_context():
        assert db.session.get(Booking, booking_id).code in ics
    assert page_errors == []
