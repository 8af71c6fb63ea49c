"""What the uploader page relies on from the app: details sent again at complete (the creator
types while a large file uploads) are what the asset keeps, complete says whether the details
are complete, and My uploads asks where its settling assets stand (owner only)."""

from __future__ import annotations

import pytest

from koin_media.assets.models import DRAFT, PENDING_REVIEW, PROCESSING, REJECTED_FILE, Asset
from koin_media.assets.upload_routes import MAX_STATUS_IDS
from koin_media.extensions import db

from . import samples
from .asset_helpers import DETAILS
from .conftest import Auth, csrf_token


def complete_with(uploader, created: dict, parts: list[dict], metadata: dict | None):
    body = {"parts": parts} if metadata is None else {"parts": parts, "metadata": metadata}
    return uploader.client.post(
        f"/uploads/s3/multipart/{created['uploadId']}/complete",
        query_string={"key": created["key"]},
        json=body,
        headers=uploader.headers,
    )


@pytest.mark.parametrize("backend", ["local"])
def test_details_sent_at_complete_replace_those_sent_at_create(uploader, tmp_path):
    photo = samples.jpeg(tmp_path)
    created = uploader.create(photo, {"title": "", "license": ""}).get_json()
    parts = uploader.send_parts(created, photo)
    response = complete_with(uploader, created, parts, {**DETAILS, "title": "Sunset di Senggigi"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["details_complete"] is True
    asset = db.session.get(Asset, body["asset_id"])
    assert (asset.title, asset.license, asset.consent, asset.status) == (
        "Sunset di Senggigi",
        "CC-BY-4.0",
        True,
        PENDING_REVIEW,
    )


@pytest.mark.parametrize("backend", ["local"])
def test_complete_without_metadata_keeps_the_create_details_and_says_they_are_incomplete(uploader, tmp_path):
    photo = samples.jpeg(tmp_path)
    created = uploader.create(photo, {"title": "Pantai Pink", "license": "NTB-PROMO"}).get_json()
    response = complete_with(uploader, created, uploader.send_parts(created, photo), None)
    body = response.get_json()
    assert response.status_code == 200 and body["details_complete"] is False  # no consent
    asset = db.session.get(Asset, body["asset_id"])
    assert (asset.title, asset.license, asset.status) == ("Pantai Pink", "NTB-PROMO", DRAFT)


@pytest.mark.parametrize("backend", ["local"])
def test_invalid_details_at_complete_are_left_out_not_a_failed_upload(uploader, tmp_path):
    photo = samples.jpeg(tmp_path)
    created = uploader.create(photo, {"title": "Kain tenun", "license": "CC-BY-4.0", "consent": "true"}).get_json()
    metadata = {"title": "x" * 300, "license": "GPL", "consent": "true"}
    body = complete_with(uploader, created, uploader.send_parts(created, photo), metadata).get_json()
    asset = db.session.get(Asset, body["asset_id"])
    assert (asset.title, asset.license) == ("Kain tenun", "CC-BY-4.0")
    assert body["details_complete"] is True


# -- My uploads' status ---------------------------------------------------------------------


def settling_asset(owner, status=PROCESSING, **fields) -> Asset:
    asset = Asset(owner=owner, original_filename="pantai.jpg", status=status, kind="image", **fields)
    asset.storage_key = f"assets/{asset.uuid or id(asset)}/original"
    db.session.add(asset)
    db.session.commit()
    return asset


def test_status_answers_the_owners_assets(client, auth, factory):
    creator = factory.user("creator")
    processing = settling_asset(creator)
    refused = settling_asset(creator, status=REJECTED_FILE, problem_code="not_media")
    auth.login(creator)
    response = client.get(
        f"/my/assets/status?ids={processing.id},{refused.id}",
        headers={"Accept": "application/json", "Accept-Language": "id"},
    )
    assert response.status_code == 200
    by_id = {a["id"]: a for a in response.get_json()["assets"]}
    assert by_id[processing.id]["settling"] is True
    assert by_id[processing.id]["status"] == PROCESSING and by_id[processing.id]["status_label"] == "Sedang diproses"
    assert by_id[refused.id]["settling"] is False and by_id[refused.id]["problem"]
    assert by_id[processing.id]["details_complete"] is False


def test_status_of_another_creators_asset_is_a_404(app, factory):
    owner, other = factory.user("creator"), factory.user("creator")
    mine, theirs = settling_asset(other), settling_asset(owner)
    client = app.test_client()
    Auth(client).login(other)
    json = {"Accept": "application/json"}
    assert client.get(f"/my/assets/status?ids={theirs.id}", headers=json).status_code == 404
    # One foreign id among the caller's own: still nothing learnt.
    response = client.get(f"/my/assets/status?ids={mine.id},{theirs.id}", headers=json)
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"
    assert client.get(f"/my/assets/status?ids={mine.id + theirs.id + 1000}", headers=json).status_code == 404
    assert client.get(f"/my/assets/status?ids={mine.id}", headers=json).status_code == 200


@pytest.mark.parametrize(
    "ids",
    ["", "abc", "-1", "1.5", "٣", "9" * 40, ",".join(str(n) for n in range(1, MAX_STATUS_IDS + 2))],
)
def test_status_refuses_what_names_no_asset(client, auth, factory, ids):
    auth.login(factory.user("creator"))
    response = client.get("/my/assets/status", query_string={"ids": ids}, headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert "ids=1,2,3" in response.get_json()["message"]


def test_status_is_for_creators_signed_in(client, auth, factory):
    asset = settling_asset(factory.user("creator"))
    assert client.get(f"/my/assets/status?ids={asset.id}").status_code in (302, 401)
    auth.login(factory.user("ikm"))
    assert client.get(f"/my/assets/status?ids={asset.id}", headers={"Accept": "application/json"}).status_code == 403


def test_my_uploads_marks_settling_rows_and_pending_edits(client, auth, factory):
    creator = factory.user("creator")
    processing = settling_asset(creator)
    draft = settling_asset(creator, status=DRAFT)
    auth.login(creator)
    html = client.get("/my/assets", headers={"Accept-Language": "id"}).get_data(as_text=True)
    assert f'data-asset-id="{processing.id}" data-status="processing" data-settling' in html
    assert f'data-asset-id="{draft.id}" data-status="draft">' in html
    assert "js/my_uploads.js" in html and "/my/assets/status" in html


def test_a_refused_file_offers_delete_not_edit(client, auth, factory):
    """Details cannot mend a refused file: its row deletes it (the way to a proper upload), and
    the delete really goes; a draft still offers its edit page."""
    creator = factory.user("creator")
    refused = settling_asset(creator, status=REJECTED_FILE)
    draft = settling_asset(creator, status=DRAFT)
    auth.login(creator)
    html = client.get("/my/assets", headers={"Accept-Language": "id"}).get_data(as_text=True)
    refused_row = html[html.index(f'data-asset-id="{refused.id}"') :].split("</tr>")[0]
    draft_row = html[html.index(f'data-asset-id="{draft.id}"') :].split("</tr>")[0]
    assert f'action="/assets/{refused.id}/delete"' in refused_row and "Hapus" in refused_row
    assert f"/assets/{refused.id}/edit" not in refused_row
    assert f"/assets/{draft.id}/edit" in draft_row and "/delete" not in draft_row
    refused_id = refused.id
    response = client.post(f"/assets/{refused_id}/delete", data={"csrf_token": csrf_token(client, "/my/assets")})
    assert response.status_code == 302 and response.headers["Location"].endswith("/my/assets")
    db.session.expire_all()
    assert db.session.get(Asset, refused_id) is None
