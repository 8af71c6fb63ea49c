"""Bytes bounded by what was declared.

A creator once declared a 1 KB photo and stored 60 MB of parts: parts were only checked at
complete. Now the declared size decides, before the bytes arrive, which part numbers may be
signed and how large each part may be; create refuses sizes over the kind's limit or the
remaining quota (unfinished uploads count), and too many unfinished uploads at once.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from sqlalchemy import func, select

from koin_media.accounts.services import create_token
from koin_media.assets.models import Asset
from koin_media.assets.quota import expected_part_size, part_count, part_size
from koin_media.extensions import db
from koin_media.storage import get_storage
from koin_media.storage.local import PartTooLarge

from . import samples
from .asset_helpers import DETAILS, Uploader
from .storage_fixtures import Transport

KB, MIB = 1024, 1024 * 1024
ALL_KINDS = ("image", "video", "audio", "document")


def declare(uploader, size: int, name: str = "foto.jpg", last_modified: int = 1):
    """Start an upload that declares ``size`` bytes (the bytes themselves are never read)."""
    body = {"filename": name, "type": "", "metadata": {"size": size, "lastModified": last_modified}}
    return uploader.client.post("/uploads/s3/multipart", json=body, headers=uploader.headers)


def stored_parts(created: dict) -> list:
    return get_storage().list_parts(created["key"], created["uploadId"])


# --- the part plan ------------------------------------------------------------------------------


def uppy_chunks(size: int) -> list[int]:
    """The part sizes @uppy/aws-s3 5.1 (MultipartUploader#initChunks) cuts a file into, with
    static/js/upload.js's getChunkSize: max(5 MiB, ceil(size / 10000)); one part up to 5 MiB."""
    if size <= 5 * MIB:
        return [size]
    chunk = max(-(-size // 10_000), 5 * MIB)
    return [min(chunk, size - offset) for offset in range(0, size, chunk)]


@pytest.mark.parametrize(
    "size", [0, 1, KB, 5 * MIB - 1, 5 * MIB, 5 * MIB + 1, 11 * 1000 * 1000, 5 * 1024 * MIB, 60 * 1024 * 1024 * MIB]
)
def test_the_part_plan_is_the_one_uppy_cuts(size):
    chunks = uppy_chunks(size)
    assert part_count(size) == len(chunks) <= 10_000
    assert [expected_part_size(size, n) for n in range(1, len(chunks) + 1)] == chunks
    assert expected_part_size(size, len(chunks) + 1) is None and expected_part_size(size, 0) is None
    assert part_size(size) >= 5 * MIB


# --- sign ---------------------------------------------------------------------------------------


def test_a_1_kb_upload_gets_one_part_of_1_kb(uploader, backend):
    created = declare(uploader, KB).get_json()
    signed = uploader.sign(created, 1)
    assert signed.status_code == 200 and signed.get_json()["size"] == KB
    query = dict(parse_qsl(urlsplit(signed.get_json()["url"]).query))
    if backend == "local":
        assert query["max_bytes"] == str(KB)
    else:
        assert "content-length" in query["X-Amz-SignedHeaders"].split(";")

    refused = uploader.sign(created, 2)
    assert refused.status_code == 422
    body = refused.get_json()
    assert (body["error"], body["reason"]) == ("file_refused", "beyond_declared")
    assert "1,0 KB" in body["message"] and "diumumkan" in body["message"]  # the creator's language


def test_each_part_is_signed_for_its_own_size(uploader):
    declared = 11 * MIB + 7
    created = declare(uploader, declared, "klip.mp4").get_json()
    sizes = [uploader.sign(created, n).get_json()["size"] for n in (1, 2, 3)]
    assert sizes == [5 * MIB, 5 * MIB, MIB + 7]
    assert uploader.sign(created, 4).status_code == 422


def test_signing_stops_when_the_quota_is_gone(storage_app, uploader):
    created = declare(uploader, 2 * MIB).get_json()
    assert uploader.sign(created, 1).status_code == 200
    storage_app.config["CREATOR_QUOTA_BYTES"] = MIB  # lowered while the upload waits
    refused = uploader.sign(created, 1)
    assert refused.status_code == 422 and refused.get_json()["reason"] == "over_quota"


def test_signing_stops_when_the_kind_limit_is_lowered(storage_app, uploader):
    created = declare(uploader, 2 * MIB).get_json()
    storage_app.config["MAX_BYTES"] = {kind: MIB for kind in ALL_KINDS}
    refused = uploader.sign(created, 1)
    assert refused.status_code == 422 and refused.get_json()["reason"] == "too_large"


# --- the local part PUT ---------------------------------------------------------------------------


@pytest.fixture
def local_uploader(make_app, storage_settings, factory):
    app = make_app(**storage_settings("local"))
    with app.app_context():
        _token, plain = create_token(factory.user("creator"), "tests")
        yield Uploader(app.test_client(), Transport(app, "local"), plain)


def local_part_path(uploader, created: dict, part_number: int = 1) -> str:
    url = urlsplit(uploader.sign(created, part_number).get_json()["url"])
    return f"{url.path}?{url.query}"


class CountingStream(io.RawIOBase):
    """``total`` bytes of body that remembers how many were read (the test client measures
    a stream by seeking to its end, which reads nothing)."""

    def __init__(self, total: int):
        self.total, self.position, self.read_so_far = total, 0, 0

    def readable(self):
        return True

    def seekable(self):
        return True

    def seek(self, offset, whence=io.SEEK_SET):
        self.position = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.total}[whence] + offset
        return self.position

    def tell(self):
        return self.position

    def readinto(self, buffer):
        n = max(0, min(len(buffer), self.total - self.position))
        buffer[:n] = b"x" * n
        self.position += n
        self.read_so_far += n
        return n


def nothing_left_in(storage_root) -> bool:
    tmp = storage_root / "tmp"
    return not tmp.exists() or not any(tmp.iterdir())


def test_60_mb_announced_to_a_1_kb_part_url_is_refused_unread(local_uploader):
    created = declare(local_uploader, KB).get_json()
    body = CountingStream(60 * MIB)
    response = local_uploader.client.put(
        local_part_path(local_uploader, created),
        input_stream=body,
        content_length=60 * MIB,
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 413 and response.get_json()["error"] == "part_too_large"
    assert "diumumkan" in response.get_json()["message"]
    assert body.read_so_far == 0
    assert stored_parts(created) == [] and nothing_left_in(get_storage().root)


@pytest.mark.parametrize("total", [KB + 1, 60 * MIB])
def test_a_body_streamed_without_a_length_stops_at_the_first_byte_too_many(local_uploader, total):
    created = declare(local_uploader, KB).get_json()
    body = CountingStream(total)
    response = local_uploader.client.put(
        local_part_path(local_uploader, created),
        input_stream=body,
        headers={"Transfer-Encoding": "chunked", "Accept": "application/json"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413
    assert body.read_so_far < 64 * KB  # read only until the limit was passed, not the 60 MB
    assert stored_parts(created) == [] and nothing_left_in(get_storage().root)


def test_the_local_store_itself_stops_a_part_at_its_maximum(local_uploader):
    """The store's own guard, whoever calls it: one byte past the maximum is enough to refuse."""
    created = declare(local_uploader, KB).get_json()
    storage = get_storage()
    body = CountingStream(60 * MIB)
    with pytest.raises(PartTooLarge):
        storage.write_part(created["key"], created["uploadId"], 1, body, max_bytes=KB)
    assert body.read_so_far == KB + 1
    assert stored_parts(created) == [] and nothing_left_in(storage.root)


def test_a_streamed_part_of_exactly_its_size_is_taken(local_uploader):
    created = declare(local_uploader, KB).get_json()
    response = local_uploader.client.put(
        local_part_path(local_uploader, created),
        input_stream=CountingStream(KB),
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 200
    assert [(p.part_number, p.size) for p in stored_parts(created)] == [(1, KB)]


def test_a_refused_resend_keeps_the_good_part(local_uploader):
    created = declare(local_uploader, KB).get_json()
    path = local_part_path(local_uploader, created)
    assert local_uploader.client.put(path, data=b"a" * KB).status_code == 200
    assert local_uploader.client.put(path, data=b"b" * (KB + 1)).status_code == 413
    assert [(p.part_number, p.size) for p in stored_parts(created)] == [(1, KB)]


def test_a_part_up_to_its_size_is_taken(local_uploader):
    created = declare(local_uploader, KB).get_json()
    response = local_uploader.client.put(local_part_path(local_uploader, created), data=b"x" * KB)
    assert response.status_code == 200
    assert [(p.part_number, p.size) for p in stored_parts(created)] == [(1, KB)]


# --- S3: the signed Content-Length --------------------------------------------------------------


def sigv4_query_signature_valid(url: str, method: str, headers: dict[str, str], secret: str) -> bool:
    """S3's check of a presigned URL (SigV4, query authentication), written out from the AWS
    specification: True only if the request sends exactly the signed header values."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    params = dict(query)
    signed_headers = params["X-Amz-SignedHeaders"].split(";")
    encode = lambda text: quote(text, safe="-_.~")  # noqa: E731
    canonical_query = "&".join(f"{encode(k)}={encode(v)}" for k, v in sorted(query) if k != "X-Amz-Signature")
    lowered = {name.lower(): value for name, value in headers.items()}
    canonical_headers = "".join(f"{name}:{lowered[name].strip()}\n" for name in signed_headers)
    canonical_request = "\n".join(
        [method, parts.path, canonical_query, canonical_headers, ";".join(signed_headers), "UNSIGNED-PAYLOAD"]
    )
    scope = params["X-Amz-Credential"].split("/", 1)[1]
    string_to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", params["X-Amz-Date"], scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    key = f"AWS4{secret}".encode()
    for piece in scope.split("/"):
        key = hmac.new(key, piece.encode(), hashlib.sha256).digest()
    expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, params["X-Amz-Signature"])


@pytest.fixture
def s3_uploader(make_app, storage_settings, factory):
    app = make_app(**storage_settings("s3"))
    with app.app_context():
        _token, plain = create_token(factory.user("creator"), "tests")
        yield Uploader(app.test_client(), Transport(app, "s3"), plain)


def test_s3_part_urls_are_valid_only_for_the_signed_length(s3_uploader):
    """moto does not check signatures at all (a PUT with a forged signature is taken), so the
    check a real bucket makes is done here from the URL: the signature covers Content-Length."""
    created = declare(s3_uploader, 11 * MIB + 7, "klip.mp4").get_json()
    url = s3_uploader.sign(created, 3).get_json()["url"]
    host = urlsplit(url).netloc
    assert re.search(r"X-Amz-SignedHeaders=content-length%3Bhost(&|$)", url)
    assert sigv4_query_signature_valid(url, "PUT", {"host": host, "content-length": str(MIB + 7)}, "testing")
    for other in (MIB + 8, MIB + 6, 60 * MIB):
        assert not sigv4_query_signature_valid(url, "PUT", {"host": host, "content-length": str(other)}, "testing")
    # The signed length is what the part plan gives the last part; a browser sends exactly that.
    status, _headers, _body = s3_uploader.transport.put(url, b"x" * (MIB + 7))
    assert status == 200 and stored_parts(created)[0].size == MIB + 7


def test_s3_a_store_that_ignores_the_signed_length_is_caught_at_complete(s3_uploader, tmp_path):
    photo = samples.jpeg(tmp_path / "foto.jpg", size=(800, 600))
    created = declare(s3_uploader, 1000).get_json()
    url = s3_uploader.sign(created, 1).get_json()["url"]
    status, headers, _body = s3_uploader.transport.put(url, photo.read_bytes())  # moto takes it
    assert status == 200
    response = s3_uploader.complete(created, [{"PartNumber": 1, "ETag": headers["ETag"]}])
    assert response.status_code == 422 and response.get_json()["reason"] == "beyond_declared"
    assert list(get_storage().list_keys("assets/")) == []


# --- create: limit, quota, unfinished uploads -------------------------------------------------------


@pytest.mark.parametrize(
    "metadata",
    [{}, {"size": ""}, {"size": "banyak"}, {"size": -1}, {"size": True}, {"size": 999.9}, {"size": float("inf")}],
)
def test_create_needs_the_size(uploader, metadata):
    body = {"filename": "foto.jpg", "type": "image/jpeg", "metadata": metadata}
    response = uploader.client.post("/uploads/s3/multipart", json=body, headers=uploader.headers)
    assert response.status_code == 422 and "size" in response.get_json()["errors"]


def test_create_refuses_a_size_over_the_kind_limit(storage_app, uploader):
    storage_app.config["MAX_BYTES"] = {kind: 10 * KB for kind in ALL_KINDS}
    response = declare(uploader, 10 * KB + 1)
    assert response.status_code == 422 and response.get_json()["reason"] == "too_large"
    assert declare(uploader, 10 * KB, "lain.jpg").status_code == 200


def test_unfinished_uploads_count_against_the_quota(storage_app, uploader, creator):
    storage_app.config["CREATOR_QUOTA_BYTES"] = 3 * MIB
    first = declare(uploader, 2 * MIB, "satu.jpg").get_json()
    refused = declare(uploader, 2 * MIB, "dua.jpg")
    assert refused.status_code == 422 and refused.get_json()["reason"] == "over_quota"
    assert "Kuota" in refused.get_json()["message"]
    # Adding the first file again resumes it: its reservation is not counted twice.
    again = declare(uploader, 2 * MIB, "satu.jpg")
    assert again.status_code == 200 and again.get_json()["resumed"] is True
    # Cancelling it gives the room back.
    assert uploader.abort(first).status_code == 204
    assert declare(uploader, 2 * MIB, "dua.jpg").status_code == 200


def test_stored_assets_and_unfinished_uploads_add_up(storage_app, uploader, creator):
    storage_app.config["CREATOR_QUOTA_BYTES"] = 3 * MIB
    db.session.add(
        Asset(
            owner=creator,
            original_filename="lama.jpg",
            storage_key="assets/lama/original",
            status="approved",
            size_bytes=MIB,
        )
    )
    db.session.commit()
    assert declare(uploader, MIB, "satu.jpg").status_code == 200
    assert declare(uploader, MIB + 1, "dua.jpg").get_json()["reason"] == "over_quota"
    assert declare(uploader, MIB, "dua.jpg").status_code == 200


def test_a_creator_has_at_most_the_configured_unfinished_uploads(storage_app, uploader, creator, factory, transport):
    storage_app.config["UPLOAD_MAX_UNFINISHED"] = 2
    first = declare(uploader, KB, "satu.jpg").get_json()
    assert declare(uploader, KB, "dua.jpg").status_code == 200
    refused = declare(uploader, KB, "tiga.jpg")
    assert refused.status_code == 409
    body = refused.get_json()
    assert (body["error"], body["reason"]) == ("file_refused", "too_many_unfinished")
    assert "2 unggahan yang belum selesai" in body["message"]
    assert declare(uploader, KB, "satu.jpg").get_json()["resumed"] is True  # resuming is always allowed
    # Another creator is not held to this one's uploads.
    _token, plain = create_token(factory.user("creator"), "other")
    assert declare(Uploader(storage_app.test_client(), transport, plain), KB, "tiga.jpg").status_code == 200
    assert uploader.abort(first).status_code == 204
    assert declare(uploader, KB, "tiga.jpg").status_code == 200
    assert db.session.scalar(select(func.count()).select_from(Asset).where(Asset.owner_id == creator.id)) == 2


def test_an_honest_upload_still_completes(uploader, tmp_path):
    response = uploader.upload(samples.jpeg(tmp_path), DETAILS)
    assert response.status_code == 200, response.get_json()
    asset = db.session.get(Asset, response.get_json()["asset_id"])
    assert asset.size_bytes == (tmp_path / "photo.jpg").stat().st_size


def test_uploads_started_at_once_cannot_pass_the_cap_together(storage_app, uploader, creator):
    """Eight creates in eight threads, each its own request and database session: the owner's
    row lock (PostgreSQL) or SQLite's write lock lets exactly the cap through."""
    storage_app.config["UPLOAD_MAX_UNFINISHED"] = 3
    start = threading.Barrier(8)

    def create(index: int) -> int:
        own = Uploader(storage_app.test_client(), uploader.transport, uploader.headers["Authorization"][7:])
        start.wait()
        return declare(own, KB, f"foto-{index}.jpg").status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(create, range(8)))
    assert statuses == [200] * 3 + [409] * 5
    assert db.session.scalar(select(func.count()).select_from(Asset).where(Asset.owner_id == creator.id)) == 3


def test_an_upload_started_before_sizes_were_recorded_gets_its_size_when_resumed(uploader):
    created = declare(uploader, KB).get_json()
    asset = db.session.get(Asset, created["asset_id"])
    asset.size_bytes = None  # as rows started before this change
    db.session.commit()
    refused = uploader.sign(created, 1)
    assert refused.status_code == 409 and refused.get_json()["reason"] == "size_unknown"
    again = declare(uploader, KB).get_json()  # the same file added again: resumed, size known
    assert again["resumed"] is True and again["uploadId"] == created["uploadId"]
    assert uploader.sign(created, 1).get_json()["size"] == KB
