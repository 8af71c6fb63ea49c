"""Check-in at the gate with the phone's camera (issue 10, point 9).

Over HTTP: the scanner's look-up (``/checkin/lookup``) answers only managers of the booking's
venue and staff, says whether the group may be checked in now before anything is pressed, and
answers hostile codes with a 4xx; only the gate page may use the camera and WebAssembly.

In headless Chromium (marked ``browser``): a real QR image made by segno from the booking's
real code is fed to the page's scanner, through Chromium's fake camera (a video file made from
the image by ffmpeg) and as a photo; the ZXing WebAssembly decoder loads from our own static
URL; the window shows before the button is pressed; the check-in is recorded; a manager of
another venue is refused. Phone (390x844) and desktop (1280x800), in Indonesian. With
KOIN_SCREENSHOTS=dir the phone test saves docs/screenshots/checkin.png there.
"""

from __future__ import annotations

import re
import subprocess
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit

import imageio_ffmpeg
import pytest
from PIL import Image
from playwright.sync_api import expect

from koin_media.booking import services, visits
from koin_media.booking.calendar_files import qr_code
from koin_media.booking.models import CHECKED_IN, CONFIRMED, WINDOW_ENDED, WINDOW_OPEN, WINDOW_TOO_EARLY, Booking
from koin_media.booking.problems import BookingRefused
from koin_media.database import utcnow, write_intent
from koin_media.extensions import db
from koin_media.localtime import LOCAL

from .booking_helpers import group_request, make_program, make_slot, make_venue, school_user
from .browser_fixtures import assert_fits, log_in, on_screen, save_screenshot
from .conftest import Auth, csrf_token

LOOKUP = "/checkin/lookup"
JSON = {"Accept": "application/json"}


def manager_of(venue, factory, email=None):
    user = factory.user("venue_manager", email=email)
    venue.managers.append(user)
    db.session.commit()
    return user


def confirmed_booking(slot, manager, school=None):
    """A booking of 30 students and 2 teachers for ``slot``, confirmed by ``manager``."""
    with write_intent():
        booking = services.book_slot(school or school_user(), slot.id, group_request())
    with write_intent():
        services.confirm(booking, manager)
    return booking


def lookup(client, code, headers=JSON):
    return client.get(f"{LOOKUP}?code={quote(code)}", headers=headers)


def assert_open_message(message: str, ends_at) -> None:
    """While the window is open the gate says until when: the session's end, "10.00 WITA" today
    (with the day named when the session ends after midnight)."""
    ends = ends_at.astimezone(LOCAL)
    assert message.startswith("Bisa check-in sekarang, sampai ") and message.endswith(f"{ends:%H.%M} WITA.")
    if ends.date() == utcnow().astimezone(LOCAL).date():
        assert message == f"Bisa check-in sekarang, sampai {ends:%H.%M} WITA."


# -- the look-up -------------------------------------------------------------------------------


def test_lookup_shows_the_open_window_and_the_check_in_form(client, auth, factory):
    slot = make_slot(starts_in=timedelta(minutes=30))
    manager = manager_of(slot.program.venue, factory)
    booking = confirmed_booking(slot, manager)
    auth.login(manager)
    response = lookup(client, booking.code.lower())
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["code"] == booking.code and answer["display"] == f"{booking.code[:4]}-{booking.code[4:]}"
    assert answer["window"] == "open"
    assert_open_message(answer["message"], slot.ends_at)
    assert "check_in" in answer["actions"] and answer["check_in_open"] is True
    html = answer["html"]
    assert f'data-booking-id="{booking.id}"' in html and 'data-window="open"' in html
    assert booking.school.name in html and slot.program.title in html and "30 siswa, 2 guru" in html
    assert f'action="/bookings/{booking.id}/check-in"' in html and 'name="csrf_token"' in html
    assert '<button type="submit" class="button checkin-go">' in html


def test_too_early_shows_when_the_gate_opens_and_offers_no_check_in(client, auth, factory, app):
    soon = make_slot(starts_in=timedelta(hours=2, minutes=40))
    tomorrow = make_slot(soon.program, starts_in=timedelta(days=1, hours=1))
    manager = manager_of(soon.program.venue, factory)
    auth.login(manager)
    now = utcnow()
    for index, slot in enumerate((soon, tomorrow)):
        booking = confirmed_booking(slot, manager, school_user(start=800 + index))
        opens = (slot.starts_at - timedelta(minutes=app.config["BOOKING_CHECKIN_EARLY_MINUTES"])).astimezone(LOCAL)
        ends = slot.ends_at.astimezone(LOCAL)
        answer = lookup(client, booking.code).get_json()
        # not an action yet (Booking.allowed_actions asks the window): the button waits, disabled
        assert answer["window"] == "too_early" and answer["check_in_open"] is False
        assert "check_in" not in answer["actions"]
        # both ends of the window: from the opening until the session ends
        assert answer["message"].startswith("Terlalu awal: bisa ")
        assert f"{opens:%H.%M}" in answer["message"] and answer["message"].endswith(f"{ends:%H.%M} WITA.")
        if {opens.date(), ends.date()} != {now.astimezone(LOCAL).date()}:  # another day: the day is named
            assert f"{opens.day} " in answer["message"] and str(opens.year) in answer["message"]
        else:
            assert answer["message"] == f"Terlalu awal: bisa {opens:%H.%M}–{ends:%H.%M} WITA."
        waiting = 'class="button checkin-go" disabled aria-describedby="gate-window"'
        assert waiting in answer["html"] and 'data-action="check_in"' not in answer["html"]
        page = client.get(f"/checkin?code={booking.code}").get_data(as_text=True)
        assert answer["message"] in page and waiting in page


def test_ended_checked_in_and_pending_say_so(client, auth, factory):
    slot = make_slot(starts_in=timedelta(minutes=20))
    manager = manager_of(slot.program.venue, factory)
    booking = confirmed_booking(slot, manager)
    pending_school = school_user(start=700)
    with write_intent():
        pending = services.book_slot(pending_school, slot.id, group_request(students=12, teachers=1))
    auth.login(manager)
    with write_intent():
        visits.check_in(booking, manager, 28, 2)
    answer = lookup(client, booking.code).get_json()
    assert (answer["window"], answer["message"]) == ("checked_in", "Sudah check-in: 28 siswa, 2 guru.")
    answer = lookup(client, pending.code).get_json()
    assert answer["window"] == "closed" and "check_in" not in answer["actions"] and not answer["check_in_open"]
    assert answer["message"] == "Pemesanan ini tidak bisa check-in: statusnya menunggu konfirmasi."

    past = utcnow() - timedelta(hours=1)
    later = make_slot(slot.program, starts_in=timedelta(minutes=10))
    late = confirmed_booking(later, manager, school_user(start=710))
    later.starts_at, later.ends_at = past - timedelta(hours=2), past
    db.session.commit()
    answer = lookup(client, late.code).get_json()
    assert (answer["window"], answer["message"]) == ("ended", "Sesi sudah berakhir: check-in ditutup.")
    assert "no_show" in answer["actions"] and "check_in" not in answer["actions"]
    assert 'data-action="no_show"' in answer["html"] and 'data-action="check_in"' not in answer["html"]


def test_lookup_in_english_follows_the_account(client, auth, factory):
    slot = make_slot(starts_in=timedelta(minutes=30))
    manager = manager_of(slot.program.venue, factory, email="gate@contoh.id")
    booking = confirmed_booking(slot, manager)
    auth.login(manager)
    client.post("/language", data={"locale": "en", "csrf_token": csrf_token(client)})
    message = lookup(client, booking.code).get_json()["message"]
    assert message.startswith("Check-in is possible now, until ")
    assert message.endswith(f"{slot.ends_at.astimezone(LOCAL):%H:%M} WITA.")


# -- who may look up -------------------------------------------------------------------------


def test_only_managers_of_the_venue_and_staff_see_a_booking(app, client, factory):
    slot = make_slot(starts_in=timedelta(minutes=30))
    own = manager_of(slot.program.venue, factory, email="own-gate@contoh.id")
    booking = confirmed_booking(slot, own)
    assert lookup(client, booking.code).status_code == 401
    assert lookup(client, booking.code).get_json()["error"] == "unauthorized"
    assert client.get(f"{LOOKUP}?code={booking.code}").status_code == 302  # a page asks: log in

    other_venue = make_venue(slug="meninting-bike-park", name="Meninting Bike Park")
    stranger = manager_of(other_venue, factory, email="other-gate@contoh.id")
    cases = [
        (db.session.get(Booking, booking.id).requested_by, 403),
        (factory.user("creator"), 403),
        (factory.user("ikm"), 403),
        (stranger, 404),
        (own, 200),
        (factory.user("staff", email="office@contoh.id"), 200),
    ]
    for user, status in cases:
        visitor = app.test_client()
        Auth(visitor).login(user)
        response = lookup(visitor, booking.code)
        assert response.status_code == status, user.role
        answer = response.get_json()
        if status == 404:
            # the same answer as for a code that does not exist: nothing about the other venue
            assert answer == lookup(visitor, "ABCD-EFGH").get_json()
            assert answer["error"] == "not_found" and "html" not in answer
        elif status == 200:
            assert answer["code"] == booking.code
        else:
            assert answer["error"] == "forbidden"


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("", 422),
        ("   ", 422),
        ("A" * 501, 422),
        ("ABCD-EFGH", 404),
        ("../../etc/passwd", 404),
        ("'; DROP TABLE bookings; --", 404),
        ("<script>alert(1)</script>", 404),
        ("\u0000\u0001", 422),  # control characters: refused as text, before any look-up
        ("ＫＯＩＮ－１２３４", 404),  # full-width look-alikes are not a code
        ("🙂" * 100, 404),
    ],
)
def test_hostile_codes_get_a_4xx_with_a_message(client, auth, factory, code, status):
    slot = make_slot(starts_in=timedelta(minutes=30))
    manager = manager_of(slot.program.venue, factory)
    confirmed_booking(slot, manager)
    auth.login(manager)
    response = lookup(client, code)
    assert response.status_code == status
    answer = response.get_json()
    assert set(answer) == {"error", "message"} and answer["message"]
    if status == 422 and not code.strip():
        assert answer["message"] == "Isi kode pemesanan."
    elif status == 404:
        assert answer["message"] == "Tidak ada pemesanan di venue Anda dengan kode ini. Periksa lalu coba lagi."


def test_lookup_without_a_code_and_with_the_qr_text_of_a_link(client, auth, factory):
    slot = make_slot(starts_in=timedelta(minutes=30))
    manager = manager_of(slot.program.venue, factory)
    booking = confirmed_booking(slot, manager)
    auth.login(manager)
    assert client.get(LOOKUP, headers=JSON).status_code == 422
    assert lookup(client, f"https://koin.example/b/{booking.code}").get_json()["code"] == booking.code
    assert lookup(client, f" {booking.code[:4].lower()} {booking.code[4:]} ").get_json()["code"] == booking.code


def test_the_check_in_service_keeps_to_the_window_the_page_shows(app, factory):
    """The window the panel shows is the one check_in enforces (Booking.check_in_window)."""
    slot = make_slot(starts_in=timedelta(hours=5))
    manager = manager_of(slot.program.venue, factory)
    booking = confirmed_booking(slot, manager)
    opens = booking.check_in_opens_at
    assert booking.check_in_window(opens - timedelta(seconds=1)) == WINDOW_TOO_EARLY
    assert booking.check_in_window(opens) == WINDOW_OPEN
    assert booking.check_in_window(slot.ends_at) == WINDOW_ENDED
    with pytest.raises(BookingRefused) as refused:
        with write_intent():
            visits.check_in(booking, manager, 30, 2, now=opens - timedelta(seconds=1))
    assert refused.value.code == "check_in_not_open"
    with write_intent():
        visits.check_in(booking, manager, 30, 2, now=opens)
    assert db.session.get(Booking, booking.id).status == CHECKED_IN


# -- headers -----------------------------------------------------------------------------------


def test_only_the_gate_page_may_use_the_camera_and_webassembly(client, auth, factory):
    slot = make_slot(starts_in=timedelta(minutes=30))
    manager = manager_of(slot.program.venue, factory)
    booking = confirmed_booking(slot, manager)
    auth.login(manager)
    gate_pages = [
        client.get("/checkin"),
        client.get(f"/checkin?code={booking.code}"),
        # a refused check-in shows the gate page again: its scanner still works
        client.post(
            f"/bookings/{booking.id}/check-in",
            data={"csrf_token": csrf_token(client, "/checkin"), "students": "99", "teachers": "2"},
        ),
    ]
    assert [page.status_code for page in gate_pages] == [200, 200, 422]
    for page in gate_pages:
        assert "camera=(self)" in page.headers["Permissions-Policy"]
        assert "microphone=()" in page.headers["Permissions-Policy"]
        csp = page.headers["Content-Security-Policy"]
        assert "script-src 'self' 'wasm-unsafe-eval';" in csp and "unsafe-inline" not in csp
    for other in (client.get("/"), client.get(f"/bookings/{booking.id}"), lookup(client, booking.code)):
        assert other.status_code == 200
        assert "camera=()" in other.headers["Permissions-Policy"]
        assert "wasm-unsafe-eval" not in other.headers["Content-Security-Policy"]
    assert db.session.get(Booking, booking.id).status == CONFIRMED


def test_the_gate_page_is_usable_without_javascript(client, auth, factory):
    """The scanner is hidden until its script shows it; typing the code always works."""
    slot = make_slot(starts_in=timedelta(minutes=30))
    manager = manager_of(slot.program.venue, factory)
    booking = confirmed_booking(slot, manager)
    auth.login(manager)
    html = client.get("/checkin").get_data(as_text=True)
    assert 'id="checkin-scanner" hidden' in html and 'id="checkin-lookup"' in html
    assert "/static/js/checkin.js" in html and "Pindai dengan kamera" in html and "Pindai dari foto" in html
    assert 'capture="environment"' in html and 'accept="image/*"' in html
    assert "vendor/barcode-detector/zxing_reader.wasm" in html
    page = client.post("/checkin", data={"csrf_token": csrf_token(client, "/checkin"), "code": booking.code})
    assert page.status_code == 200 and "Bisa check-in sekarang, sampai " in page.get_data(as_text=True)


# -- in the browser --------------------------------------------------------------------------

TIMEOUT_MS = 30_000
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
WASM_PATH = "/static/vendor/barcode-detector/zxing_reader.wasm"
VENDORED = Path(__file__).resolve().parent.parent / "static" / "vendor" / "barcode-detector"


@pytest.fixture
def vendored_scanner():
    if not (VENDORED / "zxing_reader.wasm").exists():
        pytest.fail("static/vendor/barcode-detector is missing: run `make frontend` (npm run vendor)")


def qr_png(code: str, folder: Path) -> Path:
    """The QR code of the school's confirmation (booking.calendar_files.qr_code), as a PNG."""
    path = folder / f"{code}.png"
    qr_code(code).save(path, scale=12, border=4)
    return path


def fake_camera_video(image: Path, folder: Path) -> Path:
    """A short Y4M video of the QR code held in front of the camera, for Chromium's fake device
    (it plays the file in a loop)."""
    video = folder / "camera.y4m"
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    subprocess.run(
        [ffmpeg, "-v", "error", "-y", "-loop", "1", "-i", str(image), "-t", "1", "-r", "5",
         "-vf", "scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2:white",
         "-pix_fmt", "yuv420p", str(video)],
        check=True,
    )  # fmt: skip
    return video


def launch_with_camera(browser_type, launch_args: dict, video: Path):
    """A Chromium whose camera films ``video`` and which allows the camera without asking."""
    camera = [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    return browser_type.launch(**{**launch_args, "args": [*launch_args["args"], *camera]})


def watch(page, origin: str):
    """Page errors, and requests that left our origin (there must be none: no CDN)."""
    seen = {"errors": [], "foreign": [], "wasm": []}
    page.on("pageerror", lambda error: seen["errors"].append(str(error)))

    def console(message):
        # The look-up of a code that names no booking at this user's venues answers 404 on
        # purpose; Chromium logs every 4xx fetch. Anything else logged as an error counts.
        lookup_404 = LOOKUP in message.location.get("url", "") or "/checkin/lookup" in message.text
        if message.type == "error" and not lookup_404:
            seen["errors"].append(message.text)

    page.on("console", console)

    def request(req):
        parts = urlsplit(req.url)
        if parts.scheme in ("http", "https") and f"{parts.scheme}://{parts.netloc}" != origin:
            seen["foreign"].append(req.url)
        if parts.path.endswith(".wasm"):
            seen["wasm"].append(req.url)

    page.on("request", request)
    return seen


@pytest.mark.browser
def test_camera_scan_shows_the_window_then_checks_in_on_a_phone(
    make_app, live_server, browser_type, browser_type_launch_args, factory, tmp_path, vendored_scanner
):
    app = make_app()
    with app.app_context():
        slot = make_slot(starts_in=timedelta(minutes=40))
        manager = manager_of(slot.program.venue, factory)
        booking = confirmed_booking(slot, manager)
        code, booking_id, email = booking.code, booking.id, manager.email
        school_name, program_title = booking.school.name, slot.program.title
        starts = slot.starts_at.astimezone(LOCAL)
        ends_at = slot.ends_at
    video = fake_camera_video(qr_png(code, tmp_path), tmp_path)
    server = live_server(app)
    browser = launch_with_camera(browser_type, browser_type_launch_args, video)
    try:
        context = browser.new_context(
            viewport=PHONE, device_scale_factor=1, is_mobile=True, has_touch=True, locale="id-ID",
            timezone_id="Asia/Makassar", permissions=["camera"],
        )  # fmt: skip
        # The polyfill path, whatever this Chromium has: the WebAssembly must come from us.
        context.add_init_script("delete window.BarcodeDetector")
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        seen = watch(page, server.url)
        log_in(page, server.url, email)
        page.goto(f"{server.url}/checkin")
        assert_fits(page)
        assert on_screen(page, page.locator("#scan-camera"))
        assert page.locator("#checkin-result").inner_text().strip() == ""

        page.get_by_role("button", name="Pindai dengan kamera").click()
        panel = page.locator("#checkin-booking")
        panel.wait_for()
        # Before anything is pressed: who, what, when, how many, and whether it is time.
        assert_open_message(page.locator("#gate-window").inner_text(), ends_at)
        text = panel.inner_text()
        assert school_name in text and program_title in text and "30 siswa, 2 guru" in text
        assert f"{starts:%H}" in text
        assert page.locator("#code").input_value() == f"{code[:4]}-{code[4:]}"
        assert page.locator("#checkin-scanner").get_attribute("data-detector") == "zxing"
        # The camera is off once the code is read.
        expect(page.locator("#checkin-scanner")).to_have_attribute("data-camera", "off")
        assert page.evaluate("document.getElementById('scanner-video').srcObject") is None
        assert page.locator("#scanner-view").is_hidden()
        assert seen["wasm"] == [f"{server.url}{WASM_PATH}"] and seen["foreign"] == []
        with app.app_context():
            assert db.session.get(Booking, booking_id).status == CONFIRMED  # nothing pressed yet

        go = page.get_by_role("button", name="Check-in", exact=True)
        go.scroll_into_view_if_needed()
        assert on_screen(page, page.locator(".checkin-go"))
        assert_fits(page)
        page.evaluate("window.scrollTo(0, document.querySelector('#checkin-booking').offsetTop - 8)")
        save_screenshot(page, "checkin")

        with page.expect_navigation():
            go.click()
        assert "Sudah check-in: 30 siswa dan 2 guru." in page.locator(".flashes").inner_text()
        assert page.locator("#gate-window").inner_text() == "Sudah check-in: 30 siswa, 2 guru."
        assert page.locator("#booking-status").get_attribute("data-status") == CHECKED_IN
        assert page.locator("[data-action=check_in]").count() == 0
        with app.app_context():
            checked = db.session.get(Booking, booking_id)
            assert (checked.status, checked.attended_students, checked.attended_teachers) == (CHECKED_IN, 30, 2)
        assert seen["errors"] == []
        context.close()
    finally:
        browser.close()


@pytest.mark.browser
def test_photo_scan_on_desktop_too_early_and_another_venue_refused(
    make_app, live_server, browser, factory, tmp_path, vendored_scanner
):
    app = make_app()
    with app.app_context():
        slot = make_slot(starts_in=timedelta(days=1, hours=2))
        manager = manager_of(slot.program.venue, factory)
        booking = confirmed_booking(slot, manager)
        elsewhere = make_slot(make_program(make_venue(slug="meninting-bike-park", name="Meninting Bike Park")))
        their_manager = manager_of(elsewhere.program.venue, factory)
        foreign = confirmed_booking(elsewhere, their_manager, school_user(start=720))
        code, foreign_code, email = booking.code, foreign.code, manager.email
        opens = booking.check_in_opens_at.astimezone(LOCAL)
        ends = slot.ends_at.astimezone(LOCAL)
    ours, theirs = qr_png(code, tmp_path), qr_png(foreign_code, tmp_path)
    server = live_server(app)
    context = browser.new_context(viewport=DESKTOP, locale="id-ID", timezone_id="Asia/Makassar")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    seen = watch(page, server.url)
    log_in(page, server.url, email)
    page.goto(f"{server.url}/checkin")
    assert_fits(page)

    page.set_input_files("#scan-photo", str(ours))
    page.locator("#checkin-booking").wait_for()
    message = page.locator("#gate-window").inner_text()
    assert message.startswith("Terlalu awal: bisa ") and f"{opens:%H.%M}" in message
    assert message.endswith(f"–{ends:%H.%M} WITA.")  # the slot starts tomorrow: one day, named
    expect(page.get_by_role("button", name="Check-in", exact=True)).to_be_disabled()  # not yet
    assert seen["wasm"] == [f"{server.url}{WASM_PATH}"] and seen["foreign"] == []
    assert_fits(page)

    # A booking at a venue this manager does not manage: refused as when typed, nothing shown.
    page.set_input_files("#scan-photo", str(theirs))
    expect(page.locator("#scan-message")).to_have_text(
        "Tidak ada pemesanan di venue Anda dengan kode ini. Periksa lalu coba lagi."
    )
    expect(page.locator("#checkin-booking")).to_have_count(0)

    # A photo without a QR code says so; typing the code does the same look-up, in place.
    blank = tmp_path / "blank.png"
    Image.new("RGB", (640, 480), "white").save(blank)
    page.set_input_files("#scan-photo", str(blank))
    expect(page.locator("#scan-message")).to_have_text(
        "Tidak ada kode QR di foto ini. Coba lagi lebih dekat dan lebih tajam, atau ketik kodenya di bawah."
    )
    page.fill("#code", code.lower())
    page.press("#code", "Enter")
    page.locator("#checkin-booking").wait_for()
    assert page.url == f"{server.url}/checkin"  # no page load: the scanner's look-up
    assert page.locator("#gate-window").inner_text() == message
    assert seen["errors"] == []
    context.close()


@pytest.mark.browser
def test_a_refused_camera_leaves_a_clear_message_and_the_typed_code(
    make_app, live_server, browser, factory, vendored_scanner
):
    app = make_app()
    with app.app_context():
        slot = make_slot(starts_in=timedelta(minutes=40))
        manager = manager_of(slot.program.venue, factory)
        email = manager.email
    server = live_server(app)
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="id-ID")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    # This Chromium may have no camera at all; a browser that refuses is what the gate sees.
    context.add_init_script(
        """navigator.mediaDevices.getUserMedia = () =>
             Promise.reject(new DOMException('Permission denied', 'NotAllowedError'))"""
    )
    log_in(page, server.url, email)
    page.goto(f"{server.url}/checkin")
    page.get_by_role("button", name="Pindai dengan kamera").click()
    expect(page.locator("#scan-message")).to_have_class(re.compile(r"\bscan-error\b"))
    assert page.locator("#scan-message").inner_text().startswith("Kamera tidak boleh dipakai.")
    assert page.evaluate("document.activeElement.id") == "code"
    assert page.locator("#scan-camera").is_visible()  # try again after allowing it
    assert_fits(page)
    context.close()


@pytest.mark.browser
def test_the_camera_stops_when_closed_or_when_the_page_is_hidden(
    make_app, live_server, browser_type, browser_type_launch_args, factory, tmp_path, vendored_scanner
):
    app = make_app()
    with app.app_context():
        slot = make_slot(starts_in=timedelta(minutes=40))
        email = manager_of(slot.program.venue, factory).email
    blank = tmp_path / "blank.png"
    Image.new("RGB", (640, 480), "white").save(blank)
    video = fake_camera_video(blank, tmp_path)  # a camera that sees no code
    server = live_server(app)
    browser = launch_with_camera(browser_type, browser_type_launch_args, video)
    try:
        context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, permissions=["camera"])
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        seen = watch(page, server.url)
        log_in(page, server.url, email)
        page.goto(f"{server.url}/checkin")
        scanner = page.locator("#checkin-scanner")

        def open_camera():
            page.get_by_role("button", name="Pindai dengan kamera").click()
            expect(scanner).to_have_attribute("data-camera", "on")
            expect(page.locator("#scan-message")).to_have_text("Arahkan kamera ke kode QR pada konfirmasi sekolah.")
            assert on_screen(page, page.locator("#scan-stop"))
            page.evaluate("window.cameraStream = document.getElementById('scanner-video').srcObject")
            assert page.evaluate("window.cameraStream.getVideoTracks()[0].readyState") == "live"

        def camera_released():
            expect(scanner).to_have_attribute("data-camera", "off")
            assert page.evaluate("window.cameraStream.getTracks().every((track) => track.readyState === 'ended')")
            assert page.locator("#scanner-view").is_hidden() and page.locator("#scan-camera").is_visible()

        open_camera()
        assert_fits(page)
        page.get_by_role("button", name="Tutup kamera").click()
        camera_released()

        open_camera()
        # The phone is locked or another app comes to the front: the page is hidden.
        page.evaluate(
            """Object.defineProperty(document, 'hidden', { value: true, configurable: true });
               document.dispatchEvent(new Event('visibilitychange'))"""
        )
        camera_released()
        assert seen["errors"] == [] and seen["foreign"] == []
        context.close()
    finally:
        browser.close()
