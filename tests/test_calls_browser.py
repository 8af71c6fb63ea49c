"""A creator answers a call for content on a phone (390x844, Indonesian): from the list of calls
to the call's page, into the uploader with the call's presets shown and filled in, one photo
up; the asset is the call's, with its presets. The pages fit the phone and the desktop."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from koin_media.assets.calls import save_call
from koin_media.assets.models import PENDING_REVIEW, Asset
from koin_media.database import utcnow
from koin_media.extensions import db
from koin_media.localtime import LOCAL
from koin_media.reference.models import Regency
from koin_media.venues.models import Venue
from tests import samples
from tests.browser_fixtures import assert_fits, on_screen, save_screenshot, signed_in_page
from tests.conftest import Factory

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
TIMEOUT_MS = 60_000
FILE_INPUT = "#uploader input.uppy-Dashboard-input[type=file]:not([webkitdirectory])"


@pytest.mark.parametrize("backend", ["local"])
def test_a_creator_uploads_into_a_call_with_its_presets_on_a_phone(
    storage_app, live_server, browser, tmp_path, backend
):
    factory = Factory()
    creator = factory.user("creator", email="kreator-panggilan@contoh.id")
    staff = factory.user("staff")
    regency = db.session.scalar(select(Regency).where(Regency.slug == "lombok-tengah"))
    venue = Venue(slug="pantai-seger", name="Pantai Seger", regency=regency)
    db.session.add(venue)
    db.session.commit()
    deadline = utcnow().astimezone(LOCAL).date() + timedelta(days=10)
    call = save_call(
        None,
        {
            "title": "Bau Nyale 2027",
            "brief": "Foto tradisi menangkap nyale di Pantai Seger, saat fajar.",
            "deadline": deadline,
            "tags": "baunyale2027, Lombok Tengah",
            "venue": venue,
            "regency": regency,
            "license": "NTB-PROMO",
            "required_fields": ["description"],
            "status": "open",
        },
        staff,
    )
    slug, email, staff_email = call.slug, creator.email, staff.email
    ids = {"call": call.id, "venue": venue.id, "regency": regency.id, "creator": creator.id}
    photo = samples.jpeg(tmp_path / "nyale.jpg")
    server = live_server(storage_app)

    errors: list[str] = []
    page = signed_in_page(browser, server.url, email, PHONE, errors)
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{server.url}/calls")
    assert_fits(page)
    page.click(f'li[data-slug="{slug}"] h2 a')
    page.wait_for_url(f"**/calls/{slug}")
    assert "Batas " in page.inner_text("#call-deadline")
    button = page.locator("#call-upload")
    assert button.inner_text().strip() == "Unggah untuk panggilan ini"
    assert on_screen(page, button)
    assert_fits(page)
    save_screenshot(page, "call")

    button.click()
    page.wait_for_selector("#uploader .uppy-Dashboard")
    # The call's presets, shown above the uploader and filled into the batch details.
    note = page.locator("#call-note")
    assert "Bau Nyale 2027" in note.inner_text() and "baunyale2027" in note.inner_text()
    assert page.input_value("#batch-license") == "NTB-PROMO"
    assert page.input_value("#batch-venue") == "pantai-seger"
    assert page.input_value("#batch-regency") == "lombok-tengah"
    assert_fits(page)
    save_screenshot(page, "call-upload")

    page.check("#batch-consent")
    page.set_input_files(FILE_INPUT, [str(photo)])
    row = page.locator('.upload-results li[data-file="nyale.jpg"]')
    row.wait_for()
    # The call requires a description: without one the page already says the details are missing.
    expect(row).to_have_attribute("data-details", "incomplete")
    row.locator("button[data-action=details]").click()
    assert page.input_value("#file-tags") == "baunyale2027, Lombok Tengah"
    page.fill("#file-title", "Nyale di Pantai Seger")
    page.fill("#file-description", "Warga menangkap nyale saat fajar.")
    page.click("#file-sheet button[value=save]")
    page.locator("#file-sheet").wait_for(state="hidden")
    expect(row).to_have_attribute("data-details", "complete")  # set as the sheet closes
    page.click("#upload-start")
    page.locator('.upload-results li[data-file="nyale.jpg"][data-state="done"]').wait_for(timeout=TIMEOUT_MS)
    assert errors == []

    db.session.remove()
    asset = db.session.scalar(select(Asset).where(Asset.owner_id == ids["creator"]))
    assert asset.call_id == ids["call"]
    assert (asset.license, asset.venue_id, asset.regency_id) == ("NTB-PROMO", ids["venue"], ids["regency"])
    assert asset.tag_list == ["baunyale2027", "Lombok Tengah"]
    assert asset.status == PENDING_REVIEW

    desktop = signed_in_page(browser, server.url, staff_email, DESKTOP)
    desktop.goto(f"{server.url}/calls/{slug}")
    assert desktop.locator("#call-staff").is_visible()
    assert_fits(desktop)
    desktop.goto(f"{server.url}/calls/manage")
    assert_fits(desktop)
