"""Operations: processing that crashes stays retryable, reprocess, cleanup of unfinished
uploads and orphaned objects, storage init, health."""

from datetime import timedelta

import pytest
from huey.exceptions import RetryTask

from koin_media.accounts.services import create_token
from koin_media.assets import jobs, services
from koin_media.assets.models import Asset, MultipartUpload
from koin_media.database import utcnow
from koin_media.extensions import db
from koin_media.storage import get_storage

from . import samples
from .asset_helpers import DETAILS, Uploader


@pytest.fixture
def uploader(storage_app, transport, factory):
    _token, plain = create_token(factory.user("creator"), "tests")
    return Uploader(storage_app.test_client(), transport, plain)


def waiting_asset(owner, kind="image", mime="image/jpeg") -> Asset:
    asset = Asset(
        owner=owner,
        original_filename="foto.jpg",
        status="processing",
        kind=kind,
        mime=mime,
        **{"title": "Gili Trawangan", "license": "CC-BY-4.0", "consent": True},
    )
    asset.uuid = "0" * 24 + f"{owner.id:08d}"
    asset.storage_key = f"assets/{asset.uuid}/original"
    db.session.add(asset)
    db.session.commit()
    return asset


def test_a_crashing_job_leaves_the_asset_retryable_and_reprocess_finishes_it(storage_app, factory, tmp_path):
    asset = waiting_asset(factory.user("creator"))
    # The original is missing (a store hiccup): the job fails unexpectedly, not for the file.
    with pytest.raises(RetryTask):  # Huey schedules another attempt, with backoff
        jobs.process_asset.call_local(asset.id)
    db.session.refresh(asset)
    assert asset.status == "processing" and asset.processing_attempts == 1 and asset.problem_code is None

    get_storage().put(asset.storage_key, samples.jpeg(tmp_path), "image/jpeg")
    result = storage_app.test_cli_runner().invoke(args=["media", "reprocess", str(asset.id)])
    assert result.exit_code == 0, result.output
    db.session.refresh(asset)
    assert asset.status == "pending_review" and asset.thumb_key


def test_after_the_last_attempt_the_asset_fails_as_retryable(storage_app, factory):
    asset = waiting_asset(factory.user("creator"))
    asset.processing_attempts = jobs.MAX_ATTEMPTS - 1
    db.session.commit()
    jobs.process_asset.call_local(asset.id)  # no retry left: it fails, keeping the original
    db.session.refresh(asset)
    assert asset.status == "failed" and asset.problem_code == "internal"
    assert services.retryable(asset)


def test_reprocess_refuses_what_cannot_be_reprocessed(storage_app, uploader, tmp_path):
    body = uploader.upload(samples.jpeg(tmp_path), DETAILS).get_json()
    result = storage_app.test_cli_runner().invoke(args=["media", "reprocess", str(body["asset_id"])])
    assert result.exit_code != 0 and "only processing or failed" in result.output
    assert storage_app.test_cli_runner().invoke(args=["media", "reprocess", "999"]).exit_code != 0


def test_cleanup_aborts_old_uploads_and_removes_orphans(storage_app, backend, uploader, tmp_path):
    video = samples.big_mp4(tmp_path, megabytes=6)
    stale = uploader.create(video, DETAILS).get_json()
    uploader.send_parts(stale, video, only={1})
    fresh = uploader.create(samples.jpeg(tmp_path / "baru.jpg"), DETAILS).get_json()
    kept = uploader.upload(samples.png(tmp_path / "ada.png"), DETAILS).get_json()
    storage = get_storage()
    storage.put("assets/deadbeefdeadbeefdeadbeefdeadbeef/original", b"sisa", "image/jpeg")

    # Age the first upload past a day, as the store and the app record it.
    record = db.session.scalar(db.select(MultipartUpload).where(MultipartUpload.upload_id == stale["uploadId"]))
    record.created_at = utcnow() - timedelta(days=2)
    db.session.commit()
    result = jobs.cleanup_storage(older_than=timedelta(days=1))
    assert result["orphaned_assets"] == 1
    remaining = [u.upload_id for u in storage.list_multipart_uploads("assets/")]
    # moto reports every upload as initiated in 2010, so its store-side sweep takes them all.
    assert remaining == ([fresh["uploadId"]] if backend == "local" else [])
    assert db.session.get(Asset, stale["asset_id"]) is None
    assert db.session.get(Asset, fresh["asset_id"]) is not None
    assert list(storage.list_keys("assets/deadbeefdeadbeefdeadbeefdeadbeef/")) == []
    assert storage.head(db.session.get(Asset, kept["asset_id"]).storage_key) is not None
    # Uploads the app does not know of are found in the store itself.
    swept = jobs.cleanup_storage(older_than=timedelta(days=-1))
    assert swept["aborted_uploads"] == len(remaining)
    assert storage.list_multipart_uploads("assets/") == []

    output = storage_app.test_cli_runner().invoke(args=["storage", "cleanup"]).output
    assert "Aborted 0 unfinished upload(s)" in output


def test_storage_init_prepares_the_store(storage_app, backend):
    result = storage_app.test_cli_runner().invoke(args=["storage", "init", "--origin", "https://koin.ntbprov.go.id"])
    assert result.exit_code == 0, result.output
    assert result.output.strip()
    health = storage_app.test_client().get("/healthz").get_json()
    assert health["checks"]["storage"]["ok"] is True and health["checks"]["storage"]["backend"] == backend
