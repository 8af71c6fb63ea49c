"""WhatsApp on the school's booking pages in Chromium, in Indonesian, on a phone and a desktop:
the panel fits the screen with full-size tap targets, the copy button appears with script and
copies the parents' message, and axe finds nothing on either page."""

from __future__ import annotations

from datetime import timedelta

import pytest

from koin_media.booking import services, whatsapp
from koin_media.database import write_intent
from koin_media.extensions import db

from .booking_helpers import group_request, make_program, make_slot, make_venue, school_user
from .browser_fixtures import assert_fits, log_in, no_horizontal_scroll, on_screen, save_screenshot
from .conftest import Factory
from .test_accessibility import audit, readable

pytestmark = pytest.mark.browser

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}


def seed() -> dict:
    venue = make_venue()
    venue.contact_phone, venue.latitude, venue.longitude = "+6281987654321", -8.8953, 116.3052
    manager = Factory().user("venue_manager")
    venue.managers.append(manager)
    db.session.commit()
    program = make_program(venue)
    teacher = school_user()
    with write_intent():
        confirmed = services.book_slot(teacher, make_slot(program).id, group_request())
        services.confirm(confirmed, manager)
        pending = services.book_slot(teacher, make_slot(program, starts_in=timedelta(days=12)).id, group_request())
    return {
        "email": teacher.email,
        "confirmed": confirmed.id,
        "pending": pending.id,
        "parents_text": whatsapp.parents_text(confirmed),
    }


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_whatsapp_panel_fits_copies_and_passes_axe(make_app, live_server, browser, viewport):
    app = make_app()
    with app.app_context():
        data = seed()
    server = live_server(app)
    errors: list[str] = []
    # bypass_csp: only so that axe can be injected (as tests/test_accessibility.py does)
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale="id-ID", bypass_csp=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, server.url, data["email"])

    page.goto(f"{server.url}/bookings/{data['confirmed']}")
    assert_fits(page)
    chat = page.locator("#whatsapp-venue")
    chat.scroll_into_view_if_needed()
    assert on_screen(page, chat) and chat.get_attribute("href").startswith("https://wa.me/6281987654321?text=")
    copy = page.locator("#parents-copy")
    copy.scroll_into_view_if_needed()
    assert copy.is_visible() and on_screen(page, copy) and on_screen(page, page.locator("#parents-share"))
    copy.click()
    page.wait_for_function("document.getElementById('parents-copied').textContent.length > 0")
    assert page.locator("#parents-copied").text_content() == "Tersalin"
    assert page.evaluate("navigator.clipboard.readText()") == data["parents_text"]
    save_screenshot(page, f"whatsapp-booking-{viewport}", full_page=True)
    problems = readable("booking", audit(page))

    page.goto(f"{server.url}/bookings/{data['pending']}")
    assert page.locator("#parents-later").is_visible() and page.locator("#parents-text").count() == 0
    problems += readable("pending booking", audit(page))

    page.goto(f"{server.url}/my/bookings")
    assert no_horizontal_scroll(page)
    for link in (
        page.locator(f"#whatsapp-venue-{data['confirmed']}"),
        page.locator(f"#parents-share-{data['confirmed']}"),
    ):
        link.scroll_into_view_if_needed()
        assert on_screen(page, link)
    problems += readable("my bookings", audit(page))
    assert problems == [], "axe found:\n" + "\n".join(problems)
    assert errors == []
    context.close()
