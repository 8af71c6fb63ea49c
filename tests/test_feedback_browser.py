"""After the visit in headless Chromium, in Indonesian: the school, on a 390×844 phone, finds the
certificate and the feedback form on its booking page, rates the visit by tapping a choice and
sends a comment; the venue's manager, at a desk (1280×800), reads it on the program's line."""

from __future__ import annotations

from datetime import timedelta

import pytest

from koin_media.extensions import db
from koin_media.visits.after_models import VisitFeedback

from .after_visit_helpers import completed_visit
from .booking_helpers import make_program, make_slot, make_venue, school_user
from .browser_fixtures import assert_fits, log_in, no_horizontal_scroll, on_screen, save_screenshot

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 800}


def test_a_school_rates_its_visit_on_a_phone_and_the_manager_reads_it(make_app, live_server, browser, factory):
    app = make_app()
    with app.app_context():
        venue = make_venue()
        slot = make_slot(make_program(venue), starts_in=timedelta(days=4))
        manager = factory.user("venue_manager")
        venue.managers.append(manager)
        db.session.commit()
        school = school_user()
        booking_id = completed_visit(school, slot, manager).id
        emails = (school.email, manager.email)
    server = live_server(app)
    errors: list[str] = []

    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="id-ID")
    page = phone.new_page()
    page.set_default_timeout(20_000)
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, server.url, emails[0])
    page.goto(f"{server.url}/bookings/{booking_id}")
    certificate = page.locator("#certificate-link")
    assert certificate.inner_text() == "Sertifikat kehadiran (PDF)"
    with page.expect_download() as download:
        certificate.click()
    assert download.value.suggested_filename.startswith("sertifikat-kunjungan-")
    with page.expect_navigation():
        page.locator("#feedback-link").click()

    choice = page.get_by_label("4 – sangat baik")
    choice.scroll_into_view_if_needed()
    assert on_screen(page, page.locator("label", has=choice))  # the whole line is the tap target
    choice.tap()
    page.fill("#comment", "Pemandu ramah; anak-anak belajar banyak tentang keselamatan.")
    send = page.get_by_role("button", name="Kirim penilaian")
    send.scroll_into_view_if_needed()
    assert on_screen(page, send)
    assert_fits(page)
    save_screenshot(page, "feedback-phone", full_page=True)
    with page.expect_navigation():
        send.click()
    assert "Penilaian Anda sudah disimpan" in page.locator(".flashes").inner_text()
    with app.app_context():
        given = db.session.scalar(db.select(VisitFeedback))
        assert (given.booking_id, given.rating) == (booking_id, 4)
    phone.close()

    desk = browser.new_context(viewport=DESK, locale="id-ID")
    page = desk.new_page()
    page.set_default_timeout(20_000)
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, server.url, emails[1])
    page.goto(f"{server.url}/venues/sirkuit-mandalika/manage")
    with page.expect_navigation():
        page.locator("#feedback-link").click()
    line = page.locator("table.feedback-summary tbody tr").first
    assert "4,0 / 5" in line.inner_text() and "1" in line.locator(".feedback-count").inner_text()
    assert "Pemandu ramah" in page.locator(".feedback-list").inner_text()
    assert no_horizontal_scroll(page)
    desk.close()
    assert errors == []
