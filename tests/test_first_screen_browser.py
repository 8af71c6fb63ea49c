"""What a phone's first screen offers (issue 10): on a 390x844 phone, in Indonesian, the upload
page opens on the way to add files, the moderation review puts its decision within reach, and
the catalogue shows its cards with the filters folded under "Saring" (open on a desktop)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from koin_media.accounts.models import User
from koin_media.assets import services
from koin_media.assets.models import APPROVED, Asset
from koin_media.extensions import db

from . import samples
from .asset_helpers import approved_asset, plain_upload
from .browser_fixtures import TIMEOUT_MS, assert_fits, no_horizontal_scroll, on_screen, save_screenshot, signed_in_page
from .conftest import Auth, Factory
from .test_asset_edits import post_edit

pytestmark = pytest.mark.browser
PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 800}

# Each select of a form with the width its chosen option's text needs and the width it has
# (its content box less the drop-down arrow), as [id, needed, room].
SELECT_ROOM = """(form) => [...form.querySelectorAll('select')].map((select) => {
    const style = getComputedStyle(select);
    const context = document.createElement('canvas').getContext('2d');
    context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const text = select.options[select.selectedIndex].text;
    const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 16;
    return [select.id, Math.ceil(context.measureText(text).width), Math.floor(room)];
})"""


def visitor_page(browser, viewport: dict):
    page = browser.new_context(viewport=viewport, locale="id-ID").new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page


def test_on_a_phone_the_upload_page_opens_on_adding_files(make_app, storage_settings, live_server, browser, tmp_path):
    app = make_app(**storage_settings("local"))
    with app.app_context():
        email = Factory().user("creator").email
    server = live_server(app)
    page = signed_in_page(browser, server.url, email, PHONE)
    page.goto(f"{server.url}/upload")
    page.wait_for_selector("#uploader .uppy-Dashboard")

    # The first screen's button adds files (not a grey, disabled "add files to upload").
    add = page.locator("#upload-start")
    assert add.is_enabled() and add.inner_text() == "Pilih berkas"
    assert on_screen(page, add)
    save_screenshot(page, "upload-first-screen")

    # The batch's selects: one column on a phone, each as wide as the form (two by two cut the
    # licence to "CC BY 4.0 — bo"); a short choice fits whole.
    page.select_option("#batch-license", "CC-BY-4.0")
    form = page.locator("#batch-form")
    width = form.bounding_box()["width"]
    for name, needed, room in form.evaluate(SELECT_ROOM):
        assert room >= width - 48, (name, room, width)
        if name != "batch-license":
            assert needed <= room, (name, needed, room)
    lefts = page.locator("#batch-form .field").evaluate_all("fields => fields.map(f => f.getBoundingClientRect().left)")
    assert len(set(lefts)) == 1, lefts
    assert_fits(page)

    with page.expect_file_chooser() as chooser:
        add.click()
    chooser.value.set_files(str(samples.jpeg(tmp_path / "tenun.jpg")))
    page.locator('.upload-results li[data-file="tenun.jpg"]').wait_for()
    expect(add).to_have_text("Unggah 1 berkas")  # now the same button uploads
    assert on_screen(page, add)
    assert_fits(page)


def test_on_a_phone_the_review_decision_is_within_reach(make_app, storage_settings, live_server, browser, tmp_path):
    app = make_app(**storage_settings("local"))
    with app.app_context():
        factory = Factory()
        creator, staff = factory.user("creator"), factory.user("staff")
        creator_email, staff_email = creator.email, staff.email
    client = app.test_client()
    Auth(client).login(creator_email)
    assert plain_upload(client, samples.jpeg(tmp_path / "pasar.jpg")).status_code == 302  # a portrait photo
    with app.app_context():  # rejected once and sent again: the page has a history to show
        asset = db.session.scalar(select(Asset))
        services.reject(asset, db.session.get(User, staff.id), "Buram")
        assert post_edit(client, asset, title="Pasar Seni Senggigi, lebih tajam").status_code == 302
        asset_id = asset.id
    server = live_server(app)
    page = signed_in_page(browser, server.url, staff_email, PHONE)
    page.goto(f"{server.url}/moderation/{asset_id}")
    page.wait_for_load_state("load")  # the photo has its height

    # Approve, reason and the button sit within the first screen and a half, before the details.
    decide = page.get_by_role("button", name="Simpan keputusan")
    limit = PHONE["height"] * 1.5
    for control in (page.locator("input[name=decision][value=approve]"), decide):
        box = control.bounding_box()
        assert box["y"] + box["height"] <= limit, box
    facts = page.locator("dl.facts").bounding_box()
    assert facts["y"] > decide.bounding_box()["y"]  # the long metadata follows the decision
    history = page.get_by_role("heading", name="Riwayat")
    gap = "h => h.getBoundingClientRect().top - h.previousElementSibling.getBoundingClientRect().bottom"
    assert history.evaluate(gap) >= 16  # the heading does not stick to what comes before it
    assert_fits(page)
    save_screenshot(page, "moderation-review", full_page=True)

    page.locator("input[name=decision][value=approve]").check()
    decide.scroll_into_view_if_needed()
    assert on_screen(page, decide)
    with page.expect_navigation():
        decide.click()
    assert page.locator(".flashes").is_visible()
    with app.app_context():
        assert db.session.get(Asset, asset_id).status == APPROVED


def test_on_a_phone_the_catalogue_opens_on_the_cards(make_app, live_server, browser):
    app = make_app()
    with app.app_context():
        creator = Factory().user("creator")
        for title in ("Tenun Sukarara", "Pantai Kuta", "Kopi Sembalun"):
            approved_asset(creator, title)
    server = live_server(app)

    for visit in range(2):  # the second visit is served from the visitors' page cache
        page = visitor_page(browser, PHONE)
        page.goto(f"{server.url}/assets")
        assert on_screen(page, page.locator("#q"))  # the search box stays in the first screen
        assert not page.locator("#kind").is_visible()  # the other filters fold under "Saring"
        fold = page.locator("summary", has_text="Saring")
        assert on_screen(page, fold)
        card = page.locator(".asset-grid > *").first.bounding_box()
        assert card["y"] + 120 <= PHONE["height"], (visit, card)
        assert_fits(page)
    save_screenshot(page, "catalog")

    fold.click()
    assert on_screen(page, page.locator("#kind"))
    page.select_option("#kind", "image")
    with page.expect_navigation():
        page.get_by_role("button", name="Tampilkan").click()
    assert "kind=image" in page.url
    assert page.locator("#kind").is_visible()  # a narrowed list shows its filters open
    assert no_horizontal_scroll(page)

    page = visitor_page(browser, DESKTOP)
    page.goto(f"{server.url}/assets")
    assert not page.locator("summary", has_text="Saring").is_visible()
    for name in ("q", "kind", "community", "regency", "license", "sort"):
        assert page.locator(f"#{name}").is_visible(), name
    assert page.locator(".asset-grid > *").first.bounding_box()["y"] < DESKTOP["height"]
    save_screenshot(page, "catalog-desktop")
    assert no_horizontal_scroll(page)
