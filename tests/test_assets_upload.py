"""Uploads through the multipart protocol on both storage backends, verification of what
arrives, processing into renditions, and resume."""

import io

import pytest
from PIL import Image
from sqlalchemy import select

from koin_media.accounts.services import create_token
from koin_media.assets.models import Asset
from koin_media.extensions import db
from koin_media.storage import get_storage

from . import samples
from .asset_helpers import DETAILS, PART_SIZE, Uploader, plain_upload


def objects_of(asset: Asset) -> list[str]:
    return list(get_storage().list_keys(f"assets/{asset.uuid}/"))


def test_jpeg_upload_reaches_review_with_clean_renditions(uploader, tmp_path):
    response = uploader.upload(samples.jpeg(tmp_path), DETAILS)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "pending_review" and body["asset_url"].endswith(f"/assets/{body['asset_id']}")
    asset = db.session.get(Asset, body["asset_id"])
    assert (asset.kind, asset.mime, asset.title, asset.license) == (
        "image",
        "image/jpeg",
        "Tenun Sukarara",
        "CC-BY-4.0",
    )
    assert asset.tag_list == ["tenun", "songket"]
    assert asset.width == 480 and asset.height == 640  # EXIF orientation applied
    storage = get_storage()
    crops = set(asset.crop_keys.values())
    assert len(crops) == 4  # the social formats around the (default) focus point
    assert set(objects_of(asset)) == {asset.storage_key, asset.thumb_key, asset.preview_key, asset.share_key, *crops}
    thumb = Image.open(io.BytesIO(b"".join(storage.iter_chunks(asset.thumb_key))))
    assert max(thumb.size) <= 320 and not thumb.getexif()


def test_multi_part_video_gets_a_poster(uploader, tmp_path):
    video = samples.big_mp4(tmp_path, megabytes=11)  # three parts
    response = uploader.upload(video, DETAILS)
    assert response.status_code == 200, response.get_json()
    asset = db.session.get(Asset, response.get_json()["asset_id"])
    assert asset.status == "pending_review" and asset.kind == "video"
    assert asset.poster_key and asset.thumb_key and asset.duration_seconds > 0
    assert get_storage().head(asset.storage_key).size == video.stat().st_size


def test_without_details_an_asset_waits_as_draft(uploader, storage_app, creator, tmp_path):
    body = uploader.upload(samples.png(tmp_path), {"title": "Pantai Pink"}).get_json()
    asset = db.session.get(Asset, body["asset_id"])
    assert asset.status == "draft"
    client = storage_app.test_client()
    from .conftest import Auth, csrf_token

    Auth(client).login(creator)
    page = f"/assets/{asset.id}/edit"
    response = client.post(
        page,
        data={"title": "Pantai Pink", "license": "NTB-PROMO", "consent": "y", "csrf_token": csrf_token(client, page)},
    )
    assert response.status_code == 302
    db.session.refresh(asset)
    assert asset.status == "pending_review"


def test_adding_the_same_file_again_resumes_the_upload(uploader, tmp_path):
    video = samples.big_mp4(tmp_path, megabytes=11)
    first = uploader.create(video, DETAILS).get_json()
    sent = uploader.send_parts(first, video, only={1, 2})

    # The page was reloaded: the same file (name, size, last-modified) is added again.
    again = uploader.create(video, DETAILS).get_json()
    assert again["resumed"] is True
    assert (again["uploadId"], again["key"]) == (first["uploadId"], first["key"])
    stored = uploader.list_parts(again).get_json()
    assert [p["PartNumber"] for p in stored] == [1, 2] and stored[0]["Size"] == PART_SIZE

    rest = uploader.send_parts(again, video, only={3})
    response = uploader.complete(again, sent + rest)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["asset_id"] == first["asset_id"]
    assert db.session.scalar(select(db.func.count()).select_from(Asset)) == 1


def test_another_file_starts_a_new_upload(uploader, tmp_path):
    first = uploader.create(samples.jpeg(tmp_path / "a.jpg")).get_json()
    second = uploader.create(samples.png(tmp_path / "b.png")).get_json()
    assert second["resumed"] is False and second["uploadId"] != first["uploadId"]


def test_uploads_belong_to_their_creator(uploader, storage_app, factory, transport, tmp_path):
    created = uploader.create(samples.jpeg(tmp_path)).get_json()
    _t, other_token = create_token(factory.user("creator"), "other")
    other = Uploader(storage_app.test_client(), transport, other_token)
    assert other.list_parts(created).status_code == 404
    assert other.complete(created, [{"PartNumber": 1, "ETag": '"x"'}]).status_code == 404
    response = other.client.get(
        f"/uploads/s3/multipart/{created['uploadId']}/1", query_string={"key": created["key"]}, headers=other.headers
    )
    assert response.status_code == 404
    _t, ikm_token = create_token(factory.user("ikm"), "ikm")
    ikm = Uploader(storage_app.test_client(), transport, ikm_token)
    assert ikm.create(samples.jpeg(tmp_path / "x.jpg")).status_code == 403
    wrong_key = dict(created, key="assets/other/original")
    assert uploader.list_parts(wrong_key).status_code == 404


def test_abort_removes_the_upload_and_its_asset(uploader, tmp_path):
    video = samples.big_mp4(tmp_path, megabytes=6)
    created = uploader.create(video).get_json()
    uploader.send_parts(created, video, only={1})
    response = uploader.client.delete(
        f"/uploads/s3/multipart/{created['uploadId']}", query_string={"key": created["key"]}, headers=uploader.headers
    )
    assert response.status_code == 204
    assert db.session.get(Asset, created["asset_id"]) is None
    assert get_storage().list_multipart_uploads("assets/") == []


def test_complete_with_a_wrong_etag_is_refused_clearly(uploader, tmp_path):
    path = samples.jpeg(tmp_path)
    created = uploader.create(path).get_json()
    parts = uploader.send_parts(created, path)
    response = uploader.complete(created, [{"PartNumber": 1, "ETag": '"00000000000000000000000000000000"'}])
    assert response.status_code == 422
    assert response.get_json()["reason"] == "incomplete"
    assert uploader.complete(created, parts).status_code == 200  # the real parts still complete


@pytest.mark.parametrize("body", [{}, {"parts": []}, {"parts": [{"PartNumber": "1", "ETag": "x"}]}, {"parts": "nope"}])
def test_malformed_complete_is_400(uploader, tmp_path, body):
    created = uploader.create(samples.jpeg(tmp_path)).get_json()
    response = uploader.client.post(
        f"/uploads/s3/multipart/{created['uploadId']}/complete",
        query_string={"key": created["key"]},
        json=body,
        headers=uploader.headers,
    )
    assert response.status_code == 400 and response.get_json()["message"]


def test_upload_page_hands_the_uploader_its_choices(storage_app, creator):
    from .conftest import Auth

    client = storage_app.test_client()
    Auth(client).login(creator)
    response = client.get("/upload")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # The batch details start on the creator's community.
    assert '<option selected value="lombok-phonegraphy">' in html.split('id="batch-community"')[1].split("</select>")[0]
    assert "Bengkel Aktor Lombok" in html and "CC-BY-SA-4.0" in html and "Kota Mataram" in html
    assert client.get("/my/assets").status_code == 200


def test_plain_form_upload_without_javascript(storage_app, creator, tmp_path):
    from .conftest import Auth, csrf_token

    client = storage_app.test_client()
    Auth(client).login(creator)
    photo = samples.jpeg(tmp_path / "pasar.jpg")
    response = plain_upload(client, photo)
    assert response.status_code == 302
    asset = db.session.scalar(select(Asset))
    assert (asset.status, asset.title, asset.original_filename) == (
        "pending_review",
        "Pasar Seni Senggigi",
        "Pasar Seni.jpg",
    )
    assert asset.storage_key == f"assets/{asset.uuid}/original" and asset.thumb_key

    fake = samples.html_named_jpg(tmp_path / "palsu.jpg")
    refused = client.post(
        "/upload",
        data={"file": (fake.open("rb"), "palsu.jpg", "image/jpeg"), "csrf_token": csrf_token(client, "/upload")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    assert "HTML" in refused.get_data(as_text=True)
    # The refused file left nothing behind: only the first asset's objects are stored.
    assert set(get_storage().list_keys("assets/")) == set(get_storage().list_keys(f"assets/{asset.uuid}/"))
