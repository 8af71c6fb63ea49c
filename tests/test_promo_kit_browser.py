"""The must-show of the promo kit, in headless Chromium, in Indonesian, on a 390×844 phone: a
business gathers three assets into a collection through the pages, asks for the kit, waits
for it to be ready, downloads it, and the ZIP opens with Python's zipfile holding the three
files, the credits in both languages and the licence URLs."""

from __future__ import annotations

import zipfile

import pytest

from koin_media.assets import attribution
from koin_media.assets.models import LICENSE_URLS, Asset
from koin_media.extensions import db

from .browser_fixtures import assert_fits, log_in, save_screenshot
from .kit_helpers import MIB, stored_asset

pytestmark = pytest.mark.browser
TIMEOUT_MS = 20_000
PHONE = {"width": 390, "height": 844}
ASSETS = (("Tenun Sukarara", "CC-BY-4.0"), ("Kopi Sembalun", "CC-BY-SA-4.0"), ("Gendang Beleq", "NTB-PROMO"))


def test_a_business_downloads_a_kit_of_its_collection(make_app, live_server, browser, factory, tmp_path):
    app = make_app()
    with app.app_context():
        creator, ikm = factory.user("creator", name="Baiq Nurul"), factory.user("ikm", business_name="Kopi Sembalun")
        made = [stored_asset(creator, title, MIB + n, license=license) for n, (title, license) in enumerate(ASSETS)]
        ids, contents = [asset.id for asset, _data in made], [data for _asset, data in made]
        email = ikm.email
    server = live_server(app)
    errors: list[str] = []
    context = browser.new_context(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        locale="id-ID",
        timezone_id="Asia/Makassar",
        accept_downloads=True,
    )
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, server.url, email)

    # Three assets into one collection, from their pages.
    for number, asset_id in enumerate(ids):
        page.goto(f"{server.url}/assets/{asset_id}")
        page.get_by_role("link", name="+ Koleksi").click()
        with page.expect_navigation():
            if number == 0:
                page.fill("#name", "Promosi Kopi Sembalun")
                page.get_by_role("button", name="Buat dan tambahkan").click()
            else:
                page.get_by_role("button", name="Promosi Kopi Sembalun").click()

    page.goto(f"{server.url}/collections")
    page.get_by_role("link", name="Promosi Kopi Sembalun").click()
    request = page.locator("#kit-request")
    request.scroll_into_view_if_needed()
    assert_fits(page)
    request.get_by_label("Unggahan media sosial").check()
    request.get_by_label("Saya akan memakai media ini sesuai lisensinya dan mencantumkan baris kreditnya.").check()
    with page.expect_navigation():
        request.get_by_role("button", name="Unduh kit").click()

    # The kit's page: it polls while the kit is made, then shows the download.
    assert "/kits/" in page.url
    page.locator("#kit-expiry").wait_for()
    assert page.locator(".kit-status").inner_text() == "Siap"
    assert "Tautan berlaku sampai" in page.locator("#kit-expiry").inner_text()
    assert "3 berkas" in page.locator("#kit-summary").inner_text()
    assert_fits(page)
    save_screenshot(page, "kit-phone", full_page=True)
    with page.expect_download() as download_info:
        page.locator("#kit-download").click()
    download = download_info.value
    assert download.suggested_filename == "Promosi Kopi Sembalun.zip"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)

    with zipfile.ZipFile(saved) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert names == [
            "01 Tenun Sukarara.jpg",
            "02 Kopi Sembalun.jpg",
            "03 Gendang Beleq.jpg",
            "KREDIT.txt",
            "CREDITS.txt",
            "KREDIT.html",
        ]
        assert [archive.read(name) for name in names[:3]] == contents
        kredit, credits = archive.read("KREDIT.txt").decode(), archive.read("CREDITS.txt").decode()
        html = archive.read("KREDIT.html").decode()
    with app.app_context():  # the attribution of each asset's page, word for word, in both languages
        for asset_id in ids:
            asset = db.session.get(Asset, asset_id)
            assert attribution.plain(asset, "id") in kredit and attribution.plain(asset, "en") in credits
            assert str(attribution.html(asset, "id")) in html and str(attribution.html(asset, "en")) in html
    assert "Baiq Nurul" in kredit and "Baiq Nurul" in credits
    for text in (kredit, credits, html):
        assert LICENSE_URLS["CC-BY-4.0"] in text and LICENSE_URLS["CC-BY-SA-4.0"] in text
        assert "/licenses/NTB-PROMO" in text
    assert errors == []
    context.close()
