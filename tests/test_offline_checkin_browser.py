"""Offline check-in at the gate in headless Chromium (issue 12, point 7), in Indonesian.

On a phone (390x844): the gate page loads online (its service worker keeps the page and its
files, the day's bookings go into IndexedDB), the browser goes offline
(``context.set_offline(True)``), the page is reloaded and comes from the service worker with
no request reaching the server, a group is looked up and checked in from the device and
shown waiting; back online the check-in is sent by itself and the server has the booking
checked in once; the same operation sent again is answered "already applied" and still counts
once. On a desktop: a session that ended while offline makes the page ask to log in again and
keep the check-in, which is sent after logging in.

Playwright and service workers (microsoft/playwright#2311, #15684): in Chromium,
``set_offline`` stops the worker's own fetches, but a request of a worker-controlled page that
the worker lets through (the day list) reached the server now and then right after a reload.
Going offline therefore also aborts the pages' requests with ``context.route``, and the server
records every request it gets and, while the test's connection is down, answers none of them
with the app (a 502, as a proxy with a dead uplink would). "The page came from the service
worker" is checked on the server's side: neither the page nor its files arrived there.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from koin_media.booking.models import CHECKED_IN, CONFIRMED, Booking
from koin_media.extensions import db
from koin_media.localtime import LOCAL
from koin_media.visits.gate_models import GateOperation

from .booking_helpers import make_slot
from .browser_fixtures import assert_fits, log_in, save_screenshot
from .conftest import PASSWORD
from .test_accessibility import AXE, TAGS, readable
from .test_offline_checkin import check_in_events, confirmed_booking, manager_of

TIMEOUT_MS = 30_000
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


class RequestLog:
    """WSGI middleware: the paths the server was asked for, to show what did not reach it.
    ``down``: the venue's connection has dropped, so whatever still arrives (see the module's
    docstring) gets what a dead uplink gives a browser: no answer from the app."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self.paths: list[str] = []
        self.lock = threading.Lock()
        self.down = False

    def __call__(self, environ, start_response):
        with self.lock:
            self.paths.append(environ.get("PATH_INFO", ""))
        if self.down:
            start_response("502 Bad Gateway", [("Content-Type", "text/plain")])
            return [b"no connection"]
        return self.wsgi_app(environ, start_response)

    def since(self, mark: int) -> list[str]:
        with self.lock:
            return self.paths[mark:]


def gate_app(make_app, factory):
    app = make_app()
    with app.app_context():
        slot = make_slot(starts_in=timedelta(minutes=30))
        manager = manager_of(slot.program.venue, factory)
        booking = confirmed_booking(slot, manager)
        facts = {
            "id": booking.id,
            "code": booking.code,
            "email": manager.email,
            "school": booking.school.name,
            "ends": slot.ends_at.astimezone(LOCAL),
        }
    log = RequestLog(app.wsgi_app)
    app.wsgi_app = log
    return app, log, facts


def new_page(browser, viewport, errors):
    context = browser.new_context(viewport=viewport, locale="id-ID", timezone_id="Asia/Makassar")
    # axe for the offline panel: an init script, which the page's CSP does not stop (and which
    # needs no network once the page is offline)
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return context, page


def go_offline(context, log: RequestLog) -> None:
    log.down = True
    context.set_offline(True)
    context.route("**/*", lambda route: route.abort("internetdisconnected"))


def go_online(context, log: RequestLog) -> None:
    log.down = False  # first: the page's online event sends at once
    context.unroute("**/*")
    context.set_offline(False)


def page_requests(paths: list[str]) -> list[str]:
    """What the page itself and its files asked the server for (the day list and the sync aside)."""
    return [path for path in paths if not path.startswith("/gate/")]


def open_gate(make_app, live_server, browser, factory, viewport):
    """A venue's manager on the gate page, online, with the day's list kept on the device: the
    app, its request log, the booking, the server, the page's script errors, context and page."""
    app, log, booking = gate_app(make_app, factory)
    server = live_server(app)
    errors: list[str] = []
    context, page = new_page(browser, viewport, errors)
    log_in(page, server.url, booking["email"])
    load_gate(page, server.url)
    return app, log, booking, server, errors, context, page


def load_gate(page, base: str) -> None:
    """The gate page online, until the worker has kept it and the day's list is on the device."""
    page.goto(f"{base}/checkin")
    gate = page.locator("#gate-offline")
    expect(gate).to_have_attribute("data-offline-ready", "true")
    expect(gate).to_have_attribute("data-ready", "true")
    expect(page.locator("#gate-day")).to_contain_text("Tersimpan di perangkat ini: 1 pemesanan")
    expect(page.locator("#gate-connection")).to_contain_text("Terhubung.")
    assert page.evaluate("navigator.serviceWorker.controller !== null")


def check_in_offline(page, code: str, students: int) -> None:
    page.fill("#code", code.lower())
    page.locator("#checkin-lookup button[type=submit]").click()
    panel = page.locator("#checkin-booking[data-offline=true]")
    expect(panel).to_be_visible()
    expect(page.locator("#gate-connection")).to_contain_text("Tidak ada koneksi.")
    page.fill("#offline-students", str(students))
    page.locator("#offline-checkin-form .checkin-go").click()
    expect(page.locator("#booking-status")).to_have_attribute("data-status", "waiting")


def server_state(app, booking_id):
    with app.app_context():
        db.session.rollback()
        booking = db.session.get(Booking, booking_id)
        operations = db.session.scalar(select(func.count()).select_from(GateOperation))
        return booking.status, booking.attended_students, operations, check_in_events(booking_id)


@pytest.mark.browser
def test_offline_reload_check_in_then_sync_once_on_a_phone(make_app, live_server, browser, factory):
    app, log, booking, server, errors, context, page = open_gate(make_app, live_server, browser, factory, PHONE)
    assert_fits(page)

    go_offline(context, log)
    mark = len(log.paths)
    page.reload()
    # The page and its files came from the service worker: nothing reached the server.
    expect(page.locator("#gate-offline")).to_have_attribute("data-ready", "true")  # its sync tried and failed
    expect(page.locator("#gate-connection")).to_contain_text("Tidak ada koneksi.")
    assert page.locator("h1").inner_text() == "Check-in"
    assert page.evaluate("getComputedStyle(document.querySelector('.site-header')).display") != "inline"  # CSS kept
    assert page_requests(log.since(mark)) == []

    check_in_offline(page, booking["code"], 28)
    window = page.locator("#gate-window").inner_text()
    assert window == "Sudah check-in di perangkat ini, menunggu dikirim: 28 siswa, 2 guru."
    item = page.locator("#gate-queue li")
    expect(item).to_have_count(1)
    expect(item).to_have_attribute("data-state", "pending")
    expect(item).to_contain_text(booking["school"])
    expect(item).to_contain_text("menunggu dikirim")
    assert server_state(app, booking["id"]) == (CONFIRMED, None, 0, 0)
    assert page_requests(log.since(mark)) == []
    assert_fits(page)
    options = {"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]}
    violations = page.evaluate("options => axe.run(document, options).then(r => r.violations)", options)
    assert violations == [], "\n".join(readable("/checkin (offline)", violations))
    save_screenshot(page, "checkin-offline")

    # Back online: the online event sends what waits, then the list shows the server's truth.
    go_online(context, log)
    expect(item).to_have_attribute("data-state", "applied")
    expect(page.locator("#gate-sync-message")).to_contain_text("Terkirim: 1 sudah check-in, 0 ditolak.")
    expect(page.locator("#gate-connection")).to_contain_text("Terhubung.")
    expect(page.locator("#gate-window")).to_have_text("Sudah check-in: 28 siswa, 2 guru.")
    assert server_state(app, booking["id"]) == (CHECKED_IN, 28, 1, 1)

    # The same operation sent again (a second tab, a replay): answered, counted once.
    page.evaluate(
        """() => new Promise((resolve, reject) => {
             const open = indexedDB.open('koin-gate')
             open.onsuccess = () => {
               const tx = open.result.transaction('ops', 'readwrite')
               const ops = tx.objectStore('ops')
               ops.getAll().onsuccess = (event) =>
                 event.target.result.forEach((op) => ops.put({ ...op, state: 'pending' }))
               tx.oncomplete = resolve
               tx.onerror = reject
             }
           })"""
    )
    page.evaluate("window.koinGateOffline.sync()")
    expect(item).to_have_attribute("data-state", "already_applied")
    expect(item).to_contain_text("dihitung sekali")
    assert server_state(app, booking["id"]) == (CHECKED_IN, 28, 1, 1)
    assert errors == []
    context.close()


@pytest.mark.browser
def test_a_session_that_ended_offline_keeps_the_check_in_until_logged_in_again(make_app, live_server, browser, factory):
    app, log, booking, server, errors, context, page = open_gate(make_app, live_server, browser, factory, DESKTOP)
    assert_fits(page)

    go_offline(context, log)
    check_in_offline(page, booking["code"], 30)
    context.clear_cookies()  # the session ended while the gate was offline
    go_online(context, log)
    message = page.locator("#gate-sync-message")
    expect(message).to_contain_text("Sesi Anda telah berakhir. Masuk lagi")
    item = page.locator("#gate-queue li")
    expect(item).to_have_attribute("data-state", "pending")  # kept on the device
    assert server_state(app, booking["id"]) == (CONFIRMED, None, 0, 0)
    assert_fits(page)

    with page.expect_navigation():
        page.locator("#gate-log-in").click()
    page.fill("#email", booking["email"])
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.press("#password", "Enter")
    # Back on the gate page, which sends what waited.
    expect(page.locator("#gate-queue li")).to_have_attribute("data-state", "applied")
    assert server_state(app, booking["id"]) == (CHECKED_IN, 30, 1, 1)
    assert errors == []
    context.close()


DEVICE_DATA = """async () => ({
  databases: (await indexedDB.databases()).map((db) => db.name),
  caches: await caches.keys(),
  workers: (await navigator.serviceWorker.getRegistrations()).length,
})"""


@pytest.mark.browser
def test_log_out_asks_before_dropping_unsent_check_ins_then_the_device_forgets_the_gate(
    make_app, live_server, browser, factory
):
    """Logging out makes the browser forget the day's bookings, the kept page and its worker
    (Clear-Site-Data); with a check-in still unsent (the sync cannot reach the server), the
    page asks first, and "cancel" keeps both the session and the check-in."""
    app, log, booking, server, errors, context, page = open_gate(make_app, live_server, browser, factory, DESKTOP)
    kept = page.evaluate(DEVICE_DATA)
    assert "koin-gate" in kept["databases"] and kept["caches"] == ["koin-gate-v1"] and kept["workers"] == 1

    go_offline(context, log)
    check_in_offline(page, booking["code"], 25)
    # The connection is back, but the gate's sync still cannot get through.
    context.route("**/gate/**", lambda route: route.abort("internetdisconnected"))
    go_online(context, log)
    item = page.locator("#gate-queue li")
    expect(page.locator("#gate-sync-message")).to_contain_text("Belum terkirim")
    expect(item).to_have_attribute("data-state", "pending")
    page.evaluate("document.querySelectorAll('.site-header details').forEach((menu) => { menu.open = true })")
    log_out = page.locator("form[action='/logout'] button")

    with page.expect_event("dialog") as asked:
        log_out.click()
    question = asked.value.message
    asked.value.dismiss()
    assert question.startswith("1 check-in yang dibuat di perangkat ini belum bisa dikirim.")
    assert question.endswith("Tetap keluar?")
    expect(page.locator("#gate-offline")).to_have_attribute("data-sync", "idle")
    assert page.url.endswith("/checkin") and item.get_attribute("data-state") == "pending"
    assert "koin-gate" in page.evaluate(DEVICE_DATA)["databases"]

    with page.expect_navigation():
        with page.expect_event("dialog") as asked:
            log_out.click()
        asked.value.accept()
    expect(page.locator(".flashes")).to_contain_text("Anda sudah keluar.")
    assert page.evaluate(DEVICE_DATA) == {"databases": [], "caches": [], "workers": 0}
    assert server_state(app, booking["id"]) == (CONFIRMED, None, 0, 0)  # discarded, as asked
    assert errors == []
    context.close()
