"""Must show: a closure in headless Chromium at a phone's size, in Indonesian. Staff close the
visit's day, the school opens its booking, sees the sessions held for it, taps one and is
moved; the closure's page then says the school moved ("Pindah")."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from koin_media.booking import services
from koin_media.booking.models import Booking
from koin_media.database import write_intent
from koin_media.extensions import db

from .booking_helpers import group_request, make_program, make_slot, school_user
from .browser_fixtures import assert_fits, on_screen, save_screenshot, signed_in_page

pytestmark = pytest.mark.browser
WITA = ZoneInfo("Asia/Makassar")
PHONE = {"width": 390, "height": 844}


def test_staff_close_a_day_and_the_school_moves_with_one_tap(make_app, live_server, browser, factory):
    app = make_app()
    with app.app_context(), write_intent():
        program = make_program()
        slot = make_slot(program, starts_in=timedelta(days=10), capacity=60)
        alternative = make_slot(program, starts_in=timedelta(days=12), capacity=60)
        school = school_user()
        staff = factory.user("staff")
        booking = services.book_slot(school, slot.id, group_request())
        services.confirm(booking, staff)
        day = slot.starts_at.astimezone(WITA).date().isoformat()
        venue_slug, booking_id, alternative_id = program.venue.slug, booking.id, alternative.id
        school_email, staff_email = school.email, staff.email
    server = live_server(app)
    errors = []

    staff_page = signed_in_page(browser, server.url, staff_email, PHONE, errors)
    staff_page.goto(f"{server.url}/venues/{venue_slug}/manage#closures")
    staff_page.fill("#closure-date_from", day)
    staff_page.fill("#closure-date_to", day)
    staff_page.fill("#closure-reason", "Balapan MotoGP")
    with staff_page.expect_navigation():
        staff_page.locator("form[action$='/closures'] button[type=submit]").click()
    assert "Penutupan disimpan" in staff_page.content()

    school_page = signed_in_page(browser, server.url, school_email, PHONE, errors)
    school_page.goto(f"{server.url}/bookings/{booking_id}")
    notice = school_page.locator("#reschedule-notice")
    assert "Balapan MotoGP" in notice.inner_text()
    with school_page.expect_navigation():
        school_page.click("#alternatives-link")
    assert school_page.url.endswith(f"/bookings/{booking_id}/alternatives")
    assert school_page.locator("h1").inner_text() == "Pilih jadwal lain"
    offers = school_page.locator("li.alternative[data-open=yes]")
    assert offers.count() == 1
    take = offers.first.locator("button", has_text="Pindah ke jadwal ini")
    take.scroll_into_view_if_needed()
    assert on_screen(school_page, take)
    assert_fits(school_page)
    save_screenshot(school_page, "reschedule-alternatives-phone", full_page=True)
    with school_page.expect_navigation():
        take.click()
    assert school_page.url.endswith(f"/bookings/{booking_id}")
    assert "Kunjungan Anda sudah dipindahkan" in school_page.content()
    assert school_page.locator("#reschedule-notice").count() == 0
    with app.app_context():
        assert db.session.get(Booking, booking_id).slot_id == alternative_id

    staff_page.goto(f"{server.url}/venues/{venue_slug}/manage#closures")
    with staff_page.expect_navigation():
        staff_page.locator("a.closure-report-link").first.click()
    row = staff_page.locator("#reschedules tbody tr").first
    assert row.get_attribute("data-answer") == "moved" and "Pindah" in row.inner_text()
    assert staff_page.locator('dd[data-answer="moved"]').inner_text() == "1"
    assert_fits(staff_page)
    save_screenshot(staff_page, "reschedule-closure-phone", full_page=True)
    assert errors == []
