"""The share links on a phone (390x844, Indonesian): "Salin tautan" copies the page's public
address, "Bagikan ke WhatsApp" is a full-width tap target, nothing sticks out sideways, and the
system share sheet's button shows only where the browser has one."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from koin_media.extensions import db
from koin_media.promo import collections

from .asset_helpers import approved_asset
from .booking_helpers import make_venue
from .browser_fixtures import TIMEOUT_MS, assert_fits, on_screen, save_screenshot
from .conftest import Factory

pytestmark = pytest.mark.browser

PUBLIC = "https://media.koin.example"
PHONE = {"width": 390, "height": 844}


def test_copy_link_and_whatsapp_on_a_phone(make_app, live_server, browser):
    app = make_app(PUBLIC_URL=PUBLIC)
    with app.app_context():
        creator = Factory().user("creator", name="Baiq Nurul")
        asset = approved_asset(creator, "Tenun Sukarara", credit="Baiq Nurul", share_key="assets/tenun/share.jpg")
        venue = make_venue()
        business = Factory().user("ikm", email="tenun@contoh.id")
        collection = collections.create_collection(business, "Promosi Tenun")
        collections.add_asset(collection, asset, business)
        token = collections.share(collection).share_token
        db.session.commit()
        paths = {
            f"/assets/{asset.id}": "Tenun Sukarara",
            f"/venues/{venue.slug}": venue.name,
            f"/c/{token}": "Promosi Tenun",
        }
    server = live_server(app)
    context = browser.new_context(viewport=PHONE, locale="id-ID")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    for path, title in paths.items():
        page.goto(f"{server.url}{path}")
        share = page.locator("section.share")
        share.scroll_into_view_if_needed()
        assert share.locator("h2").inner_text() == "Bagikan halaman ini"

        whatsapp = page.locator("#share-whatsapp")
        assert whatsapp.inner_text() == "Bagikan ke WhatsApp"
        text = parse_qs(urlsplit(whatsapp.get_attribute("href")).query)["text"][0]
        assert text.startswith(title + "\n") and text.endswith(f"\n{PUBLIC}{path}")

        copy = page.get_by_role("button", name="Salin tautan")
        copy.scroll_into_view_if_needed()
        assert on_screen(page, copy) and on_screen(page, whatsapp)
        assert_fits(page)
        copy.click()
        page.locator("#share-copied", has_text="Tautan tersalin").wait_for()
        assert page.evaluate("navigator.clipboard.readText()") == f"{PUBLIC}{path}"

        # The share sheet's button: shown exactly where navigator.share exists.
        has_sheet = page.evaluate("typeof navigator.share === 'function'")
        assert page.locator("#share-native").is_visible() == has_sheet
        save_screenshot(page, f"share-{path.strip('/').replace('/', '-')}-phone")

    assert errors == []
    context.close()
