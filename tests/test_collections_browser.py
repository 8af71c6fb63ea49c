"""A business builds a collection in headless Chromium, in Indonesian, on a 390×844 phone: adds
three assets (two from catalogue cards, one from an asset page), moves one up with the buttons
that work without a script, renames the collection, shares it, and the link opens read-only for
a visitor who is not logged in."""

from __future__ import annotations

import re

import pytest

from koin_media.promo import collections

from .asset_helpers import approved_asset
from .browser_fixtures import assert_fits, log_in, save_screenshot

pytestmark = pytest.mark.browser
TIMEOUT_MS = 20_000
PHONE = {"width": 390, "height": 844}
TITLES = ("Tenun Sukarara", "Kopi Sembalun", "Gendang Beleq")


def new_page(browser, errors: list):
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, locale="id-ID", timezone_id="Asia/Makassar"
    )
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page


def item_titles(page) -> list[str]:
    return [text.strip() for text in page.locator("#items .item-title").all_inner_texts()]


def test_a_business_builds_reorders_renames_and_shares_a_collection(make_app, live_server, browser, factory):
    app = make_app()
    with app.app_context():
        creator, ikm = factory.user("creator", name="Baiq Nurul"), factory.user("ikm")
        ids = {title: approved_asset(creator, title).id for title in TITLES}
        email = ikm.email
    server = live_server(app)
    errors: list[str] = []
    page = new_page(browser, errors)
    log_in(page, server.url, email)

    # From a catalogue card into a new collection, made on the way.
    page.goto(f"{server.url}/assets")
    page.get_by_role("link", name=re.compile(r"^\+ Koleksi\s*: Tenun Sukarara$")).click()
    assert page.locator("h1").inner_text() == "Tambahkan ke koleksi"
    assert_fits(page)
    page.fill("#name", "Promo Lebaran")
    with page.expect_navigation():
        page.get_by_role("button", name="Buat dan tambahkan").click()
    assert page.url.endswith("/assets")
    assert "“Tenun Sukarara” ditambahkan ke “Promo Lebaran”." in page.locator(".flashes").inner_text()

    # From another card into that collection: one tap on its name.
    page.get_by_role("link", name=re.compile(r"^\+ Koleksi\s*: Kopi Sembalun$")).click()
    with page.expect_navigation():
        page.get_by_role("button", name="Promo Lebaran").click()
    assert "ditambahkan ke “Promo Lebaran”" in page.locator(".flashes").inner_text()

    # From an asset's own page.
    page.goto(f"{server.url}/assets/{ids['Gendang Beleq']}")
    page.get_by_role("link", name="+ Koleksi", exact=True).click()
    with page.expect_navigation():
        page.get_by_role("button", name="Promo Lebaran").click()
    assert page.url.endswith(f"/assets/{ids['Gendang Beleq']}")

    # The collection, from the menu.
    page.goto(f"{server.url}/collections")
    assert "3 media" in page.locator("#collections").inner_text()
    assert_fits(page)
    page.get_by_role("link", name="Promo Lebaran").click()
    assert item_titles(page) == list(TITLES)
    assert_fits(page)
    save_screenshot(page, "collection-phone", full_page=True)

    up = page.get_by_role("button", name="Naik: Gendang Beleq")
    up.scroll_into_view_if_needed()
    with page.expect_navigation():
        up.click()
    assert item_titles(page) == ["Tenun Sukarara", "Gendang Beleq", "Kopi Sembalun"]
    assert page.url.endswith("#item-" + page.locator("#items li").nth(1).get_attribute("data-item"))

    page.fill("#name", "Promo Lebaran 2027")
    with page.expect_navigation():
        page.get_by_role("button", name="Ganti nama").click()
    assert page.locator("h1").inner_text() == "Promo Lebaran 2027"

    with page.expect_navigation():
        page.get_by_role("button", name="Bagikan tautan baca-saja").click()
    link = page.locator("#share-link").inner_text().strip()
    assert link.startswith("http://127.0.0.1:8000/c/")
    assert page.get_by_role("button", name="Berhenti berbagi").is_visible()
    assert_fits(page)

    visitor = new_page(browser, errors)
    response = visitor.goto(server.url + link.removeprefix("http://127.0.0.1:8000"))
    assert response.status == 200
    assert visitor.locator("h1").inner_text() == "Promo Lebaran 2027"
    assert item_titles(visitor) == ["Tenun Sukarara", "Gendang Beleq", "Kopi Sembalun"]
    assert visitor.get_by_role("button", name="Naik: Gendang Beleq").count() == 0  # read-only
    assert visitor.context.cookies() == []  # looking set no cookie
    assert_fits(visitor)
    save_screenshot(visitor, "collection-shared-phone", full_page=True)
    assert errors == []


def test_a_name_of_one_long_word_never_widens_the_phone_page(make_app, live_server, browser, factory):
    """A collection may be named with 120 characters and no space: its page and the add page,
    where it shows as full, wrap it instead of scrolling the page sideways."""
    app = make_app(COLLECTION_MAX_ITEMS=1)
    long_name = "Kampanye_" + "X" * 111
    with app.app_context():
        creator, ikm = factory.user("creator", name="Baiq Nurul"), factory.user("ikm")
        first, second = (approved_asset(creator, title) for title in TITLES[:2])
        collection = collections.create_collection(ikm, long_name)
        collections.add_asset(collection, first, ikm)
        email, collection_id, second_id = ikm.email, collection.id, second.id
    server = live_server(app)
    errors: list[str] = []
    page = new_page(browser, errors)
    log_in(page, server.url, email)
    page.goto(f"{server.url}/collections/{collection_id}")
    assert long_name in page.locator("h1").inner_text().replace("\n", "")
    assert_fits(page)
    page.goto(f"{server.url}/collections/add?asset={second_id}")
    full = page.locator("button.collection-pick").first
    assert full.is_disabled() and "penuh" in full.inner_text()
    assert_fits(page)
    assert errors == []
