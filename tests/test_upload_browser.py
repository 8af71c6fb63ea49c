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
from sqlalchemy import select

from koin_media.assets.models import DRAFT, PENDING_REVIEW, REJECTED_FILE, Asset
from koin_media.extensions import db
from koin_media.storage import get_storage
from tests import samples
from tests.conftest import PASSWORD, Factory

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


def log_in(page, base_url: str, email: str):
    page.goto(f"{base_url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form button[type=submit].button")
    assert "/login" not in urlsplit(page.url).path, "log-in failed"


def open_uploader(page, base_url: str):
    answer = page.goto(f"{base_url}/upload")
    assert answer.status == 200, f"GET /upload answered {answer.status}"
    page.wait_for_selector("#uploader .uppy-Dashboard", timeout=TIMEOUT_MS)


FILE_INPUT = "#uploader input.uppy-Dashboard-input[type=file]:not([webkitdirectory])"


def add_files(page, *paths):
    page.set_input_files(FILE_INPUT, [str(p) for p in paths])
    for path in paths:
        page.locator("#uploader .uppy-Dashboard-Item", has_text=path.name).wait_for()


def fill_details(page, filename: str, title: str):
    item = page.locator("#uploader .uppy-Dashboard-Item", has_text=filename)
    item.locator(".uppy-Dashboard-Item-action--edit").click()
    card = page.locator("#uploader .uppy-Dashboard-FileCard")
    card.wait_for()
    page.fill("#uppy-Dashboard-FileCard-input-title", title)
    page.fill("#uppy-Dashboard-FileCard-input-tags", "tenun, lombok")
    page.select_option("#uppy-Dashboard-FileCard-input-license", DETAILS["license"])
    page.check("#uppy-Dashboard-FileCard-input-consent")
    # The community select starts on the creator's own community.
    assert page.input_value("#uppy-Dashboard-FileCard-input-community") == "lombok-phonegraphy"
    card.locator("button.uppy-c-btn-primary.uppy-Dashboard-FileCard-actionsBtn").click()
    card.wait_for(state="detached")


def start_upload(page):
    page.click("#uploader .uppy-StatusBar-actionBtn--upload")


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
    add_files(page, photo, video)
    fill_details(page, photo.name, "Kain tenun Sukarara")
    fill_details(page, video.name, "Festival Bau Nyale")
    start_upload(page)

    photo_row = wait_for_result(page, photo.name)
    photo_created = traffic.created[photo.name]
    assert photo_row.get_attribute("data-asset-id") == str(photo_created["asset_id"])
    edit_link = photo_row.locator("a.upload-result-link")
    assert edit_link.get_attribute("href").endswith(f"/{photo_created['asset_id']}/edit")

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
    # The Dashboard marks both files as failed too.
    assert page.locator("#uploader .uppy-Dashboard-Item.is-error").count() == 2

    with app.app_context():
        assets = {a.original_filename: a.status for a in db.session.scalars(select(Asset))}
    assert assets[good.name] in {DRAFT, PENDING_REVIEW}
    assert assets[fake.name] == REJECTED_FILE
    assert big.name not in assets
