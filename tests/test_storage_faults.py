"""Storage faults answered cleanly: a really full disk (a 2 MB tmpfs), a stopped S3 endpoint,
and an S3-compatible store that lacks some calls (a proxy in front of moto answering 501).

Every answer is a 503/507/502 with a message in the user's language (Indonesian by default),
never a 500, and the database is left as it was: no asset stuck in ``verifying``, no download
logged or counted for a link that was not issued.
"""

from __future__ import annotations

import errno
import os
import subprocess
import threading
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import requests
from moto.server import ThreadedMotoServer
from sqlalchemy import func, select

from koin_media.accounts.services import create_token
from koin_media.assets.models import Asset, AssetDownload, MultipartUpload
from koin_media.database import utcnow
from koin_media.extensions import db
from koin_media.storage import get_storage

from . import samples
from .asset_helpers import DETAILS, Uploader, approved_asset, plain_upload
from .conftest import Auth, csrf_token
from .storage_fixtures import REGION, Transport

FULL_MESSAGE = "Penyimpanan berkas penuh"
DOWN_MESSAGE = "Penyimpanan berkas sedang tidak dapat dihubungi"
STORE_ERROR_MESSAGE = "Penyimpanan berkas menjawab dengan galat"


def rows() -> dict:
    """What a fault must not change: every asset, upload and download row, and the counts."""
    db.session.expire_all()
    return {
        "assets": [(a.id, a.status) for a in db.session.scalars(select(Asset).order_by(Asset.id))],
        "uploads": [
            (u.upload_id, u.asset_id, u.finished_at is None)
            for u in db.session.scalars(select(MultipartUpload).order_by(MultipartUpload.id))
        ],
        "downloads": db.session.scalar(select(func.count()).select_from(AssetDownload)),
        "counted": db.session.scalar(select(func.coalesce(func.sum(Asset.download_count), 0))),
    }


def verified(factory, role: str):
    """A user whose e-mail address is confirmed: only those may upload."""
    return factory.user(role, email_verified_at=utcnow())


def started(uploader: Uploader, photo: Path) -> dict:
    created = uploader.create(photo, DETAILS)
    assert created.status_code == 200, created.get_json()
    return created.get_json()


def assert_json_fault(response, status: int, message: str, error: str):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"] == error and message in body["message"], body


def assert_page_fault(response, status: int, message: str):
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == "text/html" and message in response.get_data(as_text=True)


# --- a really full disk --------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A 2 MB tmpfs, so "disk full" is the kernel's own ENOSPC, not an imitation of it."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"mounting a 2 MB tmpfs needs root (CAP_SYS_ADMIN): {mounted.stderr.strip()}")
    yield mount_point
    subprocess.run(["umount", "--lazy", str(mount_point)], check=True)


def fill(disk: Path) -> Path:
    """Write until the kernel says the disk is full, down to the last byte."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        for block in (1 << 16, 1 << 10, 1):
            while True:
                try:
                    os.write(fd, b"\0" * block)
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC
                    break
    finally:
        os.close(fd)
    return filler


@pytest.fixture
def disk_app(make_app, small_disk):
    app = make_app(STORAGE_BACKEND="local", STORAGE_DIR=str(small_disk / "storage"))
    with app.app_context():
        yield app


@pytest.fixture
def creator(disk_app, factory):
    return verified(factory, "creator")


def temp_files(app) -> list[str]:
    return sorted(os.listdir(Path(app.config["STORAGE_DIR"]) / "tmp"))


def test_full_disk_part_put_is_507_and_keeps_nothing(disk_app, small_disk, creator, tmp_path):
    _token, plain = create_token(creator, "tests")
    uploader = Uploader(disk_app.test_client(), Transport(disk_app, "local"), plain)
    photo = samples.jpeg(tmp_path)
    created = started(uploader, photo)
    signed = uploader.client.get(
        f"/uploads/s3/multipart/{created['uploadId']}/1", query_string={"key": created["key"]}, headers=uploader.headers
    ).get_json()
    fill(small_disk)
    before = rows()

    status, headers, body = uploader.transport.put(signed["url"], photo.read_bytes())
    assert status == 507
    assert headers["Content-Type"] == "application/json"
    assert FULL_MESSAGE in body.decode()
    assert rows() == before
    assert uploader.list_parts(created).get_json() == []
    assert temp_files(disk_app) == []  # the half-written part went with the error


def test_full_disk_complete_is_507_and_can_be_retried(disk_app, small_disk, creator, tmp_path):
    _token, plain = create_token(creator, "tests")
    uploader = Uploader(disk_app.test_client(), Transport(disk_app, "local"), plain)
    photo = samples.jpeg(tmp_path)
    created = started(uploader, photo)
    parts = uploader.send_parts(created, photo)
    filler = fill(small_disk)
    before = rows()

    assert_json_fault(uploader.complete(created, parts), 507, FULL_MESSAGE, "storage_full")
    assert rows() == before  # still uploading, the upload still open: the parts wait on disk
    assert before["assets"] == [(created["asset_id"], "uploading")]
    assert temp_files(disk_app) == []

    filler.unlink()  # the operator frees space; the same complete now goes through
    retried = uploader.complete(created, parts)
    assert retried.status_code == 200, retried.get_json()
    assert retried.get_json()["status"] == "pending_review"


def test_full_disk_plain_upload_is_507_and_leaves_no_asset(disk_app, small_disk, creator, tmp_path):
    client = disk_app.test_client()
    Auth(client).login(creator)
    photo = samples.jpeg(tmp_path)
    fill(small_disk)

    assert_page_fault(plain_upload(client, photo), 507, FULL_MESSAGE)
    assert rows()["assets"] == []  # was: an asset left in "verifying" for ever
    assert list(get_storage().list_keys("assets/")) == [] and temp_files(disk_app) == []


# --- a stopped S3 endpoint -----------------------------------------------------------------


@pytest.fixture
def own_moto(aws_environment):
    """A moto server of this test alone, so it can be stopped without harming the others."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    bucket = f"koin-fault-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name=REGION)
    client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    state = {"running": True}

    def stop():
        server.stop()
        state["running"] = False

    yield endpoint, bucket, client, stop
    if state["running"]:
        server.stop()


def s3_settings(endpoint: str, bucket: str) -> dict:
    return {
        "STORAGE_BACKEND": "s3",
        "S3_BUCKET": bucket,
        "S3_ENDPOINT_URL": endpoint,
        "S3_REGION": REGION,
        "S3_ADDRESSING_STYLE": "path",
    }


@pytest.fixture
def s3_down(make_app, own_moto, factory, tmp_path):
    """An app on a bucket that worked (an unfinished upload, a published asset with its file),
    and then the endpoint stops."""
    endpoint, bucket, _client, stop = own_moto
    app = make_app(**s3_settings(endpoint, bucket))
    with app.app_context():
        creator, ikm = verified(factory, "creator"), verified(factory, "ikm")
        _token, plain = create_token(creator, "tests")
        uploader = Uploader(app.test_client(), Transport(app, "s3"), plain)
        photo = samples.jpeg(tmp_path)
        created = started(uploader, photo)
        published = approved_asset(creator, "Tenun Sukarara")
        get_storage().put(published.storage_key, photo.read_bytes(), "image/jpeg")
        stop()
        yield {
            "app": app,
            "uploader": uploader,
            "created": created,
            "asset": published,
            "creator": creator,
            "ikm": ikm,
            "photo": photo,
        }


def test_s3_down_upload_protocol_answers_503(s3_down):
    uploader, created = s3_down["uploader"], s3_down["created"]
    before = rows()
    query = {"key": created["key"]}
    base = f"/uploads/s3/multipart/{created['uploadId']}"

    signed = uploader.client.get(f"{base}/1", query_string=query, headers=uploader.headers)
    assert_json_fault(signed, 503, DOWN_MESSAGE, "storage_unavailable")
    assert int(signed.headers["Retry-After"]) > 0
    assert_json_fault(uploader.list_parts(created), 503, DOWN_MESSAGE, "storage_unavailable")
    parts = [{"PartNumber": 1, "ETag": '"0123456789abcdef0123456789abcdef"'}]
    assert_json_fault(uploader.complete(created, parts), 503, DOWN_MESSAGE, "storage_unavailable")
    aborted = uploader.client.delete(base, query_string=query, headers=uploader.headers)
    assert_json_fault(aborted, 503, DOWN_MESSAGE, "storage_unavailable")
    again = uploader.create(s3_down["photo"], {**DETAILS, "lastModified": 1})  # a new upload
    assert_json_fault(again, 503, DOWN_MESSAGE, "storage_unavailable")
    assert rows() == before  # the upload stays open, to be completed or aborted later


def test_s3_down_download_is_503_and_not_counted(s3_down):
    app, asset = s3_down["app"], s3_down["asset"]
    _token, plain = create_token(s3_down["ikm"], "tests")
    before = rows()
    api = app.test_client().post(
        f"/api/v1/assets/{asset.id}/download",
        json={"accept_license": True, "variant": "original"},
        headers={"Authorization": f"Bearer {plain}"},
    )
    assert_json_fault(api, 503, DOWN_MESSAGE, "storage_unavailable")
    assert "url" not in api.get_json()

    client = app.test_client()
    Auth(client).login(s3_down["ikm"])
    page = f"/assets/{asset.id}"
    html = client.post(
        f"{page}/download",
        data={"accept_license": "y", "purpose": "print", "variant": "original", "csrf_token": csrf_token(client, page)},
    )
    assert_page_fault(html, 503, DOWN_MESSAGE)
    assert html.headers["Retry-After"]
    assert rows() == before and before["downloads"] == 0 and before["counted"] == 0


def test_s3_down_plain_upload_is_503_and_leaves_no_asset(s3_down):
    client = s3_down["app"].test_client()
    Auth(client).login(s3_down["creator"])
    before = rows()
    assert_page_fault(plain_upload(client, s3_down["photo"]), 503, DOWN_MESSAGE)
    assert rows() == before  # no asset left in "verifying"


# --- a store that lacks some calls ---------------------------------------------------------

NOT_IMPLEMENTED = (
    b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>NotImplemented</Code>'
    b"<Message>A header you provided implies functionality that is not implemented</Message></Error>"
)
STORAGE_FULL = (
    b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>XMinioStorageFull</Code>'
    b"<Message>Storage backend has reached its minimum free drive threshold.</Message></Error>"
)


def lacks_lifecycle_and_listings(method: str, params: dict) -> tuple[int, bytes] | None:
    """Like s3rver: no lifecycle rules, no listing of unfinished uploads or of their parts."""
    if "lifecycle" in params or (method == "GET" and ("uploads" in params or "uploadId" in params)):
        return 501, NOT_IMPLEMENTED
    return None


def full_for_new_objects(method: str, params: dict) -> tuple[int, bytes] | None:
    """Like a MinIO whose drives are past their free-space threshold."""
    if method == "PUT" and "partNumber" not in params:
        return 507, STORAGE_FULL
    return None


SLOW_DOWN = (
    b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>'
    b"<Message>Please reduce your request rate.</Message></Error>"
)


def reads_fail(method: str, params: dict) -> tuple[int, bytes] | None:
    """Objects cannot be read (GetObject answers 503); everything else works."""
    if method == "GET" and not params:
        return 503, SLOW_DOWN
    return None


class StoreProxy:
    """A real HTTP server in front of moto that answers some calls itself, as a limited or
    troubled S3-compatible store would, and passes the rest through."""

    def __init__(self, upstream: str, rule):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def handle_one(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                params = parse_qs(urlsplit(self.path).query, keep_blank_values=True)
                answer = proxy.rule(self.command, params)
                if answer is not None:
                    status, payload = answer
                    self.send_response(status)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                upstream_answer = requests.request(
                    self.command, upstream + self.path, headers=headers, data=body, timeout=30
                )
                self.send_response(upstream_answer.status_code)
                for name, value in upstream_answer.headers.items():
                    if name.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                        self.send_header(name, value)
                content = upstream_answer.content
                if self.command == "HEAD":
                    self.send_header("Content-Length", upstream_answer.headers.get("Content-Length", "0"))
                    self.end_headers()
                    return
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_one

        self.rule = rule
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        if self.thread.is_alive():
            self.server.shutdown()
            self.server.server_close()
            self.thread.join()


@pytest.fixture
def limited_store(make_app, own_moto, factory):
    endpoint, bucket, client, stop = own_moto
    proxy = StoreProxy(endpoint, lacks_lifecycle_and_listings)
    app = make_app(**s3_settings(proxy.url, bucket))
    with app.app_context():
        yield {"app": app, "proxy": proxy, "client": client, "bucket": bucket, "stop": stop}
    proxy.close()


def test_storage_init_warns_for_what_the_store_lacks_and_goes_on(limited_store):
    app, client, bucket = limited_store["app"], limited_store["client"], limited_store["bucket"]
    result = app.test_cli_runner().invoke(args=["storage", "init", "--origin", "https://koin.ntbprov.go.id"])
    assert result.exit_code == 0, result.output
    assert f"bucket {bucket} exists" in result.output
    assert "CORS: browsers at https://koin.ntbprov.go.id may PUT" in result.output
    assert "warning: lifecycle: not supported by this store" in result.output
    # The step after the unsupported one still ran: the CORS rule is on the bucket.
    assert client.get_bucket_cors(Bucket=bucket)["CORSRules"][0]["AllowedOrigins"] == ["https://koin.ntbprov.go.id"]


def test_storage_cleanup_warns_and_still_aborts_what_the_app_knows(limited_store, factory, tmp_path):
    app, client, bucket = limited_store["app"], limited_store["client"], limited_store["bucket"]
    creator = verified(factory, "creator")
    _token, plain = create_token(creator, "tests")
    uploader = Uploader(app.test_client(), Transport(app, "s3"), plain)
    created = started(uploader, samples.jpeg(tmp_path))
    record = db.session.scalar(select(MultipartUpload).where(MultipartUpload.upload_id == created["uploadId"]))
    record.created_at = utcnow() - timedelta(days=2)
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["storage", "cleanup"])
    assert result.exit_code == 0, result.output
    assert "warning: store uploads: this store cannot list unfinished uploads" in result.output
    assert "app uploads: aborted 1 stale upload(s)" in result.output
    assert "orphans: removed files of 0 deleted asset(s)" in result.output
    assert "stuck: requeued 0 asset(s)" in result.output
    assert client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []  # asked of moto itself
    assert rows()["assets"] == [] and rows()["uploads"] == [(created["uploadId"], None, False)]


def test_list_parts_the_store_lacks_is_a_clear_502(limited_store, factory, tmp_path):
    app = limited_store["app"]
    creator = verified(factory, "creator")
    _token, plain = create_token(creator, "tests")
    uploader = Uploader(app.test_client(), Transport(app, "s3"), plain)
    created = started(uploader, samples.jpeg(tmp_path))
    assert_json_fault(uploader.list_parts(created), 502, STORE_ERROR_MESSAGE, "storage_error")
    # Signing still works: the store's answer to HeadBucket shows it is up.
    signed = uploader.client.get(
        f"/uploads/s3/multipart/{created['uploadId']}/1", query_string={"key": created["key"]}, headers=uploader.headers
    )
    assert signed.status_code == 200, signed.get_json()


def test_storage_init_and_cleanup_fail_when_the_store_is_down(limited_store):
    app = limited_store["app"]
    limited_store["proxy"].close()  # the endpoint the app talks to is gone
    init = app.test_cli_runner().invoke(args=["storage", "init", "--origin", "https://koin.ntbprov.go.id"])
    assert init.exit_code != 0
    for step in ("bucket", "CORS", "lifecycle"):
        assert f"FAILED: {step}:" in init.output, init.output
    cleanup = app.test_cli_runner().invoke(args=["storage", "cleanup"])
    assert cleanup.exit_code != 0
    assert "FAILED: store uploads:" in cleanup.output and "FAILED: orphans:" in cleanup.output
    assert "stuck: requeued 0 asset(s)" in cleanup.output  # the steps after a failure ran


def test_s3_full_store_plain_upload_is_507(make_app, own_moto, factory, tmp_path):
    endpoint, bucket, client, _stop = own_moto
    proxy = StoreProxy(endpoint, full_for_new_objects)
    try:
        app = make_app(**s3_settings(proxy.url, bucket))
        with app.app_context():
            creator = verified(factory, "creator")
            web = app.test_client()
            Auth(web).login(creator)
            assert_page_fault(plain_upload(web, samples.jpeg(tmp_path)), 507, FULL_MESSAGE)
            assert rows()["assets"] == []
            assert client.list_objects_v2(Bucket=bucket).get("KeyCount") == 0
    finally:
        proxy.close()


def test_store_failing_during_verification_leaves_no_asset(make_app, own_moto, factory, tmp_path):
    """Complete assembled the object, then the store failed while it was checked: the asset
    must not wait in "verifying" for ever, and the assembled object is deleted."""
    endpoint, bucket, client, _stop = own_moto
    proxy = StoreProxy(endpoint, reads_fail)
    try:
        app = make_app(**s3_settings(proxy.url, bucket))
        with app.app_context():
            _token, plain = create_token(verified(factory, "creator"), "tests")
            uploader = Uploader(app.test_client(), Transport(app, "s3"), plain)
            photo = samples.jpeg(tmp_path)
            created = started(uploader, photo)
            parts = uploader.send_parts(created, photo)
            assert_json_fault(uploader.complete(created, parts), 503, DOWN_MESSAGE, "storage_unavailable")
            assert rows()["assets"] == []
            assert rows()["uploads"] == [(created["uploadId"], None, False)]
            assert client.list_objects_v2(Bucket=bucket).get("KeyCount") == 0
    finally:
        proxy.close()
