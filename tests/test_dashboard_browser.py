"""The dashboard in Chromium, in Indonesian, on a 390x844 phone and a 1280x800 desktop: every
chart drawn and inside the screen's width, no sideways scroll (with the number tables open
too), a CSV link that downloads the chart's file, and no axe violation with the tables open."""

from __future__ import annotations

import pytest

from .browser_fixtures import assert_fits, log_in, no_horizontal_scroll, save_screenshot, signed_in_page
from .dashboard_seed import FIRST, LAST, seed
from .test_accessibility import AXE, audit, readable

pytestmark = pytest.mark.browser

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
CHARTS = 10


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_dashboard_on_a_phone_and_a_desktop(make_app, live_server, browser, viewport):
    app = make_app()
    with app.app_context():
        data = seed()
    server = live_server(app)
    size = VIEWPORTS[viewport]
    errors: list[str] = []
    page = signed_in_page(browser, server.url, data["staff"], size, errors)
    page.goto(f"{server.url}/office/dashboard?from={FIRST}&to={LAST}")

    assert page.locator("h1").inner_text() == "Dasbor kantor"
    plots = page.locator("svg.plot")
    assert plots.count() == CHARTS
    for i in range(CHARTS):
        plot = plots.nth(i)
        plot.scroll_into_view_if_needed()
        assert plot.is_visible()
        box = plot.bounding_box()
        # drawn at a readable size and within the screen: the viewBox scales it
        assert 250 <= box["width"] <= size["width"] and box["x"] >= 0 and box["height"] > 40
    assert plots.first.get_attribute("role") == "img"
    title = page.locator("#chart-visits-venue svg > title").first.text_content()
    assert title.startswith("Kunjungan per bulan menurut tempat")
    assert_fits(page)
    save_screenshot(page, f"dashboard-{viewport}", full_page=True)

    # The numbers behind every chart: open, they still fit (cards on a phone).
    for summary in page.locator("details.numbers > summary").all():
        summary.click()
    assert no_horizontal_scroll(page)
    assert page.locator('[data-cell="students|2025-11|students"]').inner_text() == "47"

    # Each chart's CSV downloads with the period in its name.
    link = page.locator("#chart-visits-venue .chart-export a")
    link.scroll_into_view_if_needed()
    with page.expect_download() as started:
        link.click()
    download = started.value
    assert download.suggested_filename == f"koin-visits-venue-{FIRST}-{LAST}.csv"
    with open(download.path(), encoding="utf-8") as handle:
        text = handle.read()
    assert text.startswith("\ufeffBulan,Pertamina Mandalika International Circuit,Meninting Bike Park,Total")
    assert "2025-12,1,1,2" in text

    # axe with the tables open (a closed <details> is not audited), in a context that may
    # inject it past the CSP
    assert AXE.exists(), "node_modules/axe-core is missing: run `make frontend`"
    context = browser.new_context(viewport=size, locale="id-ID", bypass_csp=True)
    audited = context.new_page()
    log_in(audited, server.url, data["staff"])
    audited.goto(f"{server.url}/office/dashboard?from={FIRST}&to={LAST}")
    audited.evaluate("document.querySelectorAll('details.numbers').forEach((d) => { d.open = true; })")
    assert readable("/office/dashboard", audit(audited)) == []
    context.close()
    assert errors == []
