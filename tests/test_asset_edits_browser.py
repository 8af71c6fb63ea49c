"""Editing a published asset in headless Chromium, in Indonesian, on a 390×844 phone and at
1280×800: a creator fixes the description (live at once, no review) and changes the title (the
published title stays everywhere while the change waits); staff see the change in the moderation
queue as "published → proposed", approve it, and the new title is live."""

from __future__ import annotations

import pytest

from koin_media.assets.models import Asset
from koin_media.extensions import db

from .asset_helpers import approved_asset
from .booking_helpers import make_venue
from .browser_fixtures import assert_fits, log_in, on_screen, save_screenshot

pytestmark = pytest.mark.browser
TIMEOUT_MS = 20_000
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}


def new_page(browser, name: str, errors: list):
    mobile = name == "phone"
    context = browser.new_context(
        viewport=VIEWPORTS[name], is_mobile=mobile, has_touch=mobile, locale="id-ID", timezone_id="Asia/Makassar"
    )
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_creator_edits_a_published_asset_and_staff_approve_the_title(make_app, live_server, browser, factory, viewport):
    app = make_app()
    with app.app_context():
        creator, staff = factory.user("creator", name="Baiq Nurul"), factory.user("staff")
        venue = make_venue()
        asset = approved_asset(creator, "Sunrise Bukit Merese", description="Pagi di bukit", venue=venue)
        asset_id, venue_slug, creator_email, staff_email = asset.id, venue.slug, creator.email, staff.email
    server = live_server(app)
    errors: list[str] = []
    edit_url, public_url = f"{server.url}/assets/{asset_id}/edit", f"{server.url}/assets/{asset_id}"

    creator_page = new_page(browser, viewport, errors)
    log_in(creator_page, server.url, creator_email)
    creator_page.goto(edit_url)
    # Said before saving: what goes live at once, what waits, and that the asset stays up.
    rules = creator_page.locator("#edit-rules")
    assert "tetap tayang selama Anda menyuntingnya" in rules.inner_text()
    assert_fits(creator_page)

    creator_page.fill("#description", "Matahari terbit di bukit Merese, Kuta Mandalika")
    save = creator_page.get_by_role("button", name="Simpan", exact=True)
    save.scroll_into_view_if_needed()
    assert on_screen(creator_page, save)
    with creator_page.expect_navigation():
        save.click()
    assert "Perubahan sudah tayang sekarang." in creator_page.locator(".flashes").inner_text()
    assert creator_page.locator("#pending-edit").count() == 0
    with app.app_context():
        live = db.session.get(Asset, asset_id)
        assert live.status == "approved" and live.description.startswith("Matahari terbit")

    creator_page.fill("#title", "Fajar di Bukit Merese")
    with creator_page.expect_navigation():
        creator_page.get_by_role("button", name="Simpan", exact=True).click()
    flash = creator_page.locator(".flashes").inner_text()
    assert "Versi yang terbit tetap tayang" in flash and "Judul" in flash
    pending = creator_page.locator("#pending-edit")
    assert "Sunrise Bukit Merese" in pending.inner_text() and "Fajar di Bukit Merese" in pending.inner_text()
    assert creator_page.get_by_role("button", name="Tarik perubahan ini").is_visible()
    assert_fits(creator_page)
    if viewport == "phone":
        save_screenshot(creator_page, "asset-edit-pending", full_page=True)

    visitor = new_page(browser, viewport, errors)
    visitor.goto(public_url)
    assert visitor.locator("h1").inner_text() == "Sunrise Bukit Merese"
    visitor.goto(f"{server.url}/venues/{venue_slug}")
    assert "Sunrise Bukit Merese" in visitor.locator("main").inner_text()

    staff_page = new_page(browser, viewport, errors)
    log_in(staff_page, server.url, staff_email)
    staff_page.goto(f"{server.url}/moderation")
    row = staff_page.locator("tr.queue-edit")
    assert "Perubahan" in row.locator(".edit-kind").inner_text()
    change = row.locator(".edit-change")
    assert "Sunrise Bukit Merese" in change.locator("del").inner_text()
    assert "Fajar di Bukit Merese" in change.locator("ins").inner_text()
    review = row.get_by_role("link", name="Tinjau perubahan")
    review.scroll_into_view_if_needed()
    assert on_screen(staff_page, review)
    assert_fits(staff_page)
    if viewport == "phone":
        save_screenshot(staff_page, "moderation-queue", full_page=True)
    with staff_page.expect_navigation():
        review.click()
    assert "Fajar di Bukit Merese" in staff_page.locator("#pending-edit").inner_text()
    staff_page.locator("input[name=decision][value=approve]").check()
    decide = staff_page.get_by_role("button", name="Simpan keputusan")
    decide.scroll_into_view_if_needed()
    assert on_screen(staff_page, decide)
    assert_fits(staff_page)
    with staff_page.expect_navigation():
        decide.click()
    assert "sudah tayang sekarang" in staff_page.locator(".flashes").inner_text()

    visitor.goto(public_url)
    assert visitor.locator("h1").inner_text() == "Fajar di Bukit Merese"
    creator_page.goto(edit_url)
    assert creator_page.locator("#pending-edit").count() == 0
    assert errors == []
