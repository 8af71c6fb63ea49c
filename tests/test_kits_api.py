"""``/api/v1`` promo kits: the same services as the pages, answered as JSON with errors in the
caller's language; someone else's kit or collection is a 404."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from koin_media.accounts.services import create_token
from koin_media.assets.models import AssetDownload
from koin_media.extensions import db

from .kit_helpers import collection_of, stored_asset


@pytest.fixture
def business(app, factory):
    return factory.user("ikm", business_name="Kopi Sembalun")


@pytest.fixture
def headers(business):
    _token, plain = create_token(business, "tests")
    return {"Authorization": f"Bearer {plain}"}


@pytest.fixture
def collection(app, factory, business):
    creator = factory.user("creator", name="Baiq Nurul")
    assets = [stored_asset(creator, title, 2048)[0] for title in ("Tenun Sukarara", "Gendang Beleq")]
    return collection_of(business, assets)


def test_ask_read_list_and_download_a_kit(client, headers, collection):
    asked = client.post(
        f"/api/v1/collections/{collection.id}/kit", json={"purpose": "social", "accept_license": True}, headers=headers
    )
    assert asked.status_code == 202, asked.get_json()
    kit = asked.get_json()
    assert asked.headers["Location"] == f"http://localhost/api/v1/kits/{kit['token']}"
    assert (kit["status"], kit["file_count"], kit["purpose"]) == ("ready", 2, "social")
    assert [f["name"] for f in kit["files"]] == ["01 Tenun Sukarara.jpg", "02 Gendang Beleq.jpg"]
    assert kit["expires_at"].endswith("Z") and kit["links"]["page"].endswith(f"/kits/{kit['token']}")

    one = client.get(f"/api/v1/kits/{kit['token']}", headers=headers).get_json()
    assert one["token"] == kit["token"]
    listed = client.get("/api/v1/kits", headers=headers).get_json()
    assert (listed["total"], listed["items"][0]["token"]) == (1, kit["token"])

    downloaded = client.post(kit["links"]["download"], headers=headers)
    assert downloaded.status_code == 200
    body = downloaded.get_json()
    assert body["url"].startswith("http://localhost/media/file/") and body["expires_in"] == 15 * 60
    assert body["expires_at"].endswith("Z")
    assert db.session.scalar(select(func.count()).select_from(AssetDownload)) == 2


@pytest.mark.parametrize(
    ("body", "language", "message"),
    [
        ({}, "id", "Pilih untuk apa berkas-berkas ini dipakai."),
        ({"purpose": "resale"}, "en", "Choose what the files are for."),
        ({"purpose": ["social"]}, "en", "Choose what the files are for."),
    ],
)
def test_a_kit_needs_a_purpose(client, headers, collection, body, language, message):
    answer = client.post(
        f"/api/v1/collections/{collection.id}/kit", json=body, headers=headers | {"Accept-Language": language}
    )
    assert answer.status_code == 422
    assert answer.get_json() == {"error": "purpose_required", "message": message, "errors": {"purpose": [message]}}


def test_limits_answer_their_code(app, client, headers, collection):
    app.config["KIT_MAX_FILES"] = 1
    answer = client.post(
        f"/api/v1/collections/{collection.id}/kit", json={"purpose": "print", "accept_license": True}, headers=headers
    )
    assert answer.status_code == 422
    assert answer.get_json()["error"] == "too_many_files"


def test_other_peoples_kits_and_collections_are_not_found(client, headers, collection, factory):
    kit = client.post(
        f"/api/v1/collections/{collection.id}/kit", json={"purpose": "video", "accept_license": True}, headers=headers
    )
    token = kit.get_json()["token"]
    other = factory.user("ikm", business_name="Tenun Pringgasela")
    _id, plain = create_token(other, "other")
    theirs = {"Authorization": f"Bearer {plain}"}
    assert client.get(f"/api/v1/kits/{token}", headers=theirs).status_code == 404
    assert client.post(f"/api/v1/kits/{token}/download", headers=theirs).status_code == 404
    assert (
        client.post(
            f"/api/v1/collections/{collection.id}/kit",
            json={"purpose": "video", "accept_license": True},
            headers=theirs,
        ).status_code
        == 404
    )
    assert client.get("/api/v1/kits", headers=theirs).get_json()["total"] == 0
    assert client.get(f"/api/v1/kits/{token}").status_code == 401


@pytest.mark.parametrize("accepted", [None, False, "true", 1])
def test_a_kit_needs_the_licence_accepted_as_json_true(client, headers, collection, accepted):
    body = {"purpose": "social"} | ({} if accepted is None else {"accept_license": accepted})
    answer = client.post(f"/api/v1/collections/{collection.id}/kit", json=body, headers=headers)
    assert answer.status_code == 422
    message = "Setujui lisensinya untuk mengunduh."
    assert answer.get_json() == {
        "error": "license_required",
        "message": message,
        "errors": {"accept_license": [message]},
    }
    assert client.get("/api/v1/kits", headers=headers).get_json()["total"] == 0
