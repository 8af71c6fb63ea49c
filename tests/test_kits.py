"""Promo kits: the ZIP streamed from storage to storage on both backends (local, and S3 over
HTTP with moto's server), its credits, ZIP64, the limits, skipped assets, who may see a kit,
expiry, the first download's logging, and failures that leave no multipart parts behind."""

from __future__ import annotations

import struct
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from koin_media.assets import attribution, rights
from koin_media.assets.models import AssetDownload
from koin_media.database import utcnow
from koin_media.extensions import db
from koin_media.localtime import LOCAL
from koin_media.notifications.digest import downloads_by_creator, week_start_of
from koin_media.notifications.models import KIT_FAILED, KIT_READY, Notice, OutboxMessage
from koin_media.promo import jobs
from koin_media.promo.kit_zip import Member, write_zip
from koin_media.promo.kits import KitRefused, download_kit, kit_filename, request_collection_kit, request_kit
from koin_media.promo.models import Kit
from koin_media.storage import ObjectNotFound, get_storage

from .conftest import csrf_token
from .kit_helpers import CC_BY, MIB, collection_of, fetch_zip, stored_asset

PART = 5 * MIB  # the smallest part size a kit may use: several parts from a few MiB


@pytest.fixture
def storage_app(make_app, storage_settings, backend):
    """One app for the test, its client and the transport: on either backend, with parts of
    the smallest size a kit may use."""
    app = make_app(**storage_settings(backend, KIT_PART_BYTES=PART))
    with app.app_context():
        yield app


@pytest.fixture
def kit_app(storage_app):
    return storage_app


@pytest.fixture
def client(kit_app):
    return kit_app.test_client()


@pytest.fixture
def business(kit_app, factory):
    return factory.user("ikm", business_name="Kopi Sembalun", name="Lalu Ahmad")


@pytest.fixture
def three(kit_app, factory):
    """Three published photos by one creator, the first larger than a part."""
    creator = factory.user("creator", name="Baiq Nurul")
    return [
        stored_asset(creator, "Tenun Sukarara", 6 * MIB + 123),
        stored_asset(creator, "Pantai Kuta Mandalika", 2 * MIB),
        stored_asset(creator, "Gendang Beleq", 300 * 1024, license="NTB-PROMO"),
    ]


def ask_on_the_page(client, collection, purpose="social", **fields):
    token = csrf_token(client, "/kits")
    data = {"purpose": purpose, "accept_license": "y", "csrf_token": token, **fields}
    return client.post(f"/collections/{collection.id}/kit", data=data)


def test_a_kit_streams_every_file_with_credits_into_one_zip(kit_app, auth, client, transport, business, three):
    collection = collection_of(business, [asset for asset, _data in three])
    auth.login(business)
    answer = ask_on_the_page(client, collection)
    assert answer.status_code == 303
    kit = db.session.scalar(select(Kit))
    assert answer.headers["Location"].endswith(f"/kits/{kit.token}")
    assert (kit.status, kit.file_count, kit.purpose, kit.title) == ("ready", 3, "social", "Promosi Tenun Sukarara")
    # Sent in 5 MiB parts as it was written (the first photo alone fills one): a multipart ETag.
    stored = get_storage().head(kit.storage_key)
    assert stored.size == kit.size_bytes > PART
    assert stored.etag.endswith(f"-{-(-kit.size_bytes // PART)}")

    page = client.get(f"/kits/{kit.token}").get_data(as_text=True)
    assert "Tautan berlaku sampai" in page and "01 Tenun Sukarara.jpg" in page
    downloaded = client.post(f"/kits/{kit.token}/download", data={"csrf_token": csrf_token(client, "/kits")})
    assert downloaded.status_code == 303
    archive = fetch_zip(transport, downloaded.headers["Location"])

    assert archive.testzip() is None  # every member's CRC matches its bytes
    names = ["01 Tenun Sukarara.jpg", "02 Pantai Kuta Mandalika.jpg", "03 Gendang Beleq.jpg"]
    assert archive.namelist() == [*names, "KREDIT.txt", "CREDITS.txt", "KREDIT.html"]
    for name, (_asset, data) in zip(names, three, strict=True):
        info = archive.getinfo(name)
        assert (info.compress_type, info.file_size) == (zipfile.ZIP_STORED, len(data))
        assert archive.read(name) == data
    assert archive.getinfo("KREDIT.txt").compress_type == zipfile.ZIP_DEFLATED

    kredit = archive.read("KREDIT.txt").decode()
    credits = archive.read("CREDITS.txt").decode()
    html = archive.read("KREDIT.html").decode()
    tenun, _data = three[0]
    # The words of the asset page's attribution, in each language, under the file's name.
    for name, (asset, _data) in zip(names, three, strict=True):
        assert f"{name}\r\n{attribution.plain(asset, 'id')}\r\n" in kredit
        assert f"{name}\r\n{attribution.plain(asset, 'en')}\r\n" in credits
        assert str(attribution.html(asset, "id")) in html and str(attribution.html(asset, "en")) in html
    assert "Baiq Nurul / Lombok Phonegraphy" in kredit and "Baiq Nurul / Lombok Phonegraphy" in credits
    for text in (kredit, credits, html):
        assert CC_BY in text  # the licences' URLs
        assert "/licenses/NTB-PROMO" in text
        assert f"http://127.0.0.1:8000/assets/{tenun.id}" in text  # the asset's page
    assert kredit.startswith("Kit promosi: Promosi Tenun Sukarara") and credits.startswith("Promo kit: Promosi")
    assert '<section lang="id">' in html and '<section lang="en">' in html


def test_zip64_members_open(kit_app, business, three, transport, make_app):
    """Members written with ZIP64 headers (as those of unknown or large size are) open, and
    their local headers say ZIP64 (version 4.5): what a 4 GB+ member needs."""
    kit_app.config["KIT_ZIP64_FROM"] = 0  # every member, so small files take the ZIP64 path
    collection = collection_of(business, [asset for asset, _data in three])
    kit = request_collection_kit(collection, business, "print", license_accepted=True)
    assert kit.status == "ready"
    url, _expires = download_kit(kit, business)
    archive = fetch_zip(transport, url)
    assert archive.testzip() is None
    raw = b"".join(get_storage().iter_chunks(kit.storage_key))
    for name, (_asset, data) in zip(archive.namelist()[:3], three, strict=True):
        info = archive.getinfo(name)
        assert archive.read(name) == data
        version_needed = struct.unpack("<H", raw[info.header_offset + 4 : info.header_offset + 6])[0]
        assert version_needed == zipfile.ZIP64_VERSION


@pytest.mark.parametrize(
    ("settings", "code", "words"),
    [
        ({"KIT_MAX_FILES": 2}, "too_many_files", "paling banyak 2 berkas"),
        ({"KIT_MAX_BYTES": 8 * MIB}, "too_large", "paling banyak 8,0 MB"),
    ],
)
def test_limits_refuse_with_a_clear_message(kit_app, auth, client, business, three, settings, code, words):
    kit_app.config.update(settings)
    collection = collection_of(business, [asset for asset, _data in three])
    with pytest.raises(KitRefused) as refused:
        request_collection_kit(collection, business, "social", license_accepted=True)
    assert refused.value.code == code
    auth.login(business)
    answer = ask_on_the_page(client, collection)
    assert answer.status_code == 303
    assert words in client.get(answer.headers["Location"]).get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Kit)) == 0


def test_at_most_two_kits_are_made_at_once_per_user(kit_app, business, three):
    assets = [asset for asset, _data in three]
    for _ in range(2):
        db.session.add(Kit(token=f"waiting-{_}", user_id=business.id, title="x", entries=[], purpose="other"))
    db.session.commit()
    with pytest.raises(KitRefused) as refused:
        request_kit(business, "Ketiga", [(a, "original") for a in assets], "other", license_accepted=True)
    assert (refused.value.code, refused.value.status) == ("too_many_building", 409)


def test_a_purpose_is_required(kit_app, business, three):
    with pytest.raises(KitRefused) as refused:
        request_kit(business, "Kit", [(three[0][0], "original")], "", license_accepted=True)
    assert (refused.value.code, refused.value.field) == ("purpose_required", "purpose")


def test_an_asset_unpublished_before_the_build_is_left_out_and_listed(
    kit_app, auth, client, transport, business, three
):
    """Entries are fixed when the kit is asked for (a call's export, a collection); an asset
    unpublished before the worker builds it is left out, and the page and credits say so."""
    assets = [asset for asset, _data in three]
    assets[1].status = "archived"
    db.session.commit()
    kit = request_kit(
        business, "Promosi Tenun Sukarara", [(a, "original") for a in assets], "packaging", license_accepted=True
    )
    assert kit.status == "ready"
    assert [f["name"] for f in kit.files] == ["01 Tenun Sukarara.jpg", "02 Gendang Beleq.jpg"]
    assert kit.skipped == [{"asset_id": assets[1].id, "title": "Pantai Kuta Mandalika", "reason": "unavailable"}]
    auth.login(business)
    page = client.get(f"/kits/{kit.token}").get_data(as_text=True)
    assert "Tidak disertakan dalam kit" in page and "Pantai Kuta Mandalika" in page
    url, _expires = download_kit(kit, business)
    archive = fetch_zip(transport, url)
    assert "Pantai Kuta Mandalika" not in " ".join(archive.namelist())
    assert "Tidak ada dalam kit ini:\r\n- Pantai Kuta Mandalika" in archive.read("KREDIT.txt").decode()
    assert "Not in this kit:\r\n- Pantai Kuta Mandalika" in archive.read("CREDITS.txt").decode()


def test_only_its_owner_sees_or_downloads_a_kit(kit_app, client, auth, factory, business, three):
    kit = request_kit(business, "Kit", [(three[0][0], "original")], "video", license_accepted=True)
    other = factory.user("ikm", business_name="Tenun Pringgasela")
    auth.login(other)
    assert client.get(f"/kits/{kit.token}").status_code == 404
    token = csrf_token(client, "/kits")
    assert client.post(f"/kits/{kit.token}/download", data={"csrf_token": token}).status_code == 404
    assert client.post(f"/kits/{kit.token}/again", data={"csrf_token": token}).status_code == 404
    assert kit.token not in client.get("/kits").get_data(as_text=True)
    with pytest.raises(KitRefused):
        download_kit(kit, other)
    auth.logout()
    assert client.get(f"/kits/{kit.token}").status_code == 302  # to the log-in page
    assert db.session.scalar(select(func.count()).select_from(AssetDownload)) == 0


def test_the_first_download_logs_every_asset_once(kit_app, business, three, factory):
    assets = [asset for asset, _data in three]
    collection = collection_of(business, assets)
    kit = request_collection_kit(collection, business, "print", license_accepted=True)
    download_kit(kit, business)
    download_kit(kit, business)  # again: the same kit is not logged twice
    rows = db.session.scalars(select(AssetDownload).order_by(AssetDownload.asset_id)).all()
    assert [(r.asset_id, r.variant, r.purpose, r.business_name) for r in rows] == [
        (a.id, "original", "print", "Kopi Sembalun") for a in assets
    ]
    assert rows[2].license == "NTB-PROMO" and rows[0].credit_line == assets[0].credit_line
    for asset in assets:
        db.session.refresh(asset)
        assert asset.download_count == 1
    assert kit.downloaded_at is not None


def test_expired_kits_lose_their_file_and_can_be_made_again(kit_app, auth, client, business, three):
    kit = request_kit(business, "Kit Bau Nyale", [(three[1][0], "original")], "social", license_accepted=True)
    key = kit.storage_key
    assert jobs.expire_kits(now=kit.expires_at - timedelta(seconds=1)) == 0
    assert jobs.expire_kits(now=kit.expires_at + timedelta(seconds=1)) == 1
    db.session.refresh(kit)
    assert (kit.status, kit.storage_key) == ("expired", None)
    assert get_storage().head(key) is None
    with pytest.raises(KitRefused) as refused:
        download_kit(kit, business)
    assert refused.value.status == 409
    auth.login(business)
    page = client.get(f"/kits/{kit.token}").get_data(as_text=True)
    assert "sudah berakhir" in page and "Buat kit lagi" in page
    again = client.post(
        f"/kits/{kit.token}/again", data={"accept_license": "y", "csrf_token": csrf_token(client, "/kits")}
    )
    assert again.status_code == 303
    new = db.session.scalar(select(Kit).where(Kit.id != kit.id))
    assert again.headers["Location"].endswith(f"/kits/{new.token}")
    assert (new.status, new.title, new.purpose, new.entries) == ("ready", kit.title, "social", kit.entries)


def test_the_owner_hears_when_the_kit_is_ready(kit_app, auth, client, business, three, factory):
    kit = request_kit(business, "Kit Tenun", [(three[2][0], "original")], "social", license_accepted=True)
    mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == KIT_READY))
    assert mail.to_address == business.email
    assert mail.subject == "Kit promosi Anda siap diunduh: Kit Tenun"
    assert f"/kits/{kit.token}" in mail.body_text
    notice = db.session.scalar(select(Notice).where(Notice.kind == KIT_READY))
    assert notice.user_id == business.id
    auth.login(business)
    notices = client.get("/my/notices").get_data(as_text=True)
    assert "Kit promosi Anda “Kit Tenun” siap diunduh." in notices and f"/kits/{kit.token}" in notices
    # Staff, who get no notices page, get the mail only (a call's export, for instance).
    staff = factory.user("staff", locale="en")
    request_kit(staff, "Bau Nyale 2027", [(three[2][0], "original")], "other", license_accepted=True)
    english = db.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == staff.id)).one()
    assert english.subject == "Your promo kit is ready to download: Bau Nyale 2027"
    assert db.session.scalar(select(func.count()).select_from(Notice).where(Notice.user_id == staff.id)) == 0


def test_a_failure_mid_zip_aborts_the_multipart_upload(kit_app, three):
    """A member that cannot be read after others were already sent in parts: the upload is
    aborted, no part stays in the store, and no object is made."""
    storage = get_storage()
    first, _data = three[0]
    members = [
        Member("01 a.jpg", key=first.storage_key, size=first.size_bytes),
        Member("02 b.jpg", key="assets/gone/x"),
    ]
    uploads = []
    with pytest.raises(ObjectNotFound):
        write_zip(
            storage, "kits/broken.zip", members, part_bytes=PART, date_time=(2026, 12, 1, 10, 0, 0),
            on_upload=uploads.append,
        )  # fmt: skip
    assert len(uploads) == 1
    assert storage.list_multipart_uploads("kits/") == []
    assert storage.head("kits/broken.zip") is None


@pytest.mark.parametrize("backend", ["local"])
def test_a_build_that_fails_is_retried_then_reported(kit_app, business, three):
    """A real fault of the store mid-build (the third file's key is a folder on disk, so it
    heads but cannot be read): the attempt aborts its upload and waits for a retry; the last
    attempt fails the kit and tells its owner."""
    storage = get_storage()
    broken, _data = three[2]
    storage.delete(broken.storage_key)
    storage.put(f"{broken.storage_key}/inside", b"x", "text/plain")
    kit = request_kit(business, "Kit", [(a, "original") for a, _data in three], "social", license_accepted=True)
    db.session.refresh(kit)
    assert (kit.status, kit.attempts, kit.upload_id, kit.lease_owner) == ("queued", 1, None, None)
    assert storage.list_multipart_uploads("kits/") == []
    kit.attempts = jobs.MAX_ATTEMPTS - 1
    db.session.commit()
    jobs.build_kit(kit.id)
    db.session.refresh(kit)
    assert (kit.status, kit.problem_code) == ("failed", "build_failed")
    assert storage.list_multipart_uploads("kits/") == []
    assert db.session.scalar(select(Notice.kind).where(Notice.user_id == business.id)) == KIT_FAILED


def test_a_build_whose_worker_died_is_taken_over(kit_app, business, three):
    """A worker killed mid-build leaves its lease to lapse and its upload unfinished: the sweep
    gives the kit to a new attempt, which aborts the dead one's upload and builds the kit."""
    storage = get_storage()
    kit = Kit(token="from-a-dead-worker", user_id=business.id, title="Kit", purpose="social", files=[], skipped=[])
    kit.entries = [{"asset_id": a.id, "variant": "original", "title": a.title} for a, _data in three]
    dead_upload = storage.create_multipart(jobs.kit_key(kit), "application/zip")
    storage.upload_part(jobs.kit_key(kit), dead_upload, 1, b"\0" * PART)
    kit.status, kit.attempts, kit.upload_id = "building", 1, dead_upload
    kit.lease_owner, kit.lease_expires_at = "host:999:dead", utcnow() + timedelta(seconds=30)
    db.session.add(kit)
    db.session.commit()
    assert jobs.requeue_lapsed() == {"requeued": [], "failed": []}  # its lease still runs
    kit.lease_expires_at = utcnow() - timedelta(seconds=1)  # the dead worker renews it no more
    db.session.commit()
    assert jobs.requeue_lapsed() == {"requeued": [kit.id], "failed": []}
    db.session.refresh(kit)
    assert (kit.status, kit.attempts, kit.file_count) == ("ready", 2, 3)
    assert storage.list_multipart_uploads("kits/") == []


def test_a_kit_whose_asset_left_the_catalogue_is_withdrawn(kit_app, auth, client, business, three):
    """An asset whose usage period ends (or that is unpublished) leaves kits already built: the
    ZIP is deleted, the page and the API say why, and making it again leaves the file out."""
    kit = request_kit(
        business, "Kit Tenun", [(asset, "original") for asset, *_ in three], "social", license_accepted=True
    )
    assert kit.status == "ready" and kit.file_count == 3
    key = kit.storage_key
    three[1][0].usable_until = utcnow().date() - timedelta(days=2)
    db.session.commit()
    with pytest.raises(KitRefused) as refused:
        download_kit(kit, business)
    assert (refused.value.status, refused.value.code) == (409, "kit_withdrawn")
    db.session.refresh(kit)
    assert (kit.status, kit.problem_code, kit.storage_key) == ("expired", "asset_withdrawn", None)
    assert get_storage().head(key) is None
    assert db.session.scalar(select(func.count()).select_from(AssetDownload)) == 0
    auth.login(business)
    page = client.get(f"/kits/{kit.token}").get_data(as_text=True)
    assert "tidak boleh dipakai lagi" in page
    again = client.post(
        f"/kits/{kit.token}/again", data={"accept_license": "y", "csrf_token": csrf_token(client, "/kits")}
    )
    new = db.session.scalar(select(Kit).where(Kit.id != kit.id))
    assert again.status_code == 303 and new.status == "ready"
    assert [f["asset_id"] for f in new.files if f.get("asset_id")] == [three[0][0].id, three[2][0].id]


def test_a_ready_kit_is_withdrawn_when_its_owner_opens_it(kit_app, auth, client, business, three):
    """The page and the API check too, not only the download: nobody is shown a ready kit
    that holds an asset that may no longer be used."""
    kit = request_kit(business, "Kit Tenun", [(three[0][0], "original")], "social", license_accepted=True)
    three[0][0].status = "archived"
    db.session.commit()
    auth.login(business)
    assert "tidak boleh dipakai lagi" in client.get(f"/kits/{kit.token}").get_data(as_text=True)
    db.session.refresh(kit)
    assert kit.status == "expired"


# -- review findings: the licence, lost tasks, the office's exports, real sizes, the ZIP's name ---


def test_a_kit_needs_the_licence_accepted_on_every_door(kit_app, auth, client, business, three):
    """The promise a single download asks for (DownloadForm.accept_license): the form, the
    service and "make again" refuse without it, in Indonesian, and no kit is made."""
    collection = collection_of(business, [asset for asset, _data in three])
    with pytest.raises(KitRefused) as refused:
        request_collection_kit(collection, business, "social", license_accepted=False)
    assert (refused.value.code, refused.value.field) == ("license_required", "accept_license")
    auth.login(business)
    answer = ask_on_the_page(client, collection, accept_license="")
    assert answer.status_code == 303
    assert "Setujui lisensinya untuk mengunduh." in client.get(answer.headers["Location"]).get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Kit)) == 0
    form = client.get(f"/collections/{collection.id}").get_data(as_text=True)
    assert 'name="accept_license" value="y" required' in form and "mencantumkan baris kreditnya" in form

    kit = request_collection_kit(collection, business, "social", license_accepted=True)
    jobs.expire_kits(now=kit.expires_at + timedelta(seconds=1))
    page = client.get(f"/kits/{kit.token}").get_data(as_text=True)
    assert 'name="accept_license"' in page  # the again form asks it too
    again = client.post(f"/kits/{kit.token}/again", data={"csrf_token": csrf_token(client, "/kits")})
    assert again.headers["Location"].endswith(f"/kits/{kit.token}")
    assert "Setujui lisensinya untuk mengunduh." in client.get(again.headers["Location"]).get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Kit)) == 1


@pytest.mark.parametrize("backend", ["local"])
def test_a_kit_whose_task_was_lost_is_queued_again_then_failed(kit_app, business, three):
    """A kit queued while the queue was down (or whose retry was dropped) is queued again by
    the minute sweep after QUEUED_LAPSE_MINUTES, each time counted as an attempt; a retry not
    yet due is left alone; after MAX_ATTEMPTS the kit fails and its owner is told."""
    now = utcnow()
    entries = [{"asset_id": three[0][0].id, "variant": "original", "title": "Tenun Sukarara"}]

    def queued(token, minutes_ago, **values):
        kit = Kit(
            token=token, user_id=business.id, title="Kit", purpose="social", entries=entries, files=[], skipped=[]
        )
        kit.created_at = now - timedelta(minutes=minutes_ago)
        for name, value in values.items():
            setattr(kit, name, value)
        db.session.add(kit)
        db.session.commit()
        return kit

    lost = queued("lost-task", jobs.QUEUED_LAPSE_MINUTES + 1)
    waiting = queued("still-waiting", 1)
    retry_due_later = queued("retry-later", 30, attempts=1, lease_expires_at=now + timedelta(minutes=2))
    hopeless = queued("lost-again", 30, attempts=jobs.MAX_ATTEMPTS - 1, lease_expires_at=now - timedelta(minutes=6))
    assert jobs.requeue_lapsed(now=now) == {"requeued": [lost.id], "failed": [hopeless.id]}
    for kit in (lost, waiting, retry_due_later, hopeless):
        db.session.refresh(kit)
    assert (lost.status, lost.attempts) == ("ready", 2)  # the lost task, and the one that ran
    assert (waiting.status, retry_due_later.status) == ("queued", "queued")
    assert (hopeless.status, hopeless.problem_code, hopeless.attempts) == ("failed", "build_failed", jobs.MAX_ATTEMPTS)
    assert db.session.scalar(select(Notice.kind).where(Notice.user_id == business.id, Notice.kind == KIT_FAILED))


def test_the_offices_own_kits_are_not_logged_as_business_downloads(kit_app, auth, client, business, factory, three):
    """Staff (a call's export) download a kit: nothing is logged or counted, so the creator's
    "who downloaded" and digest show no "(bukan akun usaha)" and staff get no rights-ended
    mails; a business's kit of the same files is logged."""
    asset = three[0][0]
    staff = factory.user("staff")
    staff_kit = request_kit(staff, "Bau Nyale 2027", [(asset, "original")], "other", license_accepted=True)
    download_kit(staff_kit, staff)
    week = week_start_of(utcnow().astimezone(LOCAL).date())
    assert db.session.scalar(select(func.count()).select_from(AssetDownload)) == 0
    db.session.refresh(asset)
    assert asset.download_count == 0 and rights.downloaders(asset) == [] and downloads_by_creator(week) == {}

    kit = request_kit(business, "Kit Tenun", [(asset, "original")], "social", license_accepted=True)
    download_kit(kit, business)
    assert rights.downloaders(asset) == [business.id] and list(downloads_by_creator(week)) == [asset.owner_id]
    auth.login(asset.owner)
    page = client.get(f"/assets/{asset.id}/downloads").get_data(as_text=True)
    assert "Kopi Sembalun" in page and "bukan akun usaha" not in page


def test_the_real_size_is_checked_before_the_zip_is_written(kit_app, auth, client, business, three):
    """Sizes the catalogue does not know count as 0 when the kit is asked for; the build adds
    the store's sizes and fails the kit, with a reason, before writing anything."""
    kit_app.config["KIT_MAX_BYTES"] = 8 * MIB  # the three files are 8.3 MiB together
    for asset, _data in three:
        asset.size_bytes = None
    db.session.commit()
    kit = request_kit(business, "Kit", [(a, "original") for a, _data in three], "social", license_accepted=True)
    db.session.refresh(kit)
    assert (kit.status, kit.problem_code, kit.storage_key) == ("failed", "too_large", None)
    assert get_storage().head(jobs.kit_key(kit)) is None and get_storage().list_multipart_uploads("kits/") == []
    assert db.session.scalar(select(Notice.kind).where(Notice.user_id == business.id)) == KIT_FAILED
    auth.login(business)
    page = client.get(f"/kits/{kit.token}").get_data(as_text=True)
    assert "lebih besar daripada yang boleh dimuat satu kit" in page


def test_the_zip_is_named_after_the_title_with_spaces_for_unsafe_characters(kit_app, business, three, transport):
    title = "Kampanye <b>Tenun</b> & Kopi 2027"
    kit = request_kit(business, title, [(three[2][0], "original")], "social", license_accepted=True)
    assert kit_filename(kit) == "Kampanye b Tenun b & Kopi 2027.zip"
    url, _expires = download_kit(kit, business)
    _status, headers, _body = transport.get(url)
    assert 'filename="Kampanye b Tenun b & Kopi 2027.zip"' in headers["Content-Disposition"]
    kit.title = 'a:b*c?"d"|e\\f/g. '
    assert kit_filename(kit) == "a b c d e f g.zip"
