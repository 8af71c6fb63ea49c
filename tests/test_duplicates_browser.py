"""The duplicate warning in headless Chromium, on a 390x844 phone, in Indonesian: a creator
uploads a photo, then the same photo again; the second row of the uploader says it was uploaded
before and links to the first, and so does My uploads."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from koin_media.assets.models import Asset, AssetDuplicate
from koin_media.extensions import db
from tests import samples
from tests.browser_fixtures import assert_fits, save_screenshot, signed_in_page
from tests.conftest import Factory

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
FILE_INPUT = "#uploader input.uppy-Dashboard-input[type=file]:not([webkitdirectory])"


def upload_once(page, base: str, path, title: str):
    """Open the uploader, set the batch's licence and consent, give the file its title, upload,
    and return the row once the app said it is done."""
    page.goto(f"{base}/upload")
    page.wait_for_selector("#uploader .uppy-Dashboard")
    page.select_option("#batch-license", "CC-BY-4.0")
    page.check("#batch-consent")
    page.set_input_files(FILE_INPUT, str(path))
    row = page.locator(f'.upload-results li[data-file="{path.name}"]')
    row.locator("button[data-action=details]").click()
    page.fill("#file-title", title)
    page.click("#file-sheet button[value=save]")
    page.locator("#file-sheet").wait_for(state="hidden")
    page.click("#upload-start")
    page.locator(f'.upload-results li[data-file="{path.name}"][data-state="done"]').wait_for()
    return row


def test_uploading_the_same_photo_twice_shows_the_warning_with_a_link(app, live_server, browser, tmp_path):
    photo = samples.jpeg(tmp_path / "tenun.jpg", size=(1200, 900))
    email = Factory().user("creator", email="kreator-duplikat@contoh.id").email
    server = live_server(app)
    errors: list[str] = []
    page = signed_in_page(browser, server.url, email, PHONE, errors)

    first_row = upload_once(page, server.url, photo, "Tenun Sukarara")
    first_id = int(first_row.get_attribute("data-asset-id"))
    # Once its processing is over the row is told what was found: nothing, so nothing shows.
    expect(first_row.locator(".upload-result-duplicates")).to_have_count(1)
    expect(first_row.locator(".upload-result-duplicates")).to_be_hidden()

    again = upload_once(page, server.url, photo, "Tenun lagi")
    warning = again.locator(".upload-result-duplicates .duplicate")
    expect(warning).to_have_text("Anda sudah mengunggah ini: «Tenun Sukarara».")
    expect(warning.locator("a")).to_have_attribute("href", f"/assets/{first_id}")
    assert_fits(page)
    save_screenshot(page, "duplicate-upload")

    page.goto(f"{server.url}/my/assets")
    note = page.locator(".duplicates-note .duplicate")
    expect(note).to_have_count(1)
    expect(note.locator("a")).to_have_attribute("href", f"/assets/{first_id}")
    assert_fits(page)
    note.locator("a").click()
    page.wait_for_url(f"{server.url}/assets/{first_id}")

    db.session.remove()  # read what the server's threads wrote, not this session's snapshot
    with app.app_context():
        found = db.session.execute(select(AssetDuplicate.asset_id, AssetDuplicate.other_id, AssetDuplicate.kind)).all()
        titles = dict(db.session.execute(select(Asset.id, Asset.title)).all())
    assert [(titles[a], titles[o], kind) for a, o, kind in found] == [("Tenun lagi", "Tenun Sukarara", "exact")]
    assert errors == []
