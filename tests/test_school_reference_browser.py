"""Registration's NPSN lookup in a real browser (Chromium, Indonesian, a phone): typing the NPSN
fills the school's name, regency and level from the national reference, under the page's CSP;
an NPSN the reference lacks says so; the filled form registers the school."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from koin_media.accounts.models import User
from koin_media.extensions import db
from koin_media.reference.models import ReferenceSchool, Regency

from .browser_fixtures import assert_fits, save_screenshot
from .conftest import PASSWORD

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 20_000


def test_typing_the_npsn_fills_the_school_on_a_phone(make_app, live_server, browser):
    app = make_app()
    with app.app_context():
        regency = db.session.scalar(select(Regency).where(Regency.slug == "lombok-tengah"))
        db.session.add(
            ReferenceSchool(npsn="50203456", name="SMA NEGERI 1 PRAYA", level="SMA", regency=regency, snapshot="t")
        )
        db.session.commit()
    server = live_server(app)
    page = browser.new_context(viewport=PHONE, locale="id-ID").new_page()
    page.set_default_timeout(TIMEOUT_MS)
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    # Chromium logs the lookup's expected 404 as "Failed to load resource"; a CSP refusal or a
    # script error is a problem.
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if message.type == "error" and not message.text.startswith("Failed to load resource")
            else None
        ),
    )

    page.goto(f"{server.url}/register/school")
    status = page.locator("#npsn-lookup-status")
    page.locator("#npsn").press_sequentially("50209999")
    expect(status).to_contain_text("tidak ada dalam referensi sekolah nasional")
    assert page.input_value("#school_name") == ""

    page.fill("#npsn", "")
    page.locator("#npsn").press_sequentially("50203456")
    expect(page.locator("#school_name")).to_have_value("SMA NEGERI 1 PRAYA")
    assert page.input_value("#regency") == "lombok-tengah"
    assert page.is_checked('input[name="levels"][value="SMA"]')
    assert not page.is_checked('input[name="levels"][value="SMP"]')
    assert "Diisi dari referensi sekolah nasional: SMA NEGERI 1 PRAYA (SMA, Lombok Tengah)" in status.text_content()
    assert_fits(page)
    save_screenshot(page, "register-school-npsn-lookup")

    page.fill("#name", "Ibu Baiq")
    page.fill("#email", "baiq@contoh.id")
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    with page.expect_navigation():
        page.locator("main button[type=submit]").click()
    assert problems == []
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "baiq@contoh.id"))
        assert (user.school.name, user.school.regency.slug, user.school.level_set) == (
            "SMA NEGERI 1 PRAYA",
            "lombok-tengah",
            {"SMA"},
        )
