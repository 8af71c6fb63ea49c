"""Must show: bad files are refused or fail with a clear reason, nothing stays in storage,
no 500, and the worker goes on processing good files afterwards."""

import pytest
from sqlalchemy import select

from koin_media.accounts.services import create_token
from koin_media.assets.models import Asset
from koin_media.extensions import db
from koin_media.storage import get_storage

from . import samples
from .asset_helpers import DETAILS, Uploader


@pytest.fixture
def uploader(storage_app, transport, factory):
    _token, plain = create_token(factory.user("creator"), "tests")
    return Uploader(storage_app.test_client(), transport, plain)


def nothing_stored():
    storage = get_storage()
    return list(storage.list_keys("assets/")) == [] and storage.list_multipart_uploads("assets/") == []


# (sample maker, name to upload it as, declared type, refusal code, words of the message)
REFUSED_AT_COMPLETE = [
    (samples.html_named_jpg, "promo.jpg", "image/jpeg", "html", "HTML"),
    (samples.svg, "logo.png", "image/png", "svg", "SVG"),
    (samples.empty_file, "kosong.jpg", "image/jpeg", "empty", "kosong"),
    (samples.zip_file, "album.mp4", "video/mp4", "archive", "Arsip"),
    (samples.exe_like, "video.mp4", "video/mp4", "executable", "Program"),
    (samples.png, "foto.mp4", "video/mp4", "extension_mismatch", ".mp4"),
    (samples.jpeg, "foto.jpg", "video/mp4", "type_mismatch", "video/mp4"),
]


@pytest.mark.parametrize(("make", "name", "declared", "code", "words"), REFUSED_AT_COMPLETE)
def test_refused_files_are_deleted_with_a_clear_reason(uploader, tmp_path, make, name, declared, code, words):
    path = make(tmp_path / name)
    response = uploader.upload(path, DETAILS, type_=declared)
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["error"] == "file_refused" and body["reason"] == code
    assert words.lower() in body["message"].lower()
    asset = db.session.get(Asset, body["asset_id"])
    assert asset.status == "rejected_file" and asset.problem_message == body["message"]
    assert nothing_stored()


def test_svg_by_name_is_refused_before_any_byte_is_sent(uploader, tmp_path):
    response = uploader.create(samples.svg(tmp_path / "logo.svg"))
    assert response.status_code == 422 and response.get_json()["reason"] == "svg"
    assert db.session.scalar(select(db.func.count()).select_from(Asset)) == 0


def test_a_file_over_its_limit_is_refused(make_app, storage_settings, backend, transport, factory, tmp_path):
    app = make_app(
        **storage_settings(backend), MAX_BYTES={"image": 10_000, "video": 10**9, "audio": 10**9, "document": 10**9}
    )
    with app.app_context():
        _token, plain = create_token(factory.user("creator"), "tests")
        from .storage_fixtures import Transport

        uploader = Uploader(app.test_client(), Transport(app, backend), plain)
        big = samples.jpeg(tmp_path / "besar.jpg", size=(1600, 1200))
        # Declared size over the limit: refused before the upload starts.
        early = uploader.create(big)
        assert early.status_code == 422 and early.get_json()["reason"] == "too_large"
        # A client that lies about the size cannot send more than it declared. The part URL
        # takes 100 bytes: the app's PUT refuses the rest as it arrives (local); a bucket checks
        # the signed Content-Length, which moto does not, so complete catches it from the stored
        # object (tests/test_upload_bounds.py has the rest).
        created = uploader.create(big, {"size": 100}).get_json()
        status, headers, _body = uploader.transport.put(uploader.sign(created, 1).get_json()["url"], big.read_bytes())
        if backend == "local":
            assert status == 413
            uploader.abort(created)
        else:
            response = uploader.complete(created, [{"PartNumber": 1, "ETag": headers["ETag"]}])
            assert response.status_code == 422 and response.get_json()["reason"] == "too_large"
            assert "KB" in response.get_json()["message"]
        assert nothing_stored()


@pytest.mark.parametrize(
    ("make", "name", "code"),
    [
        (samples.truncated_jpeg, "terpotong.jpg", "corrupt"),
        (samples.pixel_bomb, "bom.png", "too_many_pixels"),
        (samples.corrupt_mp4, "rusak.mp4", "corrupt"),
    ],
)
def test_files_that_cannot_be_processed_fail_clearly_and_the_worker_goes_on(uploader, tmp_path, make, name, code):
    response = uploader.upload(make(tmp_path / name), DETAILS)
    assert response.status_code == 200  # accepted by type; the job decides the rest
    asset = db.session.get(Asset, response.get_json()["asset_id"])
    assert asset.status == "failed" and asset.problem_code == code
    assert asset.problem_message and "Processing" not in asset.problem_message  # shown in Indonesian
    assert nothing_stored()
    # The same worker goes on with the next file.
    good = uploader.upload(samples.jpeg(tmp_path / "baik.jpg"), DETAILS).get_json()
    assert db.session.get(Asset, good["asset_id"]).status == "pending_review"


def test_the_creator_sees_why_on_the_asset_page(storage_app, uploader, tmp_path, factory):
    body = uploader.upload(samples.html_named_jpg(tmp_path / "x.jpg"), DETAILS, type_="image/jpeg").get_json()
    asset = db.session.get(Asset, body["asset_id"])
    from .conftest import Auth

    client = storage_app.test_client()
    Auth(client).login(asset.owner)
    page = client.get(f"/assets/{asset.id}").get_data(as_text=True)
    assert "Berkas ditolak" in page and "HTML" in page
    assert client.get("/my/assets").status_code == 200


def test_a_large_mp4_is_judged_by_the_video_limit_before_upload(uploader, tmp_path):
    """.mp4 may be audio-only (200 MB limit) or video (5 GB): the name alone must not refuse it."""
    path = samples.mp4(tmp_path / "klip.mp4")
    response = uploader.create(path, {"size": 1024 * 1024 * 1024})
    assert response.status_code == 200, response.get_json()
