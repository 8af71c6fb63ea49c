"""Background jobs for assets: processing, and the periodic storage cleanup."""

from __future__ import annotations

import logging
import os
import time
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from huey import crontab
from huey.exceptions import RetryTask
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import localdisk
from ..database import utcnow
from ..extensions import db
from ..jobs import heartbeat_recorder, job, periodic_job, runs_inline
from ..media.fingerprint import sha256_file
from ..media.processing import ProcessingFailed, process
from ..storage import NotSupported, StepReport, StorageError, get_storage
from ..storage.local import LocalStorage
from . import duplicates, leases, pipeline
from .leases import LeaseLost
from .models import PROCESSING, Asset, MultipartUpload
from .pipeline import MAX_ATTEMPTS, backoff

log = logging.getLogger(__name__)


@job()
def process_asset(asset_id: int) -> None:
    """Probe the original, make renditions without EXIF/GPS, then send the asset on.

    Idempotent: it starts from the stored original each time and overwrites the renditions,
    and does nothing unless the asset is still waiting to be processed. A file that cannot be
    processed ends as ``failed`` with its reason; an unexpected error is retried with backoff
    and the asset stays ``processing`` (retryable) meanwhile.

    Each attempt holds a lease on the asset (``leases.py``), renewed while it works: a worker
    killed mid-job is noticed when the lease lapses and the asset is retried within minutes;
    an attempt whose lease was taken over writes nothing.
    """
    lease = leases.claim(asset_id, current_app.config["JOB_LEASE_SECONDS"])
    if lease is None:
        return  # not waiting for processing (any more), or a live attempt holds it
    _schedule_watch(asset_id, lease.seconds + 1)
    # A detached copy, from a session of its own (inline, the caller's session keeps its
    # objects): the work reads it and records its results on it without holding a transaction
    # (nor SQLite's write lock) for minutes; they are written under the lease at the end.
    with Session(db.engine) as private:
        asset = private.get(Asset, asset_id)
    try:
        with localdisk.work_dir(f"asset-{asset_id}") as workdir:
            with lease.kept_alive(on_beat=heartbeat_recorder()):
                _process_into(asset, workdir, lease)
            _commit_results(asset, lease)
    except LeaseLost:
        db.session.rollback()
        log.warning("asset %s: attempt %s lost its lease (taken over or asset deleted); results dropped",
                    asset_id, lease.owner)  # fmt: skip
    except ProcessingFailed as failure:
        log.info("asset %s failed processing: %s %s", asset_id, failure.code, failure.detail)
        db.session.rollback()
        if lease.hold():
            _fail(db.session.get(Asset, asset_id), failure.code, failure.detail)
    except Exception as exc:
        db.session.rollback()
        if not lease.hold():
            log.warning("asset %s: attempt %s crashed after losing its lease", asset_id, lease.owner, exc_info=True)
            return
        asset = db.session.get(Asset, asset_id)
        log.exception("asset %s: processing attempt %s crashed", asset_id, asset.processing_attempts)
        if asset.processing_attempts >= MAX_ATTEMPTS:
            _fail(asset, "internal", f"{exc.__class__.__name__}: {exc}")
            return
        lease.release()  # so that the retry can claim it at once
        raise RetryTask(delay=backoff(asset.processing_attempts)) from exc


def _process_into(asset: Asset, workdir: Path, lease: leases.Lease) -> None:
    storage = get_storage()
    original = workdir / "original"
    storage.download_to_file(asset.storage_key, original)
    asset.sha256 = sha256_file(original)  # read back in pieces while the file is fresh in the page cache
    _wait_at_test_gate(asset, lease)
    focus = (asset.focus_x, asset.focus_y)  # the crops follow a focus set before (re)processing
    result = process(original, asset.kind, asset.mime, workdir / "out", focus=focus, **pipeline.processing_limits())
    lease.confirm()  # taken over meanwhile: do not store renditions over the new attempt's
    asset.media_info = result.info  # first: storing the renditions adds the web size's dimensions
    pipeline.store_renditions(asset, result.renditions)
    asset.width, asset.height = result.width, result.height
    asset.duration_seconds = result.duration_seconds
    asset.video_codec, asset.audio_codec = result.video_codec, result.audio_codec
    asset.phash = result.phash


def _commit_results(done: Asset, lease: leases.Lease) -> None:
    """Write what processing recorded on the detached copy onto the row, if the lease is
    still ours; the creator's edits made meanwhile (title, licence) are kept."""
    if not lease.hold():
        raise LeaseLost(lease.owner)
    asset = db.session.get(Asset, lease.row_id)
    for name in sa_inspect(done).committed_state:  # the attributes processing set
        setattr(asset, name, getattr(done, name))
    asset.lease_owner, asset.lease_expires_at = None, None
    duplicates.record(asset)  # a warning for the creator and staff; the asset goes on regardless
    pipeline.finish_processing(asset)
    db.session.commit()


def _fail(asset: Asset, code: str, detail: str) -> None:
    asset.lease_owner, asset.lease_expires_at = None, None
    pipeline.mark_failed(asset, code, detail)


def _wait_at_test_gate(asset: Asset, lease: leases.Lease) -> None:
    """Tests only (PROCESSING_TEST_GATE): announce the attempt, then wait until the test lets it
    go on, so that a test can kill the worker at a known point of the job instead of guessing
    with sleeps. The lease heartbeat keeps running meanwhile, as during a long ffmpeg run."""
    gate = current_app.config.get("PROCESSING_TEST_GATE")
    if not gate:
        return
    stem = Path(gate) / f"asset-{asset.id}-attempt-{asset.processing_attempts}"
    Path(f"{stem}.started").write_text(str(os.getpid()))
    while not Path(f"{stem}.go").exists():
        lease.check()
        time.sleep(0.05)


# -- lapsed leases: workers killed mid-job ----------------------------------------------------


def _schedule_watch(asset_id: int, delay: float) -> None:
    if runs_inline():
        return  # inline (tests, debugging): nothing runs later; requeue_lapsed is called directly
    watch_lease.schedule((asset_id,), delay=max(delay, 1))


@job()
def watch_lease(asset_id: int) -> None:
    """Scheduled with each attempt for when its lease would lapse: retries the asset at once if
    its worker is gone, and looks again later while the lease is being renewed."""
    asset = db.session.get(Asset, asset_id)
    if asset is None or asset.status != PROCESSING or asset.lease_owner is None:
        db.session.rollback()
        return  # finished, failed, deleted, or released for a retry that watches itself
    left = (asset.lease_expires_at - utcnow()).total_seconds()
    db.session.rollback()
    if left >= 0:
        _schedule_watch(asset_id, left + 1)
    else:
        requeue_lapsed(asset_id=asset_id)


@periodic_job(crontab(minute="*"))
def requeue_lapsed_leases() -> dict:
    """The backstop of the watchdogs (one lost with its queue, or never scheduled)."""
    return requeue_lapsed()


def requeue_lapsed(now: datetime | None = None, asset_id: int | None = None) -> dict:
    """Give assets whose processing lease lapsed (the worker was killed, ran out of memory, its
    host went away) to a new attempt; after MAX_ATTEMPTS the asset fails with a reason."""
    now = now or utcnow()
    query = select(Asset.id, Asset.lease_owner).where(
        Asset.status == PROCESSING, Asset.lease_owner.is_not(None), Asset.lease_expires_at < now
    )
    if asset_id is not None:
        query = query.where(Asset.id == asset_id)
    lapsed = db.session.execute(query.order_by(Asset.id)).all()
    db.session.rollback()
    requeued, failed = [], []
    for lapsed_id, owner in lapsed:
        if not leases.take_back(lapsed_id, owner, now):
            db.session.rollback()
            continue  # renewed, finished or taken back by another sweep meanwhile
        asset = db.session.get(Asset, lapsed_id)
        log.warning("asset %s: lease of %s lapsed after attempt %s", lapsed_id, owner, asset.processing_attempts)
        if asset.processing_attempts >= MAX_ATTEMPTS:
            _fail(asset, "interrupted", f"processing stopped {asset.processing_attempts} times before it finished "
                  f"(its worker was killed, ran out of memory or restarted); last: {owner}")  # fmt: skip
            failed.append(lapsed_id)
            continue
        db.session.commit()
        process_asset(lapsed_id)
        requeued.append(lapsed_id)
    return {"requeued": requeued, "failed": failed}


@periodic_job(crontab(minute="17"))
def storage_cleanup() -> dict:
    return cleanup_storage()


def cleanup_storage(older_than: timedelta = timedelta(days=1)) -> dict:
    """Abort multipart uploads older than ``older_than``, delete objects no asset owns, and
    send assets stuck in processing (a crashed worker) back to the queue.

    Every step runs even when one before it failed; ``reports`` says what each did. A call the
    store does not implement (listing uploads on s3rver, some MinIO/R2 set-ups) is a warning,
    any other storage failure a failed step.
    """
    storage = get_storage()
    cutoff = utcnow() - older_than
    reports: list[StepReport] = []
    aborted = _step(
        reports,
        "store uploads",
        lambda: _abort_store_uploads(storage, cutoff),
        "store uploads: aborted {} unfinished upload(s) the store lists",
        unsupported="store uploads: this store cannot list unfinished uploads; only those the app "
        "knows of are aborted (add a lifecycle rule on the bucket if it has one)",
    )
    _step(
        reports,
        "app uploads",
        lambda: _abort_app_uploads(storage, cutoff),
        "app uploads: aborted {} stale upload(s) started in the app",
    )
    orphans = _step(
        reports, "orphans", lambda: _remove_orphans(storage), "orphans: removed files of {} deleted asset(s)"
    )
    requeued = _step(reports, "stuck", _requeue_stuck, "stuck: requeued {} asset(s) stuck in processing")
    temp_files = _sweep_temp_files(reports, storage)
    for report in reports:
        if report.outcome != "done":
            log.warning("storage cleanup: %s", report)
    return {
        "aborted_uploads": aborted,
        "orphaned_assets": orphans,
        "requeued": requeued,
        "temp_files": temp_files,
        "reports": reports,
    }


def _step(reports: list[StepReport], step: str, action, done: str, unsupported: str | None = None) -> int:
    try:
        count = action()
    except NotSupported as exc:
        db.session.rollback()
        reports.append(StepReport(step, unsupported or f"{step}: not supported by this store ({exc})", "unsupported"))
        return 0
    except StorageError as exc:
        db.session.rollback()
        reports.append(StepReport(step, f"{step}: {exc.__class__.__name__}: {exc}", "failed"))
        return 0
    reports.append(StepReport(step, done.format(count)))
    return count


def _abort_store_uploads(storage, cutoff) -> int:
    aborted = 0
    for pending in storage.list_multipart_uploads("assets/"):
        if pending.initiated < cutoff:
            storage.abort_multipart(pending.key, pending.upload_id)
            aborted += 1
    return aborted


def _abort_app_uploads(storage, cutoff) -> int:
    stale = db.session.scalars(
        select(MultipartUpload).where(MultipartUpload.finished_at.is_(None), MultipartUpload.created_at < cutoff)
    ).all()
    for upload in stale:
        storage.abort_multipart(upload.key, upload.upload_id)
        upload.finished_at = utcnow()
        if upload.asset is not None and upload.asset.status == "uploading":
            db.session.delete(upload.asset)
    db.session.commit()
    return len(stale)


def _remove_orphans(storage) -> int:
    known = set(db.session.scalars(select(Asset.uuid)))
    orphans = set()
    for key in storage.list_keys("assets/"):
        parts = key.split("/")
        if len(parts) >= 3 and parts[1] not in known:
            orphans.add(parts[1])
    for asset_uuid in orphans:
        storage.delete_prefix(f"assets/{asset_uuid}/")
    return len(orphans)


def _sweep_temp_files(reports: list[StepReport], storage) -> list[str]:
    """Temporary files of killed processes: the local store's ``tmp/`` and processing dirs."""
    storage_tmp = storage.tmp if isinstance(storage, LocalStorage) else None
    try:
        removed = localdisk.sweep_temp_files(storage_tmp)
    except OSError as exc:
        reports.append(StepReport("temp files", f"temp files: {exc.__class__.__name__}: {exc}", "failed"))
        return []
    listed = "".join(f"\n  {line}" for line in removed)
    reports.append(StepReport("temp files", f"temp files: removed {len(removed)} left by stopped processes{listed}"))
    return removed


def _requeue_stuck() -> int:
    stuck = db.session.scalars(
        select(Asset).where(Asset.status == PROCESSING, Asset.updated_at < utcnow() - timedelta(hours=1))
    ).all()
    for asset in stuck:
        process_asset(asset.id)
    return len(stuck)
