"""Background jobs for assets: processing, and the periodic storage cleanup."""

from __future__ import annotations

import logging
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

from flask import current_app
from huey import crontab
from huey.exceptions import RetryTask

from ..database import utcnow
from ..extensions import db
from ..jobs import job, periodic_job
from ..media.processing import ProcessingFailed, process
from ..storage import get_storage
from . import services
from .models import PROCESSING, Asset

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 4
RENDITION_KEYS = {"thumb": "thumb_key", "preview": "preview_key", "poster": "poster_key", "cover": "poster_key"}


def backoff(attempt: int) -> int:
    return min(30 * 2 ** (attempt - 1), 15 * 60)


@job()
def process_asset(asset_id: int) -> None:
    """Probe the original, make renditions without EXIF/GPS, then send the asset on.

    Idempotent: it starts from the stored original each time and overwrites the renditions,
    and does nothing unless the asset is still waiting to be processed. A file that cannot be
    processed ends as ``failed`` with its reason; an unexpected error is retried with backoff
    and the asset stays ``processing`` (retryable) meanwhile.
    """
    asset = db.session.get(Asset, asset_id)
    if asset is None or asset.status != PROCESSING:
        return
    asset.processing_attempts += 1
    db.session.commit()
    workdir = Path(tempfile.mkdtemp(prefix=f"koin-asset-{asset.id}-"))
    try:
        _process_into(asset, workdir)
    except ProcessingFailed as failure:
        log.info("asset %s failed processing: %s %s", asset.id, failure.code, failure.detail)
        db.session.rollback()
        services.mark_failed(db.session.get(Asset, asset_id), failure.code, failure.detail)
    except Exception as exc:
        db.session.rollback()
        asset = db.session.get(Asset, asset_id)
        log.exception("asset %s: processing attempt %s crashed", asset_id, asset.processing_attempts)
        if asset.processing_attempts >= MAX_ATTEMPTS:
            services.mark_failed(asset, "internal", f"{exc.__class__.__name__}: {exc}")
            return
        raise RetryTask(delay=backoff(asset.processing_attempts)) from exc
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _process_into(asset: Asset, workdir: Path) -> None:
    storage = get_storage()
    original = workdir / "original"
    storage.download_to_file(asset.storage_key, original)
    result = process(
        original, asset.kind, asset.mime, workdir / "out", max_pixels=current_app.config["MAX_IMAGE_PIXELS"]
    )
    for rendition in result.renditions:
        key = services.asset_key(asset, f"{rendition.name}.jpg")
        storage.put(key, rendition.path, rendition.content_type)
        setattr(asset, RENDITION_KEYS[rendition.name], key)
    asset.width, asset.height = result.width, result.height
    asset.duration_seconds = result.duration_seconds
    asset.video_codec, asset.audio_codec = result.video_codec, result.audio_codec
    asset.media_info = result.info
    services.finish_processing(asset)
    db.session.commit()


@periodic_job(crontab(minute="17"))
def storage_cleanup() -> dict:
    return cleanup_storage()


def cleanup_storage(older_than: timedelta = timedelta(days=1)) -> dict:
    """Abort multipart uploads older than ``older_than``, delete objects no asset owns, and
    send assets stuck in processing (a crashed worker) back to the queue."""
    from sqlalchemy import select

    from .models import MultipartUpload

    storage = get_storage()
    cutoff = utcnow() - older_than
    aborted = 0
    for pending in storage.list_multipart_uploads("assets/"):
        if pending.initiated < cutoff:
            storage.abort_multipart(pending.key, pending.upload_id)
            aborted += 1
    stale = db.session.scalars(
        select(MultipartUpload).where(MultipartUpload.finished_at.is_(None), MultipartUpload.created_at < cutoff)
    ).all()
    for upload in stale:
        storage.abort_multipart(upload.key, upload.upload_id)
        upload.finished_at = utcnow()
        if upload.asset is not None and upload.asset.status == "uploading":
            db.session.delete(upload.asset)
    db.session.commit()

    known = set(db.session.scalars(select(Asset.uuid)))
    orphans = set()
    for key in storage.list_keys("assets/"):
        parts = key.split("/")
        if len(parts) >= 3 and parts[1] not in known:
            orphans.add(parts[1])
    for asset_uuid in orphans:
        storage.delete_prefix(f"assets/{asset_uuid}/")

    stuck = db.session.scalars(
        select(Asset).where(Asset.status == PROCESSING, Asset.updated_at < utcnow() - timedelta(hours=1))
    ).all()
    for asset in stuck:
        process_asset(asset.id)
    return {"aborted_uploads": aborted, "orphaned_assets": len(orphans), "requeued": len(stuck)}
