"""Usage rights in headless Chromium, in Indonesian, on a 390×844 phone: a creator gives a
published asset a usable-until date (earlier than none: live at once) and uploads the consent
document on the edit page; the page shows "Boleh dipakai sampai …", and the document opens for
the creator as a download."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from koin_media.assets.models import Asset
from koin_media.extensions import db
from koin_media.localtime import local_today

from .asset_helpers import approved_asset
from .browser_fixtures import assert_fits, log_in, on_screen, save_screenshot

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def test_creator_sets_the_date_and_uploads_the_consent_document_on_a_phone(make_app, live_server, browser, factory,
                                                                          tmp_path: Path):  # fmt: skip
    app = make_app()
    with app.app_context():
        creator = factory.user("creator", name="Baiq Nurul")
        asset_id, email = approved_asset(creator, "Peresean di Lenek").id, creator.email
    server = live_server(app)
    errors: list[str] = []
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, locale="id-ID", timezone_id="Asia/Makassar"
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, server.url, email)
    page.goto(f"{server.url}/assets/{asset_id}/edit")

    until = local_today() + timedelta(days=60)
    date_input = page.locator("#usable_until")
    assert date_input.get_attribute("type") == "date"
    date_input.fill(until.isoformat())
    save = page.get_by_role("button", name="Simpan", exact=True)
    save.scroll_into_view_if_needed()
    assert on_screen(page, save)
    with page.expect_navigation():
        save.click()
    assert "sudah tayang sekarang" in page.locator(".flashes").inner_text()  # a shorter period: live at once
    with app.app_context():
        assert db.session.get(Asset, asset_id).usable_until == until

    document = tmp_path / "Persetujuan Model.pdf"
    document.write_bytes(PDF)
    page.set_input_files("#release", str(document))
    upload = page.get_by_role("button", name="Unggah dokumen")
    upload.scroll_into_view_if_needed()
    assert on_screen(page, upload)
    with page.expect_navigation():
        upload.click()
    assert "Dokumen persetujuan tersimpan" in page.locator(".flashes").inner_text()
    link = page.locator("#release-current a")
    assert link.inner_text() == "Persetujuan Model.pdf"
    assert_fits(page)
    save_screenshot(page, "usage-rights-edit", full_page=True)
    with page.expect_download() as download:
        link.click()
    assert Path(download.value.path()).read_bytes() == PDF

    page.goto(f"{server.url}/assets/{asset_id}")
    line = page.locator("#usable-until").inner_text()
    assert line.startswith("Boleh dipakai sampai ") and str(until.year) in line
    assert_fits(page)
    assert errors == []
