"""Usage rights that end (issue 11 point 7): the usable-until date, its WITA end of day, the job
that expires assets and tells people, the warning before, reviewed extensions, and the private
consent document."""

from __future__ import annotations

import io
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from koin_media import localtime
from koin_media.accounts.services import create_token
from koin_media.assets import rights
from koin_media.assets.downloads import DownloadRefused, create_download
from koin_media.assets.models import APPROVED, EXPIRED, PENDING_REVIEW, Asset, AssetDownload
from koin_media.extensions import db
from koin_media.notifications.models import Notice, OutboxMessage
from koin_media.storage import get_storage

from .asset_helpers import approved_asset
from .booking_helpers import make_venue
from .conftest import PASSWORD, csrf_token

PUBLIC = "https://media.koin.test"
END = date(2027, 1, 10)
# The last second of END in Lombok (UTC+8), and the first of the next day.
LAST_SECOND = datetime(2027, 1, 10, 15, 59, 59, tzinfo=UTC)
NEXT_DAY = datetime(2027, 1, 10, 16, 0, 0, tzinfo=UTC)
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 200
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def rights_app(make_app):
    app = make_app(PUBLIC_URL=PUBLIC, PAGE_CACHE_SECONDS=0)
    with app.app_context():
        yield app


@pytest.fixture
def clock(monkeypatch):
    """Set the wall clock every "today" is read from (localtime.local_today)."""

    def at(moment: datetime):
        monkeypatch.setattr(localtime, "utcnow", lambda: moment)
        return moment

    return at


def stored_asset(owner, title="Tenun Sukarara", **fields) -> Asset:
    asset = approved_asset(owner, title, **fields)
    get_storage().put(asset.storage_key, JPEG, "image/jpeg")
    return asset


def log_in(client, user):
    data = {"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client, "/login")}
    assert client.post("/login", data=data).status_code in (302, 303)


def mails(kind, to=None):
    query = select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
    if to:
        query = query.where(OutboxMessage.to_address == to)
    return list(db.session.scalars(query))


def notices(user, kind):
    return list(db.session.scalars(select(Notice).where(Notice.user_id == user.id, Notice.kind == kind)))


def bearer(user) -> dict:
    _token, plain = create_token(user, "tests")
    return {"Authorization": f"Bearer {plain}"}


# -- the date and its WITA end of day --------------------------------------------------------


def test_the_last_day_ends_at_midnight_wita_and_downloads_stop_before_the_job(rights_app, factory, clock):
    creator, ikm = factory.user("creator"), factory.user("ikm")
    asset = stored_asset(creator, usable_until=END)
    headers = bearer(ikm)
    client = rights_app.test_client()
    body = {"variant": "original", "accept_license": True, "purpose": "social"}

    clock(LAST_SECOND)
    assert asset.is_public and asset.downloadable_by(ikm)
    answer = client.post(f"/api/v1/assets/{asset.id}/download", json=body, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    assert client.get(f"/api/v1/assets/{asset.id}").get_json()["usable_until"] == "2027-01-10"

    clock(NEXT_DAY)  # no job has run: the asset is still "approved" in the database
    assert db.session.get(Asset, asset.id).status == APPROVED
    assert not asset.downloadable_by(ikm) and not asset.is_public
    with pytest.raises(DownloadRefused):
        create_download(asset, ikm, "original")
    assert client.post(f"/api/v1/assets/{asset.id}/download", json=body, headers=headers).status_code == 404
    assert client.get(f"/assets/{asset.id}").status_code == 404
    assert db.session.scalar(select(AssetDownload.id).where(AssetDownload.created_at.is_not(None))) is not None
    assert len(db.session.scalars(select(AssetDownload)).all()) == 1  # the refused one was not logged


@pytest.mark.parametrize(
    ("sent", "status"),
    [((END - timedelta(days=1)).isoformat(), 422), (END.isoformat(), 200), ("2027-13-01", 422), ("", 200)],
)
def test_a_date_in_the_past_is_refused(rights_app, factory, clock, sent, status):
    clock(datetime(2027, 1, 10, 2, 0, tzinfo=UTC))  # 10 Jan 2027, 10.00 WITA
    creator = factory.user("creator")
    asset = stored_asset(creator)
    answer = rights_app.test_client().post(
        f"/api/v1/assets/{asset.id}", json={"usable_until": sent}, headers=bearer(creator)
    )
    assert answer.status_code == status, answer.get_json()
    if status == 422:
        assert "usable_until" in answer.get_json()["errors"]


def test_the_edit_page_refuses_a_past_date_in_indonesian_and_keeps_a_passed_one(rights_app, factory, clock):
    clock(datetime(2027, 1, 10, 2, 0, tzinfo=UTC))
    creator = factory.user("creator")
    asset = stored_asset(creator, usable_until=END)
    asset.status = EXPIRED
    db.session.commit()
    client = rights_app.test_client()
    log_in(client, creator)
    form = {"csrf_token": csrf_token(client, f"/assets/{asset.id}/edit"), "title": asset.title,
            "license": asset.license, "consent": "y", "usable_until": "2027-01-09"}  # fmt: skip
    answer = client.post(f"/assets/{asset.id}/edit", data=form)
    assert answer.status_code == 422
    assert "masa pakai tidak bisa berakhir di masa lalu" in answer.get_data(as_text=True)
    clock(datetime(2027, 1, 12, 2, 0, tzinfo=UTC))  # END has passed, and may stay as it is
    form["usable_until"], form["description"] = END.isoformat(), "Motif subahnale"
    assert client.post(f"/assets/{asset.id}/edit", data=form).status_code == 302
    db.session.expire_all()
    assert db.session.get(Asset, asset.id).description == "Motif subahnale"
    assert db.session.get(Asset, asset.id).status == EXPIRED


# -- the job, the catalogue, and who is told ----------------------------------------------------


def _public_listing(client, venue_slug) -> str:
    return " ".join(
        [
            client.get("/assets").get_data(as_text=True),
            client.get("/assets?q=tenun").get_data(as_text=True),
            client.get(f"/venues/{venue_slug}").get_data(as_text=True),
            str([item["title"] for item in client.get("/api/v1/assets").get_json()["items"]]),
            str([item["title"] for item in client.get("/api/v1/assets?q=tenun").get_json()["items"]]),
        ]
    )


def test_the_job_expires_it_every_public_list_drops_it_and_people_are_told(rights_app, factory, clock):
    clock(LAST_SECOND)
    creator, staff = factory.user("creator", name="Baiq Nurul"), factory.user("staff")
    ikm, other_ikm = factory.user("ikm", locale="en"), factory.user("ikm", business_name="Kopi Sembalun")
    venue = make_venue()
    ending = stored_asset(creator, "Tenun Songket Ending", tags="tenun", venue=venue, usable_until=END)
    stored_asset(creator, "Tenun Ikat Lasting", tags="tenun", venue=venue)
    for business in (ikm, ikm, other_ikm):
        create_download(ending, business, "original")
    client = rights_app.test_client()
    assert "Tenun Songket Ending" in _public_listing(client, venue.slug)

    clock(NEXT_DAY)  # before the job: the lists already leave it out (catalog._rights_guard)
    listing = _public_listing(client, venue.slug)
    assert "Tenun Songket Ending" not in listing and "Tenun Ikat Lasting" in listing

    assert rights.expire_ended(NEXT_DAY) == [ending.id]
    assert rights.expire_ended(NEXT_DAY) == []  # once
    db.session.expire_all()
    assert db.session.get(Asset, ending.id).status == EXPIRED
    listing = _public_listing(client, venue.slug)
    assert "Tenun Songket Ending" not in listing and "Tenun Ikat Lasting" in listing
    assert client.get("/api/v1/assets").get_json()["total"] == 1

    # The owner: left the catalogue. Each business that downloaded it: once, in its language.
    assert len(notices(creator, "rights_ended")) == 1
    assert len(mails("rights_ended", creator.email)) == 1
    english = mails("rights_ended_user", ikm.email)
    assert len(english) == 1 and "ended on 10 January 2027" in english[0].body_text
    indonesian = mails("rights_ended_user", other_ikm.email)
    assert len(indonesian) == 1 and "berakhir pada 10 Januari 2027" in indonesian[0].body_text
    assert mails("rights_ended_user", staff.email) == [] and mails("rights_ended_user", creator.email) == []
    assert len(notices(ikm, "rights_ended_user")) == 1

    # The business reads it in its notices and in "Unduhan saya".
    page_client = rights_app.test_client()
    log_in(page_client, other_ikm)
    notices_page = page_client.get("/my/notices").get_data(as_text=True)
    assert "Mohon jangan memakainya" in notices_page
    # It leads to their copy in "Unduhan saya", not to the asset's page, which is gone for them.
    assert 'href="/my/downloads"' in notices_page and f'href="/assets/{ending.id}"' not in notices_page
    downloads = page_client.get("/my/downloads").get_data(as_text=True)
    assert "Masa pakai media ini berakhir 10 Jan 2027" in downloads
    assert page_client.get("/api/v1/notices", headers=bearer(other_ikm)).status_code == 200


def test_collections_and_kits_leave_it_out_at_the_date(rights_app, factory, clock):
    collections = pytest.importorskip("koin_media.promo.collections")
    kits = pytest.importorskip("koin_media.promo.kits")
    clock(LAST_SECOND)
    creator, ikm = factory.user("creator"), factory.user("ikm")
    ending = stored_asset(creator, "Bau Nyale Ending", usable_until=END)
    lasting = stored_asset(creator, "Bau Nyale Lasting")
    collection = collections.create_collection(ikm, "Promo Februari")
    for asset in (ending, lasting):
        collections.add_asset(collection, asset, ikm)
    assert {i.asset_id for i in collections.visible_items(collection)} == {ending.id, lasting.id}

    clock(NEXT_DAY)  # before the job
    assert [i.asset_id for i in collections.visible_items(collection)] == [lasting.id]
    with pytest.raises(kits.KitRefused):
        kits.request_kit(ikm, "Kit", [(ending, "original")], "social", license_accepted=True)
    kit = kits.request_kit(ikm, "Kit", [(ending, "original"), (lasting, "original")], "social", license_accepted=True)
    db.session.refresh(kit)
    assert [f.get("asset_id") for f in kit.files] == [lasting.id]


def test_warnings_go_once_to_the_owner_and_staff_even_with_two_workers(rights_app, make_app, factory, clock):
    creator, staff = factory.user("creator"), factory.user("staff")
    factory.user("staff", active=False)
    asset = stored_asset(creator, usable_until=END)
    now = datetime(2026, 12, 27, 16, 5, tzinfo=UTC)  # 28 Dec 00.05 WITA: 13 days ahead
    assert rights.warn_before(now - timedelta(days=2)) == []  # 16 days ahead: not yet

    barrier, results = threading.Barrier(2), []

    def worker():
        with rights_app.app_context():
            barrier.wait()
            results.append(rights.warn_before(now))
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(map(len, results)) == [0, 1]
    assert rights.warn_before(now) == []
    assert len(mails("rights_warning", creator.email)) == 1
    assert len(mails("rights_warning", staff.email)) == 1
    assert len(mails("rights_warning")) == 2  # the deactivated staff member gets none
    assert len(notices(creator, "rights_warning")) == 1

    # A new date is a new warning.
    clock(now)
    db.session.expire_all()
    asset = db.session.get(Asset, asset.id)
    asset.usable_until = END - timedelta(days=2)
    db.session.commit()
    assert rights.warn_before(now) == [asset.id]


# -- changing the date of a published or expired asset ---------------------------------------


def test_shortening_applies_at_once_extending_waits_for_review(rights_app, factory, clock):
    clock(datetime(2027, 1, 1, 2, 0, tzinfo=UTC))
    creator, staff = factory.user("creator"), factory.user("staff")
    asset = stored_asset(creator, usable_until=END)
    client = rights_app.test_client()
    headers = bearer(creator)

    answer = client.post(f"/api/v1/assets/{asset.id}", json={"usable_until": "2027-01-05"}, headers=headers)
    assert answer.get_json()["usable_until"] == "2027-01-05" and answer.get_json()["pending_edit"] is None

    answer = client.post(f"/api/v1/assets/{asset.id}", json={"usable_until": "2027-03-01"}, headers=headers).get_json()
    assert answer["usable_until"] == "2027-01-05"
    assert answer["pending_edit"]["fields"] == {"usable_until": "2027-03-01"}
    removed = client.post(f"/api/v1/assets/{asset.id}", json={"usable_until": ""}, headers=headers).get_json()
    assert removed["usable_until"] == "2027-01-05" and removed["pending_edit"]["fields"] == {"usable_until": None}

    version = removed["pending_edit"]["version"]
    approved = client.post(f"/api/v1/assets/{asset.id}/approve", json={"edit_version": version}, headers=bearer(staff))
    assert approved.status_code == 200, approved.get_json()
    db.session.expire_all()
    assert db.session.get(Asset, asset.id).usable_until is None


def test_an_expired_asset_returns_through_review_when_its_owner_extends_it(rights_app, factory, clock):
    clock(datetime(2027, 1, 12, 2, 0, tzinfo=UTC))
    creator, staff = factory.user("creator"), factory.user("staff")
    asset = stored_asset(creator, usable_until=END)
    assert rights.expire_ended() == [asset.id]
    client = rights_app.test_client()
    answer = client.post(f"/api/v1/assets/{asset.id}", json={"usable_until": "2027-06-30"}, headers=bearer(creator))
    assert answer.get_json()["status"] == PENDING_REVIEW
    assert client.post(f"/api/v1/assets/{asset.id}/approve", json={}, headers=bearer(staff)).status_code == 200
    db.session.expire_all()
    again = db.session.get(Asset, asset.id)
    assert again.status == APPROVED and again.is_public and again.expiry_warned_at is None


def test_staff_republish_an_expired_asset_at_once(rights_app, factory, clock):
    clock(datetime(2027, 1, 12, 2, 0, tzinfo=UTC))
    creator, staff = factory.user("creator"), factory.user("staff")
    asset = stored_asset(creator, usable_until=END)
    rights.expire_ended()
    client = rights_app.test_client()
    answer = client.post(f"/api/v1/assets/{asset.id}", json={"usable_until": ""}, headers=bearer(staff))
    assert answer.get_json()["status"] == APPROVED and answer.get_json()["usable_until"] is None


# -- the consent document ------------------------------------------------------------------------


def _upload_release(client, asset, content: bytes, name: str, mime: str = "application/pdf"):
    token = csrf_token(client, "/my/assets")
    data = {"csrf_token": token, "release": (io.BytesIO(content), name, mime)}
    return client.post(f"/assets/{asset.id}/release", data=data, content_type="multipart/form-data")


def test_the_consent_document_is_for_the_owner_and_staff_only(rights_app, factory):
    creator, staff = factory.user("creator"), factory.user("staff")
    other, ikm = factory.user("creator"), factory.user("ikm")
    asset = stored_asset(creator)
    owner_client = rights_app.test_client()
    log_in(owner_client, creator)
    answer = _upload_release(owner_client, asset, PDF, "Persetujuan Model Baiq.pdf")
    assert answer.status_code == 303
    db.session.expire_all()
    asset = db.session.get(Asset, asset.id)
    assert asset.release_key.startswith(f"private/releases/{asset.uuid}/")
    assert asset.release_mime == "application/pdf" and asset.release_size == len(PDF)

    for user in (creator, staff):
        client = rights_app.test_client()
        log_in(client, user)
        link = client.get(f"/assets/{asset.id}/release")
        assert link.status_code == 303 and link.headers["Cache-Control"] == "no-store"
        served = client.get(link.headers["Location"])
        assert served.status_code == 200 and served.data == PDF
        assert served.headers["Content-Disposition"].startswith("attachment")
        served.close()
    for user in (other, ikm, None):
        client = rights_app.test_client()
        if user:
            log_in(client, user)
        assert client.get(f"/assets/{asset.id}/release").status_code == 404
        assert client.post(f"/assets/{asset.id}/release/delete").status_code in (400, 404)
    assert "release" not in str(rights_app.test_client().get(f"/assets/{asset.id}").data)

    key = asset.release_key
    assert (
        owner_client.post(
            f"/assets/{asset.id}/release/delete", data={"csrf_token": csrf_token(owner_client, "/my/assets")}
        ).status_code
        == 303
    )
    db.session.expire_all()
    assert db.session.get(Asset, asset.id).release_key is None
    assert get_storage().head(key) is None


@pytest.mark.parametrize(
    ("content", "name", "mime", "message"),
    [
        (b"<html><script>alert(1)</script></html>", "release.pdf", "application/pdf", "PDF, JPEG, atau PNG"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "release.png", "image/png", "PDF, JPEG, atau PNG"),
        (b"MZ\x90\x00" + b"\0" * 100, "release.pdf", "application/pdf", "PDF, JPEG, atau PNG"),
        (b"RIFF\0\0\0\0WEBPVP8 " + b"\0" * 40, "release.webp", "image/webp", "PDF, JPEG, atau PNG"),
        (b"", "release.pdf", "application/pdf", "Dokumennya kosong"),
        (PDF + b"\0" * 2048, "release.pdf", "application/pdf", "terlalu besar"),
    ],
)
def test_hostile_or_oversized_documents_are_refused(make_app, factory, content, name, mime, message):
    app = make_app(RELEASE_MAX_BYTES=1024)
    with app.app_context():
        creator = factory.user("creator")
        asset = stored_asset(creator)
        client = app.test_client()
        log_in(client, creator)
        answer = _upload_release(client, asset, content, name, mime)
        assert answer.status_code == 303
        page = client.get("/my/assets").get_data(as_text=True)  # the flash, on the next page
        assert message in page
        db.session.expire_all()
        assert db.session.get(Asset, asset.id).release_key is None
        assert list(get_storage().list_keys(rights.RELEASE_PREFIX)) == []
        json_answer = client.post(
            f"/assets/{asset.id}/release",
            data={"csrf_token": csrf_token(client, "/my/assets"), "release": (io.BytesIO(content), name)},
            headers={"Accept": "application/json"},
            content_type="multipart/form-data",
        )
        assert json_answer.status_code == 422 and json_answer.get_json()["error"] == "release_refused"


def test_deleting_the_asset_deletes_its_document(rights_app, factory):
    creator = factory.user("creator")
    asset = stored_asset(creator)
    client = rights_app.test_client()
    log_in(client, creator)
    _upload_release(client, asset, JPEG, "ktp.jpg", "image/jpeg")
    db.session.expire_all()
    key = db.session.get(Asset, asset.id).release_key
    assert get_storage().head(key) is not None
    token = csrf_token(client, "/my/assets")
    assert client.post(f"/assets/{asset.id}/delete", data={"csrf_token": token}).status_code == 302
    assert get_storage().head(key) is None
