"""The worker's side of promo kits: building the ZIP, retrying a build whose worker died, and
deleting kits whose link has ended.

A build holds a lease on its kit, renewed by a heartbeat thread while it streams; a worker
killed mid-build stops renewing it, and the sweep (every minute) gives the kit to a new
attempt, which first aborts the multipart upload the dead one left (its id is on the kit).
An attempt whose lease was taken over writes nothing more. A build that fails is retried with
backoff, and after MAX_ATTEMPTS the kit fails and its owner is told.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from huey import crontab
from huey.exceptions import RetryTask
from sqlalchemy import and_, func, or_, select, update

from .. import leases
from ..database import utcnow
from ..extensions import db
from ..jobs import heartbeat_recorder, job, periodic_job
from ..leases import Lease, LeaseLost
from ..localtime import LOCAL
from ..storage import StorageError, get_storage
from .kit_credits import plan_kit
from .kit_zip import write_zip
from .models import KIT_BUILDING, KIT_EXPIRED, KIT_FAILED, KIT_QUEUED, KIT_READY, KIT_UNFINISHED, Kit
from .signals import kit_failed, kit_ready

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 4
# A kit still queued this long after it was asked for (or after its retry was due) has lost
# its task (the queue was down when it was enqueued, a retry was dropped): the sweep queues it
# again. Longer than a busy queue's usual wait, so that a slow queue runs few tasks twice (a
# second task of a kit finds it claimed or finished and does nothing).
QUEUED_LAPSE_MINUTES = 5


def backoff(attempt: int) -> int:
    return min(30 * 2 ** (attempt - 1), 15 * 60)


def kit_key(kit: Kit) -> str:
    """Generated from the kit's token, never from a title; every attempt writes the same key."""
    return f"kits/{kit.token}.zip"


# -- the lease (koin_media/leases.py) ------------------------------------------------------------


def claim(kit_id: int, seconds: int, now: datetime | None = None) -> Lease | None:
    """Take an unfinished kit for one attempt (counted) unless a live lease holds it;
    committed at once so other workers see it."""
    return leases.claim(
        Kit,
        kit_id,
        seconds,
        waiting=KIT_UNFINISHED,
        busy_status=KIT_BUILDING,
        values={"status": KIT_BUILDING, "attempts": Kit.attempts + 1},
        now=now,
    )


# -- the build ----------------------------------------------------------------------------------


@job()
def build_kit(kit_id: int) -> None:
    """Write the kit's ZIP to the store and mark it ready (its owner is told), or retry."""
    lease = claim(kit_id, current_app.config["JOB_LEASE_SECONDS"])
    if lease is None:
        return  # finished, failed, deleted, or a live attempt holds it
    storage = get_storage()
    try:
        kit = db.session.get(Kit, kit_id)
        _abort_leftover(kit, storage)
        plan = plan_kit(kit, storage)
        if not plan.files:
            _finish_failed(kit, "nothing_left", plan.skipped)
            return
        # The request's limit trusts the catalogue's sizes (0 while unknown); these are the
        # store's own, so no kit is written larger than KIT_MAX_BYTES. Retrying would not help.
        if sum(f["size_bytes"] for f in plan.files) > current_app.config["KIT_MAX_BYTES"]:
            _finish_failed(kit, "too_large", plan.skipped)
            return
        key = kit_key(kit)
        date_time = kit.created_at.astimezone(LOCAL).timetuple()[:6]
        part_bytes = current_app.config["KIT_PART_BYTES"]
        zip64_from = current_app.config.get("KIT_ZIP64_FROM")  # tests: ZIP64 headers on small members
        db.session.commit()  # no transaction (nor SQLite's write lock) while the bytes stream
        with lease.kept_alive(on_beat=heartbeat_recorder()):  # alive for /healthz during long builds
            info = write_zip(
                storage,
                key,
                plan.members,
                part_bytes=part_bytes,
                date_time=date_time,
                on_upload=lambda upload_id: _note_upload(lease, upload_id),
                on_part=lambda _number: lease.check(),
                **({"zip64_from": zip64_from} if zip64_from is not None else {}),
            )
        if not lease.hold():
            raise LeaseLost(lease.owner)
        kit = db.session.get(Kit, kit_id)
        now = utcnow()
        kit.status, kit.storage_key, kit.size_bytes = KIT_READY, key, info.size
        kit.files, kit.skipped, kit.file_count = plan.files, plan.skipped, len(plan.files)
        kit.finished_at, kit.expires_at = now, now + timedelta(hours=current_app.config["KIT_TTL_HOURS"])
        kit.upload_id, kit.lease_owner, kit.lease_expires_at, kit.problem_code = None, None, None, None
        kit_ready.send(kit)
        db.session.commit()
    except LeaseLost:
        db.session.rollback()
        log.warning("kit %s: attempt %s lost its lease; its work is dropped", kit_id, lease.owner)
    except Exception as exc:
        db.session.rollback()
        if not lease.hold():
            return
        kit = db.session.get(Kit, kit_id)
        log.warning("kit %s: build attempt %s failed", kit_id, kit.attempts, exc_info=True)
        if kit.attempts >= MAX_ATTEMPTS:
            _finish_failed(kit, "build_failed")
            return
        delay = backoff(kit.attempts)
        # A queued kit's lease_expires_at (no lease_owner: anyone may claim it) is when its retry
        # is due, so that the sweep can tell a retry that was lost from one still waiting.
        kit.status, kit.upload_id, kit.lease_owner = KIT_QUEUED, None, None
        kit.lease_expires_at = utcnow() + timedelta(seconds=delay)
        db.session.commit()
        raise RetryTask(delay=delay) from exc


def _note_upload(lease: Lease, upload_id: str) -> None:
    """Record the attempt's multipart upload on the kit, so that the next attempt can abort
    it should this process die with it unfinished."""
    db.session.execute(
        update(Kit).where(*lease.held()).values(upload_id=upload_id).execution_options(synchronize_session=False)
    )
    db.session.commit()


def _abort_leftover(kit: Kit, storage) -> None:
    """The upload of an attempt that died (killed worker): abort it, so no parts pile up."""
    if kit.upload_id:
        storage.abort_multipart(kit_key(kit), kit.upload_id)
        kit.upload_id = None
        db.session.commit()


def _finish_failed(kit: Kit, code: str, skipped: list | None = None) -> None:
    kit.status, kit.problem_code, kit.finished_at = KIT_FAILED, code, utcnow()
    kit.upload_id, kit.lease_owner, kit.lease_expires_at = None, None, None
    if skipped is not None:
        kit.skipped = skipped
    kit_failed.send(kit)
    db.session.commit()


# -- sweeps ---------------------------------------------------------------------------------------


@periodic_job(crontab(minute="*"))
def requeue_lapsed_kits() -> dict:
    return requeue_lapsed()


def _lapsed(now: datetime):
    """Kits whose build lease lapsed (the worker was killed), and queued kits whose task is
    QUEUED_LAPSE_MINUTES late (since asked for, or since their retry was due): lost."""
    queued_before = now - timedelta(minutes=QUEUED_LAPSE_MINUTES)
    return or_(
        and_(Kit.status == KIT_BUILDING, Kit.lease_owner.is_not(None), Kit.lease_expires_at < now),
        and_(
            Kit.status == KIT_QUEUED,
            Kit.lease_owner.is_(None),
            func.coalesce(Kit.lease_expires_at, Kit.created_at) < queued_before,
        ),
    )


def requeue_lapsed(now: datetime | None = None) -> dict:
    """Give kits whose build lease lapsed (the worker was killed), or whose queued task was
    lost, to a new attempt; after MAX_ATTEMPTS the kit fails and its owner is told."""
    now = now or utcnow()
    lapsed = db.session.scalars(select(Kit.id).where(_lapsed(now)).order_by(Kit.id)).all()
    db.session.rollback()
    requeued, failed = [], []
    for kit_id in lapsed:
        # Locked and checked again: another sweep, or the lost task turning up, may have moved it.
        kit = db.session.scalar(select(Kit).where(Kit.id == kit_id, _lapsed(now)).with_for_update())
        if kit is None:
            db.session.rollback()
            continue  # renewed, claimed or finished meanwhile
        if kit.status == KIT_QUEUED:
            # A lost task is a spent attempt (claim counts the ones that run), so that a queue
            # that keeps losing it ends in a failed kit, not one queued for ever.
            kit.attempts += 1
            kit.lease_expires_at = now
        if kit.attempts >= MAX_ATTEMPTS:
            _abort_leftover(kit, get_storage())
            _finish_failed(kit, "build_failed")
            failed.append(kit_id)
            continue
        db.session.commit()
        build_kit(kit_id)  # claims it once the lease has lapsed, aborting the dead attempt's upload
        requeued.append(kit_id)
    return {"requeued": requeued, "failed": failed}


@periodic_job(crontab(minute="*/10"))
def expire_kits_job() -> int:
    return expire_kits()


def expire_kits(now: datetime | None = None) -> int:
    """Delete the files of kits whose link has ended and mark them expired. A file the store
    cannot delete now leaves its kit as it is (its link refuses anyway) for the next run."""
    now = now or utcnow()
    due = db.session.scalars(select(Kit).where(Kit.status == KIT_READY, Kit.expires_at <= now).order_by(Kit.id)).all()
    storage = get_storage()
    expired = sum(expire_kit(kit, storage) for kit in due)
    db.session.rollback()
    return expired


def expire_kit(kit: Kit, storage) -> bool:
    """End a ready kit now: its file is deleted and the kit expired (committed). When the store
    cannot delete the file, the link ends at once all the same and the next sweep retries."""
    try:
        if kit.storage_key:
            storage.delete(kit.storage_key)
    except StorageError:
        log.warning("kit %s: could not delete %s; trying again next run", kit.id, kit.storage_key, exc_info=True)
        kit.expires_at = min(kit.expires_at or utcnow(), utcnow())
        db.session.commit()
        return False
    kit.status, kit.storage_key = KIT_EXPIRED, None
    db.session.commit()
    return True
