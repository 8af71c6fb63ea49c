"""The creators' uploader end to end, in headless Chromium, on both storage backends.

A creator logs in through the real form, adds a JPEG and a ~20 MB MP4 to the Uppy Dashboard,
fills in the details of each, and uploads. The video is cut off mid-way: its first parts are
let through, the others are held (Playwright routing), and once the store holds some parts the
page is reloaded. Adding the same video again resumes the same upload and sends only the
missing parts. Both assets end up waiting for review, with a thumbnail (and a poster frame for
the video). With S3 the parts go straight to the bucket (moto over HTTP, CORS configured by
``ensure_ready``); with the local backend they go to the app's signed part URLs.
"""

from __future__ import annotations

import math
import re
import time
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select, update

from koin_media.assets.models import DRAFT, PENDING_REVIEW, PROCESSING, REJECTED_FILE, Asset
from koin_media.extensions import db
from koin_media.storage import get_storage
from tests import samples
from tests.browser_fixtures import log_in, no_horizontal_scroll, on_screen, save_screenshot
from tests.conftest import Factory

pytestmark = pytest.mark.browser

PART_SIZE = 5 * 1024 * 1024  # static/js/upload.js PART_SIZE
PARTS_BEFORE_CUT = 2  # video parts let through before the "connection drops"
TIMEOUT_MS = 60_000
DETAILS = {"title": "Tenun Sukarara", "license": "CC-BY-4.0"}


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser-media")
    photo = samples.jpeg(folder / "tenun.jpg")
    video = samples.big_mp4(folder / "festival.mp4", megabytes=20)
    return photo, video


def part_upload_id(url: str) -> str | None:
    """The multipart upload a part URL belongs to (app URL or presigned S3 URL), else None."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    if "uploadId" in query and "partNumber" in query:
        return query["uploadId"][0]
    match = re.search(r"/uploads/local/([^/]+)/\d+$", parts.path)
    return match.group(1) if match else None


class PartTraffic:
    """Watches the page: the app's answers to "create", and the PUTs of parts per upload id.

    The create answers are taken in a route, before the page sees them, so every part PUT that
    follows is already known to belong to its file when it is routed."""

    def __init__(self, page):
        self.page = page
        self.created: dict[str, dict] = {}  # filename -> the app's last answer
        self.refused: dict[str, dict] = {}  # filename or upload id -> the app's 422 answer
        self.puts: list[str] = []  # upload id of each part PUT, in order
        self.held = []
        self._sent: dict[str, int] = {}
        page.on("request", self._request)
        page.on("response", self._response)
        page.route(self._is_create, self._create)

    @staticmethod
    def _is_create(url: str) -> bool:
        return urlsplit(url).path == "/uploads/s3/multipart"

    @staticmethod
    def _is_part(url: str) -> bool:
        return part_upload_id(url) is not None

    def _create(self, route):
        request = route.request
        if request.method != "POST":
            route.continue_()
            return
        response = route.fetch()
        if response.ok:
            self.created[request.post_data_json["filename"]] = response.json()
        elif response.status == 422:
            self.refused[request.post_data_json["filename"]] = response.json()
        route.fulfill(response=response)

    def _response(self, response):
        path = urlsplit(response.url).path
        if response.status == 422 and path.endswith("/complete"):
            self.refused[path.split("/")[-2]] = response.json()

    def _request(self, request):
        if request.method == "PUT":
            upload_id = part_upload_id(request.url)
            if upload_id:
                self.puts.append(upload_id)

    def cut_after(self, filename: str, parts: int):
        """Let ``parts`` part PUTs of ``filename`` through, then hold every later one (the
        requests hang, as on a dead connection, until the page is reloaded)."""

        def handle(route):
            upload_id = part_upload_id(route.request.url)
            created = self.created.get(filename)
            if route.request.method != "PUT" or created is None or upload_id != created["uploadId"]:
                route.continue_()
                return
            self._sent[upload_id] = self._sent.get(upload_id, 0) + 1
            if self._sent[upload_id] <= parts:
                route.continue_()
            else:
                self.held.append(route)

        self._cut = handle
        self.page.route(self._is_part, handle)

    def reconnect(self):
        self.page.unroute(self._is_part, self._cut)

    def puts_for(self, upload_id: str) -> int:
        return sum(1 for u in self.puts if u == upload_id)


def open_uploader(page, base_url: str):
    answer = page.goto(f"{base_url}/upload")
    assert answer.status == 200, f"GET /upload answered {answer.status}"
    page.wait_for_selector("#uploader .uppy-Dashboard", timeout=TIMEOUT_MS)


FILE_INPUT = "#uploader input.uppy-Dashboard-input[type=file]:not([webkitdirectory])"


def add_files(page, *paths):
    page.set_input_files(FILE_INPUT, [str(p) for p in paths])
    for path in paths:
        page.locator(f'.upload-results li[data-file="{path.name}"]').wait_for()


def open_sheet(page, filename: str):
    row = page.locator(f'.upload-results li[data-file="{filename}"]')
    row.locator("button[data-action=details]").click()
    sheet = page.locator("#file-sheet")
    sheet.wait_for()
    return sheet


def save_sheet(page):
    page.click("#file-sheet button[value=save]")
    page.locator("#file-sheet").wait_for(state="hidden")


def fill_batch(page, license: str = DETAILS["license"], credit: str = ""):
    """The details for every file: set once, above the file list."""
    page.select_option("#batch-license", license)
    if credit:
        page.fill("#batch-credit", credit)
    page.check("#batch-consent")
    # The community starts on the creator's own community.
    assert page.input_value("#batch-community") == "lombok-phonegraphy"


def fill_details(page, filename: str, title: str):
    """One file's own details, in its sheet."""
    open_sheet(page, filename)
    page.fill("#file-title", title)
    page.fill("#file-tags", "tenun, lombok")
    save_sheet(page)


def start_upload(page):
    page.click("#upload-start")


def wait_for_result(page, filename: str, state: str = "done"):
    row = page.locator(f'.upload-results li[data-file="{filename}"][data-state="{state}"]')
    row.wait_for(timeout=TIMEOUT_MS)
    return row


def stored_parts(page, base_url: str, created: dict) -> list[dict]:
    url = f"{base_url}/uploads/s3/multipart/{quote(created['uploadId'], safe='')}?key={quote(created['key'], safe='')}"
    answer = page.request.get(url, headers={"Accept": "application/json"})
    assert answer.ok, answer.status
    return answer.json()


def wait_for_parts(page, base_url: str, created: dict, at_least: int, timeout: float = 60) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        parts = stored_parts(page, base_url, created)
        if len(parts) >= at_least or time.monotonic() > deadline:
            return parts
        page.wait_for_timeout(200)


@pytest.mark.parametrize("backend", ["local", "s3"])
def test_creator_uploads_photo_and_video_and_resumes_after_reload(backend, storage_app, live_server, page, media):
    photo, video = media
    creator = Factory().user("creator", email=f"kreator-{backend}@contoh.id")
    server = live_server(storage_app)
    if backend == "s3":
        get_storage().ensure_ready([server.url])  # CORS: the browser PUTs parts to the bucket

    problems = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    traffic = PartTraffic(page)
    page.set_default_timeout(TIMEOUT_MS)

    log_in(page, server.url, creator.email)
    open_uploader(page, server.url)

    # First visit: both files; the video's connection "drops" after PARTS_BEFORE_CUT parts.
    traffic.cut_after(video.name, PARTS_BEFORE_CUT)
    fill_batch(page)
    add_files(page, photo, video)
    fill_details(page, photo.name, "Kain tenun Sukarara")
    fill_details(page, video.name, "Festival Bau Nyale")
    start_upload(page)

    photo_row = wait_for_result(page, photo.name)
    photo_created = traffic.created[photo.name]
    assert photo_row.get_attribute("data-asset-id") == str(photo_created["asset_id"])
    # Its details are complete (the app says so): no "complete the details" link.
    assert photo_row.get_attribute("data-details") == "complete"
    assert not photo_row.locator("a.upload-result-link").is_visible()

    video_created = traffic.created[video.name]
    assert video_created["resumed"] is False
    total_parts = math.ceil(video.stat().st_size / PART_SIZE)
    assert total_parts >= 3
    stored = wait_for_parts(page, server.url, video_created, at_least=PARTS_BEFORE_CUT)
    assert len(stored) == PARTS_BEFORE_CUT, stored

    # The page is reloaded mid-upload (the hanging requests die with it); the connection is
    # back, and the creator adds the same video again.
    traffic.reconnect()
    page.reload()
    page.wait_for_selector("#uploader .uppy-Dashboard")
    stored = stored_parts(page, server.url, video_created)
    assert 1 <= len(stored) < total_parts
    puts_before = traffic.puts_for(video_created["uploadId"])
    fill_batch(page)
    add_files(page, video)
    fill_details(page, video.name, "Festival Bau Nyale")
    start_upload(page)
    video_row = wait_for_result(page, video.name)

    resumed = traffic.created[video.name]
    assert resumed["resumed"] is True
    assert (resumed["uploadId"], resumed["key"]) == (video_created["uploadId"], video_created["key"])
    puts_after = traffic.puts_for(video_created["uploadId"]) - puts_before
    assert puts_after == total_parts - len(stored), (puts_after, total_parts, stored)
    assert video_row.get_attribute("data-asset-id") == str(video_created["asset_id"])

    # Both made it through verification and processing, to review, with their renditions.
    db.session.remove()
    storage = get_storage()
    assets = {a.original_filename: a for a in db.session.scalars(select(Asset).where(Asset.owner_id == creator.id))}
    assert set(assets) == {photo.name, video.name}
    for name, asset in assets.items():
        assert asset.status == PENDING_REVIEW, (name, asset.status, asset.problem_code)
        assert asset.license == DETAILS["license"]
        assert asset.thumb_key and storage.head(asset.thumb_key) is not None, name
    assert assets[photo.name].kind == "image"
    assert assets[video.name].kind == "video"
    assert assets[video.name].size_bytes == video.stat().st_size
    assert assets[video.name].poster_key and storage.head(assets[video.name].poster_key) is not None

    csp = [p for p in problems if "Content Security Policy" in p or "Refused to" in p]
    assert not csp, csp
    assert not problems, problems


def test_refused_files_show_the_apps_reason_and_the_others_go_on(
    make_app, storage_settings, live_server, page, tmp_path
):
    """A file the app refuses when the upload is created (over quota) and one it refuses at
    complete (a web page named .jpg) each show the app's own message; the good one uploads."""
    app = make_app(**storage_settings("local", CREATOR_QUOTA_BYTES=100_000))
    good = samples.jpeg(tmp_path / "tenun.jpg")
    fake = samples.html_named_jpg(tmp_path / "innocent.jpg")
    big = tmp_path / "noise.jpg"
    Image.effect_noise((900, 700), 80).convert("RGB").save(big, "JPEG", quality=95)
    assert big.stat().st_size > 100_000
    with app.app_context():
        creator = Factory().user("creator", email="kreator-refused@contoh.id")
        email = creator.email
    server = live_server(app)
    traffic = PartTraffic(page)
    page.set_default_timeout(TIMEOUT_MS)

    log_in(page, server.url, email)
    open_uploader(page, server.url)
    add_files(page, good, fake, big)
    start_upload(page)

    wait_for_result(page, good.name, "done")
    over_quota = wait_for_result(page, big.name, "refused")
    assert traffic.refused[big.name]["error"] == "file_refused"
    assert traffic.refused[big.name]["message"] in over_quota.inner_text()
    html = wait_for_result(page, fake.name, "refused")
    answer = traffic.refused[traffic.created[fake.name]["uploadId"]]
    assert answer["error"] == "file_refused" and "HTML" in answer["message"]
    assert answer["message"] in html.inner_text()
    # The counts are per file, and nothing is left "uploading".
    summary = page.locator("#upload-summary")
    page.wait_for_function("document.getElementById('upload-summary').dataset.uploading === '0'")
    assert (summary.get_attribute("data-done"), summary.get_attribute("data-failed")) == ("1", "2")
    # A refused file offers no retry: sending it again would be refused again.
    assert page.locator(".upload-results li[data-state=refused] button[data-action=retry]:visible").count() == 0

    with app.app_context():
        assets = {a.original_filename: a.status for a in db.session.scalars(select(Asset))}
    assert assets[good.name] in {DRAFT, PENDING_REVIEW}
    assert assets[fake.name] == REJECTED_FILE
    assert big.name not in assets


# -- the batch details, the per-file sheet and honest status (issue 10, points 2 and 3) -------

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def row(page, name: str):
    return page.locator(f'.upload-results li[data-file="{name}"]')


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_batch_details_then_per_file_and_an_honest_status(
    make_app, storage_settings, live_server, page, tmp_path, viewport
):
    """Licence, credit and consent set once for three files; one file gets its title and its own
    licence in its sheet, one gets only a title, one none. The server refuses one at complete
    (a web page named .jpg) while the others succeed: each row says what happened to it, the
    counts end with nothing uploading, and only the file without a title asks for its details."""
    app = make_app(**storage_settings("local"))
    adjusted = samples.jpeg(tmp_path / "tenun.jpg")
    untitled = samples.jpeg(tmp_path / "pantai.jpg")
    fake = samples.html_named_jpg(tmp_path / "innocent.jpg")
    with app.app_context():
        email = Factory().user("creator", email=f"kreator-batch-{viewport['width']}@contoh.id").email
    server = live_server(app)
    # Uncaught errors and CSP refusals; the refused file's 422 is logged by the browser on purpose.
    problems = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda msg: problems.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.set_default_timeout(TIMEOUT_MS)
    page.set_viewport_size(viewport)

    log_in(page, server.url, email)
    open_uploader(page, server.url)
    assert page.locator("html").get_attribute("lang") == "id"
    assert page.locator("#batch-form").is_visible()  # in the page, not behind a pencil
    fill_batch(page, license="CC-BY-4.0", credit="Foto: Baiq / Lombok Phonegraphy")
    add_files(page, adjusted, untitled)

    # The batch reached both files; without a title neither is complete yet.
    for name in (adjusted.name, untitled.name):
        assert row(page, name).get_attribute("data-details") == "incomplete"
        assert "Perlu rincian" in row(page, name).inner_text()
    assert page.inner_text("#upload-start") == "Unggah 2 berkas"

    # One file's sheet: the batch values are its starting point; its own licence overrides.
    sheet = open_sheet(page, adjusted.name)
    assert page.input_value("#file-license") == "CC-BY-4.0"
    assert page.input_value("#file-credit") == "Foto: Baiq / Lombok Phonegraphy"
    assert page.is_checked("#file-consent")
    sheet_box = sheet.bounding_box()
    if viewport is PHONE:  # the whole screen, not a 170 px box
        assert sheet_box["width"] >= PHONE["width"] - 1 and sheet_box["height"] >= PHONE["height"] - 1
    assert on_screen(page, page.locator("#file-sheet button[value=save]"))
    page.fill("#file-title", "Kain tenun Sukarara")
    page.fill("#file-description", "Penenun di Desa Sukarara.")
    page.select_option("#file-license", "NTB-PROMO")
    save_sheet(page)
    expect(row(page, adjusted.name)).to_have_attribute("data-details", "complete")
    assert "Rincian lengkap" in row(page, adjusted.name).inner_text()
    assert "1 berkas akan menunggu sebagai draf" in page.inner_text("#upload-note")

    # A later change of the batch reaches the files, but not what a sheet overrode.
    page.fill("#batch-credit", "Foto: Baiq Nurul / Lombok Phonegraphy")
    assert no_horizontal_scroll(page)
    if viewport is PHONE:  # docs/screenshots/upload.png: the page from its title down to the files
        area = page.evaluate(
            """() => {
                const top = document.querySelector('main h1').getBoundingClientRect().top - 8;
                const files = document.querySelector('.upload-files').getBoundingClientRect().bottom;
                const bar = document.getElementById('upload-bar').offsetHeight;  // sticky: after the files
                return {x: 0, y: top + scrollY, width: innerWidth, height: files - top + bar + 16};
            }"""
        )
        save_screenshot(page, "upload", full_page=True, clip=area)

    add_files(page, fake)
    open_sheet(page, fake.name)
    page.fill("#file-title", "Bukan foto")
    save_sheet(page)
    assert page.inner_text("#upload-start") == "Unggah 3 berkas"
    assert on_screen(page, page.locator("#upload-start"))  # the bar stays on screen
    start_upload(page)

    wait_for_result(page, adjusted.name, "done")
    wait_for_result(page, untitled.name, "done")
    refused = wait_for_result(page, fake.name, "refused")
    assert "HTML" in refused.inner_text()  # the server's reason, not "upload failed"
    page.wait_for_function("document.getElementById('upload-summary').dataset.uploading === '0'")
    summary = page.locator("#upload-summary")
    assert (summary.get_attribute("data-done"), summary.get_attribute("data-failed")) == ("2", "1")
    assert "2 selesai · 1 gagal · 0 sedang diunggah" in summary.inner_text()
    assert "Mengunggah" not in summary.inner_text()
    # "Lengkapi rincian" only where the app said the details are incomplete.
    assert row(page, untitled.name).locator("a.upload-result-link").inner_text() == "Lengkapi rincian"
    assert row(page, untitled.name).get_attribute("data-details") == "incomplete"
    assert not row(page, adjusted.name).locator("a.upload-result-link").is_visible()
    assert row(page, adjusted.name).get_attribute("data-details") == "complete"
    assert page.locator(".upload-results button[data-action=retry]:visible").count() == 0
    assert no_horizontal_scroll(page)

    with app.app_context():
        assets = {a.original_filename: a for a in db.session.scalars(select(Asset))}
        first, second = assets[adjusted.name], assets[untitled.name]
        assert (first.title, first.license, first.consent, first.status) == (
            "Kain tenun Sukarara",
            "NTB-PROMO",
            True,
            PENDING_REVIEW,
        )
        assert first.description == "Penenun di Desa Sukarara."
        assert first.credit == second.credit == "Foto: Baiq Nurul / Lombok Phonegraphy"
        assert (second.title, second.license, second.consent, second.status) == ("", "CC-BY-4.0", True, DRAFT)
        assert assets[fake.name].status == REJECTED_FILE
    assert not problems, problems


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_my_uploads_refreshes_a_processing_asset_without_reloading(app, live_server, page, viewport):
    creator = Factory().user("creator", email=f"kreator-mine-{viewport['width']}@contoh.id")
    asset = Asset(owner=creator, original_filename="festival.mp4", status=PROCESSING, kind="video", title="Bau Nyale")
    asset.storage_key = f"assets/{asset.uuid}/original"
    db.session.add(asset)
    db.session.commit()
    server = live_server(app)
    page.set_default_timeout(TIMEOUT_MS)
    page.set_viewport_size(viewport)
    log_in(page, server.url, creator.email)
    page.goto(f"{server.url}/my/assets")
    line = page.locator(f'tr[data-asset-id="{asset.id}"]')
    assert line.get_attribute("data-status") == PROCESSING and "Sedang diproses" in line.inner_text()
    page.evaluate("window.notReloaded = true")
    edit = line.locator("a.button", has_text="Ubah")
    assert on_screen(page, edit, min_tap=44 if viewport is PHONE else 0)
    assert no_horizontal_scroll(page)

    # The worker finishes meanwhile (from a fresh transaction: the test's own read one is stale
    # after the server's writes, and SQLite would refuse to upgrade it).
    asset_id = asset.id
    db.session.remove()
    db.session.execute(update(Asset).where(Asset.id == asset_id).values(status=PENDING_REVIEW))
    db.session.commit()
    asset = db.session.get(Asset, asset_id)
    page.wait_for_selector(f'tr[data-asset-id="{asset.id}"][data-status="{PENDING_REVIEW}"]')
    assert "peninjauan" in line.inner_text().lower()
    assert line.get_attribute("data-settling") is None
    assert page.evaluate("window.notReloaded") is True
