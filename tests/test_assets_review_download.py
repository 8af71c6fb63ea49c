"""Moderation with an audit trail, licensed downloads with short-lived links, and what the
creator sees of them."""

from urllib.parse import urlsplit

import pytest

from koin_media.accounts.services import create_token
from koin_media.assets.models import Asset, AssetDownload
from koin_media.audit import AuditEvent
from koin_media.extensions import db
from koin_media.storage import get_storage

from . import samples
from .asset_helpers import DETAILS, Uploader
from .conftest import Auth, csrf_token


@pytest.fixture
def uploaded(storage_app, transport, factory, tmp_path):
    """A JPEG uploaded by a creator and waiting for review."""
    creator = factory.user("creator", name="Baiq Nurul")
    _token, plain = create_token(creator, "tests")
    body = Uploader(storage_app.test_client(), transport, plain).upload(samples.jpeg(tmp_path), DETAILS).get_json()
    return db.session.get(Asset, body["asset_id"])


def logged_in(app, user):
    client = app.test_client()
    Auth(client).login(user)
    return client


def test_staff_queue_approve_and_audit(storage_app, uploaded, factory):
    staff = factory.user("staff")
    client = logged_in(storage_app, staff)
    queue = client.get("/moderation").get_data(as_text=True)
    assert "Tenun Sukarara" in queue
    page = f"/moderation/{uploaded.id}"
    response = client.post(page, data={"decision": "approve", "csrf_token": csrf_token(client, page)})
    assert response.status_code == 302
    db.session.refresh(uploaded)
    assert uploaded.status == "approved" and uploaded.reviewed_by_id == staff.id
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.subject_id == uploaded.id))
    assert (event.action, event.actor_id) == ("asset.approve", staff.id)
    assert "Tenun Sukarara" in storage_app.test_client().get("/assets").get_data(as_text=True)


def test_reject_needs_a_reason_that_the_creator_sees(storage_app, uploaded, factory):
    client = logged_in(storage_app, factory.user("staff"))
    page = f"/moderation/{uploaded.id}"
    response = client.post(page, data={"decision": "reject", "reason": " ", "csrf_token": csrf_token(client, page)})
    assert response.status_code == 422
    response = client.post(
        page,
        data={"decision": "reject", "reason": "Wajah anak terlihat jelas.", "csrf_token": csrf_token(client, page)},
    )
    assert response.status_code == 302
    db.session.refresh(uploaded)
    assert uploaded.status == "rejected"
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "asset.reject"))
    assert event.detail == {"reason": "Wajah anak terlihat jelas."}
    owner = logged_in(storage_app, uploaded.owner)
    assert "Wajah anak terlihat jelas." in owner.get("/my/assets").get_data(as_text=True)
    assert owner.get(f"/api/v1/assets/{uploaded.id}").get_json()["rejection_reason"] == "Wajah anak terlihat jelas."


def test_only_staff_moderate(storage_app, uploaded, factory):
    client = logged_in(storage_app, factory.user("creator"))
    assert client.get("/moderation").status_code == 403
    _t, token = create_token(factory.user("ikm"), "ikm")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post(f"/api/v1/assets/{uploaded.id}/approve", json={}, headers=headers).status_code == 403
    db.session.refresh(uploaded)
    assert uploaded.status == "pending_review" and uploaded.approved_at is None  # nothing was decided
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action.like("asset.%"))) is None


def test_api_approve_and_reject(storage_app, uploaded, factory):
    _t, token = create_token(factory.user("staff"), "staff")
    client, headers = storage_app.test_client(), {"Authorization": f"Bearer {token}"}
    response = client.post(f"/api/v1/assets/{uploaded.id}/reject", json={}, headers=headers)
    assert response.status_code == 422 and "reason" in response.get_json()["errors"]
    response = client.post(f"/api/v1/assets/{uploaded.id}/approve", json={}, headers=headers)
    assert response.status_code == 200 and response.get_json()["status"] == "approved"
    again = client.post(f"/api/v1/assets/{uploaded.id}/reject", json={"reason": "x"}, headers=headers)
    assert again.status_code == 409
    db.session.refresh(uploaded)
    assert uploaded.status == "approved" and uploaded.approved_at is not None and uploaded.rejection_reason is None
    events = db.session.scalars(db.select(AuditEvent).where(AuditEvent.subject_id == uploaded.id)).all()
    assert [e.action for e in events if e.action.startswith("asset.")] == ["asset.approve"]  # refusals log nothing


def fetch(transport, url, headers=None):
    return transport.get(url, headers=headers)


def test_ikm_downloads_original_and_web_size_and_the_creator_sees_it(
    storage_app, uploaded, factory, transport, tmp_path
):
    from koin_media.assets import services

    services.approve(uploaded, factory.user("staff"))
    ikm = factory.user("ikm", business_name="Tenun Pringgasela")
    client = logged_in(storage_app, ikm)
    page = f"/assets/{uploaded.id}"
    refused = client.post(f"{page}/download", data={"variant": "original", "csrf_token": csrf_token(client, page)})
    assert refused.status_code == 303 and refused.headers["Location"].endswith(page)  # licence not accepted

    sizes = {}
    for variant in ("original", "web"):
        response = client.post(
            f"{page}/download",
            data={
                "variant": variant,
                "accept_license": "y",
                "purpose": "packaging",
                "csrf_token": csrf_token(client, page),
            },
        )
        assert response.status_code == 303
        status, headers, body = fetch(transport, response.headers["Location"])
        assert status == 200
        assert "attachment" in headers["Content-Disposition"] and "Tenun Sukarara" in headers["Content-Disposition"]
        sizes[variant] = len(body)
    assert sizes["original"] == samples.jpeg(tmp_path / "again.jpg").stat().st_size
    assert 0 < sizes["web"]

    logged = db.session.scalars(db.select(AssetDownload).order_by(AssetDownload.id)).all()
    assert [(d.user_id, d.business_name, d.variant) for d in logged] == [
        (ikm.id, "Tenun Pringgasela", "original"),
        (ikm.id, "Tenun Pringgasela", "web"),
    ]
    db.session.refresh(uploaded)
    assert uploaded.download_count == 2
    owner = logged_in(storage_app, uploaded.owner)
    assert "Tenun Pringgasela" in owner.get(f"/assets/{uploaded.id}/downloads").get_data(as_text=True)
    assert client.get(f"/assets/{uploaded.id}/downloads").status_code == 404  # not the IKM's business


def test_download_api_and_anonymous(storage_app, uploaded, factory, transport):
    from koin_media.assets import services

    anonymous = storage_app.test_client()
    assert anonymous.post(f"/api/v1/assets/{uploaded.id}/download", json={}).status_code == 401
    _t, token = create_token(factory.user("ikm"), "ikm")
    headers = {"Authorization": f"Bearer {token}"}
    assert anonymous.post(f"/api/v1/assets/{uploaded.id}/download", json={}, headers=headers).status_code == 404
    services.approve(uploaded, factory.user("staff"))
    response = anonymous.post(f"/api/v1/assets/{uploaded.id}/download", json={}, headers=headers)
    assert response.status_code == 422  # the licence must be accepted
    response = anonymous.post(
        f"/api/v1/assets/{uploaded.id}/download", json={"accept_license": True, "variant": "web"}, headers=headers
    )
    assert response.status_code == 200
    body = response.get_json()
    assert "expires" not in body and body["expires_at"].endswith("Z")  # an instant, not seconds from now
    assert fetch(transport, body["url"])[0] == 200


def test_altered_or_expired_local_links_are_refused(make_app, storage_settings, tmp_path):
    app = make_app(**storage_settings("local"))
    with app.app_context():
        key = "assets/abc/original"
        get_storage().put(key, b"\xff\xd8\xff" + b"0" * 2000, "image/jpeg")
        url, _ = get_storage().download_url(key, "Kopi.jpg", "image/jpeg")
        # Expired a second before it is used: exact, no waiting on a whole-second clock.
        expired, _ = get_storage().download_url(key, "Kopi.jpg", "image/jpeg", expires_in=-1)
        client = app.test_client()
        path = urlsplit(url).path
        with client.get(path, headers={"Range": "bytes=0-2"}) as ranged:
            assert ranged.status_code == 206 and ranged.data == b"\xff\xd8\xff"
            assert ranged.headers["X-Content-Type-Options"] == "nosniff"
        altered = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
        assert client.get(altered).status_code == 403
        assert client.get(urlsplit(expired).path).status_code == 403
        with client.get(path) as valid:  # the same file, through a link still valid
            assert valid.status_code == 200


def test_creator_deletes_an_asset_with_its_files(storage_app, uploaded):
    client = logged_in(storage_app, uploaded.owner)
    page = f"/assets/{uploaded.id}/edit"
    prefix = f"assets/{uploaded.uuid}/"
    assert list(get_storage().list_keys(prefix))
    response = client.post(f"/assets/{uploaded.id}/delete", data={"csrf_token": csrf_token(client, page)})
    assert response.status_code == 302
    assert db.session.get(Asset, uploaded.id) is None
    assert list(get_storage().list_keys(prefix)) == []


def test_other_creators_cannot_edit_or_delete(storage_app, uploaded, factory):
    client = logged_in(storage_app, factory.user("creator"))
    assert client.get(f"/assets/{uploaded.id}/edit").status_code == 404
    token = csrf_token(client, "/my/assets")
    assert client.post(f"/assets/{uploaded.id}/delete", data={"csrf_token": token}).status_code == 404
    assert db.session.get(Asset, uploaded.id) is not None  # the row and its file are still there
    assert get_storage().head(uploaded.storage_key) is not None
