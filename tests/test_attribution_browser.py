"""On a phone, in Indonesian: a business picks what the file is for, downloads it, then copies the
Indonesian attribution from the asset page and pastes exactly the text the site gives."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from koin_media.assets import attribution
from koin_media.assets.models import Asset, AssetDownload
from koin_media.extensions import db
from koin_media.storage import get_storage

from . import samples
from .asset_helpers import approved_asset
from .browser_fixtures import TIMEOUT_MS, assert_fits, log_in, on_screen, save_screenshot

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def test_pick_a_purpose_download_and_copy_the_attribution_on_a_phone(make_app, live_server, browser, factory, tmp_path):
    app = make_app()
    with app.app_context():
        creator = factory.user("creator", name="Baiq Nurul")
        asset = approved_asset(creator, "Kebun Kopi Sembalun", credit="Foto: Baiq Nurul", license="NTB-PROMO")
        get_storage().put(asset.storage_key, samples.jpeg(tmp_path), "image/jpeg")
        ikm = factory.user("ikm", business_name="Kopi Sembalun Lestari")
        asset_id, email = asset.id, ikm.email
    server = live_server(app)
    with app.app_context():
        # The words are built with the address the site is reached at in this test.
        app.config["PUBLIC_URL"] = server.url
        expected = attribution.texts(db.session.get(Asset, asset_id))["id"]["plain"]

    context = browser.new_context(viewport=PHONE, locale="id-ID", permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, server.url, email)
    page.goto(f"{server.url}/assets/{asset_id}")

    # Without a purpose the browser does not send the form (the server would refuse it too).
    page.check("input[name=accept_license]")
    assert page.evaluate("document.querySelector('input[name=purpose]').validity.valueMissing")
    page.get_by_label("Unggahan media sosial").check()
    button = page.locator(".download-form button[type=submit]")
    button.scroll_into_view_if_needed()
    assert on_screen(page, button)
    with page.expect_download() as download_info:
        button.click()
    assert download_info.value.path().stat().st_size > 0
    with app.app_context():
        logged = db.session.scalars(select(AssetDownload)).all()
        assert [(d.business_name, d.purpose) for d in logged] == [("Kopi Sembalun Lestari", "social")]

    page.goto(f"{server.url}/assets/{asset_id}")
    copy = page.locator("button[data-copy=attribution-asset-id-plain]")
    copy.scroll_into_view_if_needed()
    assert copy.is_visible() and copy.inner_text() == "Salin" and on_screen(page, copy)
    save_screenshot(page, "attribution-phone")
    copy.click()
    page.locator("#attribution-asset-id-plain-status", has_text="Tersalin").wait_for()
    pasted = page.evaluate("navigator.clipboard.readText()")
    assert pasted == expected
    assert pasted.startswith("“Kebun Kopi Sembalun” — Foto: Baiq Nurul") and "Sumber: KOIN Media NTB" in pasted
    assert pasted.endswith(f"Lisensi Promosi NTB: {server.url}/licenses/NTB-PROMO")
    assert_fits(page)

    # The licence URL in the text leads to the office's terms, in Indonesian and English.
    page.goto(pasted.rsplit(": ", 1)[1])
    assert page.locator("h1").inner_text() == "Lisensi Promosi NTB"
    assert page.locator("section[lang=en] h2").is_visible()
    assert_fits(page)
    assert errors == []
    context.close()
