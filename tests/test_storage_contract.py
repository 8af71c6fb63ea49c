"""One contract, two backends: every test here runs against local storage and against S3
(moto's server over real HTTP), with the same body."""

from __future__ import annotations

import hashlib
import io
import os
import uuid
from urllib.parse import quote, urlsplit

import pytest

from koin_media.storage import InvalidPart, ObjectNotFound, StorageError, UploadNotFound, get_storage

MIB = 1024 * 1024
FIRST_PART = os.urandom(5 * MIB)  # S3's smallest allowed part that is not the last
LAST_PART = os.urandom(300 * 1024)
CONTENT = FIRST_PART + LAST_PART
FILENAME = "Tenun Sukarara – ñ.jpg"
JSON = {"Accept": "application/json"}


def new_key(name: str = "original") -> str:
    return f"assets/{uuid.uuid4()}/{name}"


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def multipart_etag(*parts: bytes) -> str:
    digests = b"".join(bytes.fromhex(md5(part)) for part in parts)
    return f"{md5(digests)}-{len(parts)}"


def upload_parts(storage, transport, key: str, upload_id: str, parts: list[bytes]) -> list[tuple[int, str]]:
    """PUT each part to its signed URL, as the browser does; returns (PartNumber, ETag) pairs."""
    sent = []
    for number, data in enumerate(parts, start=1):
        url, expires_in = storage.sign_part(key, upload_id, number, size=len(data))
        assert expires_in == 3 * 60 * 60
        status, headers, _body = transport.put(url, data)
        assert status == 200
        assert headers["ETag"] == f'"{md5(data)}"'
        sent.append((number, headers["ETag"]))
    return sent


@pytest.fixture
def uploaded(storage, transport):
    """An object made by a complete multipart upload of CONTENT in two parts."""
    key = new_key()
    upload_id = storage.create_multipart(key, "image/jpeg")
    parts = upload_parts(storage, transport, key, upload_id, [FIRST_PART, LAST_PART])
    info = storage.complete_multipart(key, upload_id, parts)
    return key, info


def test_multipart_upload_makes_one_object(storage, transport):
    key = new_key()
    upload_id = storage.create_multipart(key, "image/jpeg")
    assert [u.upload_id for u in storage.list_multipart_uploads("assets/")] == [upload_id]
    parts = upload_parts(storage, transport, key, upload_id, [FIRST_PART, LAST_PART])

    listed = storage.list_parts(key, upload_id)
    assert [(p.part_number, p.etag, p.size) for p in listed] == [
        (1, md5(FIRST_PART), len(FIRST_PART)),
        (2, md5(LAST_PART), len(LAST_PART)),
    ]

    info = storage.complete_multipart(key, upload_id, parts)
    assert (info.key, info.size, info.content_type) == (key, len(CONTENT), "image/jpeg")
    assert info.etag == multipart_etag(FIRST_PART, LAST_PART)
    assert storage.head(key) == info
    assert storage.list_multipart_uploads("assets/") == []
    with pytest.raises(UploadNotFound):
        storage.list_parts(key, upload_id)


def test_reads_of_a_completed_upload(storage, uploaded, tmp_path):
    key, _info = uploaded
    assert storage.read_range(key, 0, 1024) == CONTENT[:1024]
    middle = len(FIRST_PART) - 100  # spans the seam between the two parts
    assert storage.read_range(key, middle, 4096) == CONTENT[middle : middle + 4096]
    assert storage.read_range(key, len(CONTENT) - 10, 100) == CONTENT[-10:]
    assert storage.read_range(key, len(CONTENT) + 10, 100) == b""
    chunks = list(storage.iter_chunks(key, chunk_size=MIB))
    assert max(len(chunk) for chunk in chunks) <= MIB
    assert b"".join(chunks) == CONTENT
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    storage.download_to_file(key, downloads / "copy.jpg")
    assert (downloads / "copy.jpg").read_bytes() == CONTENT
    assert [p.name for p in downloads.iterdir()] == ["copy.jpg"]


def test_list_parts_reads_every_page(storage, transport):
    key = new_key()
    upload_id = storage.create_multipart(key, "video/mp4")
    pieces = [f"part {n}".encode() for n in range(1, 6)]
    for number in (3, 1, 5, 2, 4):  # resumed uploads send parts in any order
        url, _ = storage.sign_part(key, upload_id, number, size=len(pieces[number - 1]))
        assert transport.put(url, pieces[number - 1])[0] == 200
    storage.parts_page_size = 2
    assert [(p.part_number, p.etag) for p in storage.list_parts(key, upload_id)] == [
        (n, md5(pieces[n - 1])) for n in range(1, 6)
    ]


def test_a_part_sent_again_replaces_the_first(storage, transport):
    key = new_key()
    upload_id = storage.create_multipart(key, "video/mp4")
    transport.put(storage.sign_part(key, upload_id, 1, size=6)[0], b"broken")
    transport.put(storage.sign_part(key, upload_id, 1, size=5)[0], b"whole")
    assert [(p.part_number, p.etag, p.size) for p in storage.list_parts(key, upload_id)] == [(1, md5(b"whole"), 5)]


def test_abort_removes_the_upload(storage, transport):
    key = new_key()
    upload_id = storage.create_multipart(key, "image/jpeg")
    upload_parts(storage, transport, key, upload_id, [b"half an image"])
    storage.abort_multipart(key, upload_id)
    storage.abort_multipart(key, upload_id)  # the cleanup job may abort twice
    with pytest.raises(UploadNotFound):
        storage.list_parts(key, upload_id)
    assert upload_id not in [u.upload_id for u in storage.list_multipart_uploads()]
    assert storage.head(key) is None


def test_parts_the_app_sends_itself_make_one_object(storage):
    """upload_part: the app writes an object part by part (a promo kit's ZIP as it is made)."""
    key = new_key("kit.zip")
    upload_id = storage.create_multipart(key, "application/zip")
    etags = [storage.upload_part(key, upload_id, n, part) for n, part in enumerate([FIRST_PART, LAST_PART], 1)]
    assert etags == [md5(FIRST_PART), md5(LAST_PART)]
    listed = storage.list_parts(key, upload_id)
    assert [(p.part_number, p.etag, p.size) for p in listed] == [
        (1, md5(FIRST_PART), len(FIRST_PART)),
        (2, md5(LAST_PART), len(LAST_PART)),
    ]
    info = storage.complete_multipart(key, upload_id, list(enumerate(etags, 1)))
    assert (info.size, info.content_type) == (len(CONTENT), "application/zip")
    assert info.etag == multipart_etag(FIRST_PART, LAST_PART)
    assert b"".join(storage.iter_chunks(key)) == CONTENT
    assert storage.list_multipart_uploads("assets/") == []


def test_upload_part_to_an_aborted_upload_is_refused(storage, backend):
    key = new_key("kit.zip")
    upload_id = storage.create_multipart(key, "application/zip")
    storage.upload_part(key, upload_id, 1, FIRST_PART)
    storage.abort_multipart(key, upload_id)
    # UploadNotFound from the local store and from S3 (NoSuchUpload); moto answers a 500 instead.
    with pytest.raises(UploadNotFound if backend == "local" else StorageError):
        storage.upload_part(key, upload_id, 2, LAST_PART)
    assert storage.list_multipart_uploads("assets/") == []
    assert storage.head(key) is None


def test_unknown_upload_is_reported(storage):
    key = new_key()
    with pytest.raises(UploadNotFound):
        storage.list_parts(key, "c29tZS11cGxvYWQtdGhhdC1uZXZlci1leGlzdGVk")


@pytest.mark.parametrize(
    "parts",
    [
        pytest.param(lambda sent: [(1, md5(b"something else")), sent[1]], id="wrong-etag"),
        pytest.param(lambda sent: [sent[0], (3, sent[1][1])], id="missing-part"),
        pytest.param(lambda sent: [sent[1], sent[0]], id="wrong-order"),
        pytest.param(lambda sent: [], id="no-parts"),
    ],
)
def test_complete_refuses_a_bad_part_list(storage, transport, parts):
    key = new_key()
    upload_id = storage.create_multipart(key, "image/jpeg")
    sent = upload_parts(storage, transport, key, upload_id, [FIRST_PART, LAST_PART])
    with pytest.raises(InvalidPart):
        storage.complete_multipart(key, upload_id, parts(sent))
    assert storage.head(key) is None
    assert len(storage.list_parts(key, upload_id)) == 2  # still resumable


def test_complete_refuses_a_small_part_before_the_last(storage, transport):
    key = new_key()
    upload_id = storage.create_multipart(key, "image/jpeg")
    sent = upload_parts(storage, transport, key, upload_id, [LAST_PART, LAST_PART])
    with pytest.raises(InvalidPart):
        storage.complete_multipart(key, upload_id, sent)


def test_put_list_and_delete(storage, tmp_path):
    folder = f"assets/{uuid.uuid4()}/"
    storage.put(folder + "original", b"raw bytes", "image/jpeg")
    storage.put(folder + "thumb.jpg", io.BytesIO(b"thumbnail"), "image/jpeg")
    preview = tmp_path / "preview.jpg"
    preview.write_bytes(b"preview")
    storage.put(folder + "preview.jpg", preview, "image/jpeg")
    storage.put("assets/other/original", b"keep me", "image/png")

    info = storage.head(folder + "thumb.jpg")
    assert (info.size, info.content_type, info.etag) == (9, "image/jpeg", md5(b"thumbnail"))
    assert sorted(storage.list_keys(folder)) == [folder + n for n in ("original", "preview.jpg", "thumb.jpg")]
    assert sorted(storage.list_keys(folder[:12])) == sorted(storage.list_keys(folder))
    assert sorted(storage.list_keys("assets/")) == sorted([*storage.list_keys(folder), "assets/other/original"])

    storage.delete(folder + "original")
    storage.delete(folder + "original")
    assert storage.head(folder + "original") is None
    assert storage.delete_prefix(folder) == 2
    assert list(storage.list_keys(folder)) == []
    assert storage.read_range("assets/other/original", 0, 4) == b"keep"
    with pytest.raises(ValueError):
        storage.delete_prefix("")


def test_missing_objects(storage, tmp_path):
    key = new_key()
    assert storage.head(key) is None
    with pytest.raises(ObjectNotFound):
        storage.read_range(key, 0, 10)
    with pytest.raises(ObjectNotFound):
        storage.iter_chunks(key)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    with pytest.raises(ObjectNotFound):
        storage.download_to_file(key, downloads / "nothing")
    assert list(downloads.iterdir()) == []


@pytest.mark.parametrize(
    "key",
    ["../etc/passwd", "assets/../../x", "/etc/passwd", "assets\\x", "assets/x\x00", "", "assets//x", "assets/."],
)
def test_keys_that_could_escape_are_refused(storage, key):
    with pytest.raises(ValueError):
        storage.put(key, b"x", "text/plain")
    with pytest.raises(ValueError):
        storage.create_multipart(key, "text/plain")
    with pytest.raises(ValueError):
        storage.head(key)
    with pytest.raises(ValueError):
        storage.download_url(key, "x.txt")


def test_download_link_is_an_attachment_with_the_real_filename(storage, transport, uploaded):
    key, _info = uploaded
    url, expires_in = storage.download_url(key, FILENAME, "image/jpeg")
    assert expires_in == 15 * 60
    assert urlsplit(url).scheme in ("http", "https")
    status, headers, body = transport.get(url)
    assert status == 200
    assert body == CONTENT
    assert headers["Content-Type"] == "image/jpeg"
    disposition = headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote(FILENAME, safe='')}" in disposition
    assert 'filename="Tenun Sukarara n.jpg"' in disposition


def test_inline_link_shows_the_object(storage, transport):
    key = new_key("thumb.jpg")
    storage.put(key, b"\xff\xd8\xff thumbnail", "image/jpeg")
    status, headers, body = transport.get(storage.inline_url(key, "image/jpeg"))
    assert (status, body) == (200, b"\xff\xd8\xff thumbnail")
    assert headers["Content-Type"] == "image/jpeg"
    assert headers.get("Content-Disposition", "inline").startswith("inline")


def test_range_request_on_a_download_link(storage, transport, uploaded):
    key, _info = uploaded
    url, _ = storage.download_url(key, "video.mp4", "video/mp4")
    status, headers, body = transport.get(url, headers={"Range": "bytes=1000-1999"})
    assert status == 206
    assert body == CONTENT[1000:2000]
    assert headers["Content-Range"] == f"bytes 1000-1999/{len(CONTENT)}"


def test_check_reports_healthy(storage, backend):
    assert storage.check()["ok"] is True
    assert storage.check()["backend"] == backend


def test_healthz_includes_storage(storage_app, backend):
    body = storage_app.test_client().get("/healthz").get_json()
    assert body["checks"]["storage"]["ok"] is True
    assert body["checks"]["storage"]["backend"] == backend


# --- the local backend's signed URLs --------------------------------------------------------


@pytest.fixture
def local_app(make_app, storage_settings):
    app = make_app(**storage_settings("local"))
    with app.app_context():
        yield app


def signed_part_url(upload_id=None, part_number=1, size=10):
    storage = get_storage()
    key = new_key()
    upload_id = upload_id or storage.create_multipart(key, "image/jpeg")
    url, _ = storage.sign_part(key, upload_id, part_number, size=size)
    parts = urlsplit(url)
    return key, upload_id, f"{parts.path}?{parts.query}"


def test_local_part_put_needs_no_csrf_token_even_with_a_session(local_app):
    client = local_app.test_client()
    client.set_cookie("session", "a-signed-in-browser")
    key, upload_id, path = signed_part_url()
    response = client.put(path, data=b"part bytes")
    assert response.status_code == 200
    assert response.headers["ETag"] == f'"{md5(b"part bytes")}"'
    assert response.headers["Access-Control-Expose-Headers"] == "ETag"
    assert get_storage().list_parts(key, upload_id)[0].size == 10


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda path: path.replace("signature=", "signature=x"), id="signature"),
        pytest.param(lambda path: path.replace("key=assets", "key=other"), id="key"),
        pytest.param(lambda path: path.replace("/1?", "/2?"), id="part-number"),
        pytest.param(lambda path: path.replace("expires=", "expires=9"), id="expiry"),
        pytest.param(lambda path: path.replace("max_bytes=10", "max_bytes=100"), id="max-bytes"),
    ],
)
def test_local_part_put_refuses_an_altered_url(local_app, tamper):
    _key, _upload_id, path = signed_part_url()
    response = local_app.test_client().put(tamper(path), data=b"part bytes", headers=JSON)
    assert response.status_code == 403
    assert response.get_json()["error"] == "bad_signature"


def test_local_part_put_refuses_an_expired_url(local_app):
    get_storage().upload_ttl = -1
    _key, _upload_id, path = signed_part_url()
    response = local_app.test_client().put(path, data=b"part bytes", headers=JSON)
    assert response.status_code == 403
    assert response.get_json()["error"] == "bad_signature"


def test_local_part_put_to_an_aborted_upload(local_app):
    key, upload_id, path = signed_part_url()
    get_storage().abort_multipart(key, upload_id)
    assert local_app.test_client().put(path, data=b"late part").status_code == 404


def test_local_part_put_is_not_held_to_the_form_size_limit(make_app, storage_settings):
    app = make_app(**storage_settings("local"), MAX_CONTENT_LENGTH=1024)
    with app.app_context():
        _key, _upload_id, path = signed_part_url(size=64 * 1024)
        assert app.test_client().put(path, data=os.urandom(64 * 1024)).status_code == 200


def test_local_part_put_refuses_more_than_5_gib(local_app):
    _key, _upload_id, path = signed_part_url(size=5 * 1024 * MIB)
    response = local_app.test_client().put(
        path, data=b"x", environ_overrides={"CONTENT_LENGTH": str(5 * 1024 * MIB + 1)}
    )
    assert response.status_code == 413


def test_local_file_link_refuses_altered_or_expired_tokens(local_app):
    storage = get_storage()
    key = new_key()
    storage.put(key, b"secret-ish", "image/jpeg")
    client = local_app.test_client()
    url, _ = storage.download_url(key, "a.jpg")
    path = urlsplit(url).path
    altered = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    assert client.get(altered).status_code == 403
    expired, _ = storage.download_url(key, "a.jpg", expires_in=-1)
    response = client.get(urlsplit(expired).path, headers=JSON)
    assert response.status_code == 403
    assert response.get_json()["error"] == "bad_signature"
    with client.get(path) as response:
        assert response.get_data() == b"secret-ish"


def test_local_files_are_never_run_as_pages(local_app):
    storage = get_storage()
    key = new_key("drawing.svg")
    storage.put(key, b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "image/svg+xml")
    with local_app.test_client().get(urlsplit(storage.inline_url(key, "image/svg+xml")).path) as response:
        pass
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"].startswith("sandbox")


def test_local_links_work_outside_a_request(local_app):
    url, _ = get_storage().download_url(new_key(), "a.jpg")
    assert url.startswith("http://127.0.0.1:8000/media/file/")


# --- S3 only ----------------------------------------------------------------------------------


@pytest.fixture
def s3_app(make_app, storage_settings):
    app = make_app(**storage_settings("s3"))
    with app.app_context():
        yield app


def test_s3_ensure_ready_creates_the_bucket_with_cors_and_lifecycle(make_app, storage_settings, s3_client):
    bucket = f"koin-new-{uuid.uuid4().hex[:12]}"
    app = make_app(**storage_settings("s3", S3_BUCKET=bucket))
    with app.app_context():
        storage = get_storage()
        assert storage.check()["ok"] is False
        lines = [str(report) for report in storage.ensure_ready(["https://media.koin.test"])]
        assert f"bucket {bucket} created" in lines
        s3_client.put_bucket_cors(
            Bucket=bucket,
            CORSConfiguration={"CORSRules": [{"ID": "theirs", "AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}]},
        )
        assert f"bucket {bucket} exists" in map(str, storage.ensure_ready(["https://media.koin.test"]))
        assert storage.check()["ok"] is True

    rules = {rule.get("ID"): rule for rule in s3_client.get_bucket_cors(Bucket=bucket)["CORSRules"]}
    assert set(rules) == {"theirs", "koin-media-browser"}
    ours = rules["koin-media-browser"]
    assert ours["AllowedOrigins"] == ["https://media.koin.test"]
    assert sorted(ours["AllowedMethods"]) == ["GET", "HEAD", "PUT"]
    assert ours["ExposeHeaders"] == ["ETag"]
    (lifecycle,) = s3_client.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert lifecycle["Status"] == "Enabled"
    assert lifecycle["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}


def test_s3_pages_let_the_browser_reach_the_bucket(s3_app, moto_server):
    policy = s3_app.test_client().get("/").headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    for directive in ("connect-src", "img-src", "media-src"):
        assert moto_server in directives[directive].split()


def test_s3_part_urls_ask_for_nothing_a_browser_cannot_send(s3_app):
    storage = get_storage()
    key = new_key()
    url, _ = storage.sign_part(key, storage.create_multipart(key, "video/mp4"), 7, size=MIB)
    query = urlsplit(url).query
    assert "partNumber=7" in query and "uploadId=" in query
    assert "checksum" not in query.lower()


def test_local_routes_are_absent_with_s3(s3_app):
    client = s3_app.test_client()
    assert client.put("/uploads/local/abcdefghijklmnopqrstuvwx/1?key=a&expires=1&signature=x").status_code == 404
    assert client.get("/media/file/anything").status_code == 404
