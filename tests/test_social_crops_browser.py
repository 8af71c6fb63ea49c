"""The focus point editor in headless Chromium, in Indonesian, on a 390×844 phone and at 1280×800:
the creator taps the subject of a published photo, the marker and the four formats' outlines
follow, saving makes the crops again around it, and the photo stays published."""

from __future__ import annotations

from io import BytesIO

import pytest
from PIL import Image

from koin_media.assets.models import APPROVED, Asset
from koin_media.assets.services import approve
from koin_media.extensions import db
from koin_media.storage import get_storage

from .asset_helpers import plain_upload
from .browser_fixtures import assert_fits, log_in, on_screen, save_screenshot
from .conftest import Auth
from .test_social_crops import photo, red_centre

pytestmark = pytest.mark.browser
TIMEOUT_MS = 20_000
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
SUBJECT = (0.85, 0.2)


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
def test_creator_taps_the_subject_and_the_crops_follow(make_app, live_server, browser, factory, tmp_path, viewport):
    app = make_app()
    with app.app_context():
        creator = factory.user("creator", name="Baiq Nurul")
        client = app.test_client()
        Auth(client).login(creator)
        assert plain_upload(client, photo(tmp_path / "in.jpg", (3000, 2000), SUBJECT)).status_code in (302, 303)
        asset = db.session.scalar(db.select(Asset).where(Asset.owner_id == creator.id))
        approve(asset, factory.user("staff"))
        asset_id, email, before = asset.id, creator.email, dict(asset.crop_keys)
    server = live_server(app)
    errors: list[str] = []

    page = new_page(browser, viewport, errors)
    log_in(page, server.url, email)
    page.goto(f"{server.url}/assets/{asset_id}/edit")
    editor = page.locator("#focus")
    assert "Titik fokus untuk media sosial" in editor.inner_text()
    picture = page.locator(".focus-picture")
    picture.scroll_into_view_if_needed()
    box = picture.bounding_box()
    where = {"x": box["width"] * SUBJECT[0], "y": box["height"] * SUBJECT[1]}
    if viewport == "phone":
        picture.tap(position=where)
    else:
        picture.click(position=where)
    assert float(page.input_value("#focus_x")) == pytest.approx(85, abs=1)
    assert float(page.input_value("#focus_y")) == pytest.approx(20, abs=1)
    marker = page.locator(".focus-marker").bounding_box()
    assert marker["x"] + marker["width"] / 2 == pytest.approx(box["x"] + where["x"], abs=3)
    frames = page.locator(".focus-frame")
    assert frames.count() == 4 and all(frames.nth(i).is_visible() for i in range(4))
    # the square's outline is pushed against the right edge, as the crop will be
    square = frames.nth(0).bounding_box()
    assert square["x"] + square["width"] == pytest.approx(box["x"] + box["width"], abs=2)
    assert "Story/Reels/WhatsApp 9:16" in page.locator(".focus-legend").inner_text()
    assert_fits(page)
    if viewport == "phone":
        save_screenshot(page, "focus-point", full_page=True)

    save = page.get_by_role("button", name="Simpan titik fokus")
    save.scroll_into_view_if_needed()
    assert on_screen(page, save)
    with page.expect_navigation():
        save.click()
    assert "Titik fokus disimpan" in page.locator(".flashes").inner_text()
    assert errors == []

    with app.app_context():
        asset = db.session.get(Asset, asset_id)
        assert asset.status == APPROVED
        assert (asset.focus_x, asset.focus_y) == pytest.approx(SUBJECT, abs=0.01)
        assert asset.crop_keys != before
        square = Image.open(BytesIO(b"".join(get_storage().iter_chunks(asset.crop_keys["1x1"]))))
        assert red_centre(square) is not None
