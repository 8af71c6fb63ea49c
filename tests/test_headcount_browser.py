"""The final headcount page in Chromium, in Indonesian, on a phone and a desktop: no axe
violations, nothing wider than the screen, 44 px buttons; the school lowers its numbers from
the booking page's button and the booking page then says "Jumlah akhir dikonfirmasi"."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from koin_media.booking import services
from koin_media.database import write_intent
from koin_media.extensions import db

from .booking_helpers import group_request, make_slot, school_user
from .browser_fixtures import TIMEOUT_MS, assert_fits, log_in, on_screen, save_screenshot
from .test_accessibility import AXE, readable
from .test_accessibility import audit as axe_violations

pytestmark = pytest.mark.browser
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_school_confirms_a_lower_headcount_from_the_booking_page(make_app, live_server, browser, factory, viewport):
    assert AXE.exists(), "node_modules/axe-core is missing: run `make frontend`"
    app = make_app()
    with app.app_context():
        slot = make_slot(capacity=60)
        school, staff = school_user(), factory.user("staff")
        with write_intent():
            booking = services.confirm(services.book_slot(school, slot.id, group_request()), staff)
        booking_id, email = booking.id, school.email
        db.session.remove()
    server = live_server(app)
    errors: list[str] = []
    # bypass_csp: axe is injected as a script, as tests/test_accessibility.py does
    page = browser.new_context(viewport=VIEWPORTS[viewport], locale="id-ID", bypass_csp=True).new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, server.url, email)

    page.goto(f"{server.url}/bookings/{booking_id}")
    button = page.locator("form[data-action=headcount] button")
    button.scroll_into_view_if_needed()
    assert on_screen(page, button)
    with page.expect_navigation():
        button.click()
    assert urlsplit(page.url).path == f"/bookings/{booking_id}/headcount"
    assert page.locator("h1").inner_text() == "Jumlah akhir rombongan"
    assert readable(page.url, axe_violations(page)) == []
    assert_fits(page)
    save_screenshot(page, f"headcount-{viewport}", full_page=True)

    page.fill("#students", "24")
    page.fill("#teachers", "2")
    submit = page.locator("#headcount-form button[type=submit]")
    submit.scroll_into_view_if_needed()
    assert on_screen(page, submit)
    with page.expect_navigation():
        submit.click()
    assert page.url.endswith(f"/bookings/{booking_id}")
    assert "Jumlah akhir dikonfirmasi" in page.locator("#headcount-confirmed").inner_text()
    assert "24 siswa, 2 guru" in page.locator("main").inner_text()
    assert_fits(page)
    assert errors == []
    with app.app_context():
        assert db.session.get(type(booking), booking_id).students == 24
