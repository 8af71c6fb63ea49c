"""Leases on processing jobs: which worker is processing an asset, and until when.

A worker killed mid-job (SIGKILL, out of memory, a host gone) takes its queued task with it;
the lease is what it leaves behind. The running job renews its lease from a heartbeat thread,
so a long ffmpeg run keeps it; once a lease lapses, ``jobs.requeue_lapsed`` gives the asset to a
new attempt. Only the holder may write results: a job whose lease was taken over drops its work
instead of writing it over the new attempt's.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine

from ..database import utcnow
from ..extensions import db
from .models import PROCESSING, Asset

log = logging.getLogger(__name__)


class LeaseLost(Exception):
    """Another attempt holds the asset now; this one must not write anything more."""


def new_owner() -> str:
    """Names the attempt in logs and in the row: host, process and a random part."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(8)}"


def _held_by(asset_id: int, owner: str):
    return (Asset.id == asset_id, Asset.lease_owner == owner, Asset.status == PROCESSING)


@dataclass
class Lease:
    asset_id: int
    owner: str
    seconds: int
    lost: threading.Event = field(default_factory=threading.Event)

    @property
    def heartbeat_seconds(self) -> float:
        # Four renewals a lease: a missed one or two (a busy database) do not lose it.
        return max(self.seconds / 4, 0.5)

    def expires(self, now: datetime | None = None) -> datetime:
        return (now or utcnow()) + timedelta(seconds=self.seconds)

    def check(self) -> None:
        if self.lost.is_set():
            raise LeaseLost(f"asset {self.asset_id}: lease of {self.owner} was taken over")

    def confirm(self) -> None:
        """Ask the database, not just the heartbeat's last answer, before a step that writes
        (renditions in the store): LeaseLost when another attempt holds the asset now."""
        if not self.renew(db.engine):
            raise LeaseLost(f"asset {self.asset_id}: lease of {self.owner} was taken over")

    def renew(self, engine: Engine) -> bool:
        """Extend the lease on a connection of its own (the heartbeat thread's); False once
        it is no longer ours."""
        with engine.connect().execution_options(sqlite_write=True) as conn, conn.begin():
            result = conn.execute(
                update(Asset).where(*_held_by(self.asset_id, self.owner)).values(lease_expires_at=self.expires())
            )
        if result.rowcount != 1:
            self.lost.set()
        return not self.lost.is_set()

    def hold(self) -> bool:
        """Renew the lease inside the session's transaction, which then keeps it: the row stays
        locked (PostgreSQL) or the database (SQLite's write lock) until that transaction ends,
        so no takeover slips in between this check and the results written with it."""
        result = db.session.execute(
            update(Asset)
            .where(*_held_by(self.asset_id, self.owner))
            .values(lease_expires_at=self.expires())
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            db.session.rollback()
            self.lost.set()
        return not self.lost.is_set()

    def release(self) -> None:
        """Give the asset up (a retry is scheduled): the retry must be able to claim it."""
        db.session.execute(
            update(Asset)
            .where(*_held_by(self.asset_id, self.owner))
            .values(lease_owner=None, lease_expires_at=None)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()

    @contextmanager
    def kept_alive(self, on_beat: Callable[[], None] | None = None):
        """Renew the lease every ``heartbeat_seconds`` while the block runs."""
        engine = db.engine
        stop = threading.Event()

        def beat():
            while not stop.wait(self.heartbeat_seconds):
                try:
                    if not self.renew(engine):
                        log.warning("asset %s: lease of %s was taken over", self.asset_id, self.owner)
                        return
                    if on_beat is not None:
                        on_beat()
                except Exception:  # any failure: a database hiccup, the next beat tries again
                    log.warning("asset %s: could not renew the lease", self.asset_id, exc_info=True)

        thread = threading.Thread(target=beat, name=f"lease-asset-{self.asset_id}", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            stop.set()
            thread.join()


def claim(asset_id: int, seconds: int, now: datetime | None = None) -> Lease | None:
    """Take the asset for one processing attempt (counted), if it waits for processing and no
    live lease holds it. Committed at once, so other workers see it."""
    now = now or utcnow()
    lease = Lease(asset_id, new_owner(), seconds)
    result = db.session.execute(
        update(Asset)
        .where(
            Asset.id == asset_id,
            Asset.status == PROCESSING,
            or_(Asset.lease_owner.is_(None), Asset.lease_expires_at < now),
        )
        .values(
            lease_owner=lease.owner,
            lease_expires_at=lease.expires(now),
            processing_attempts=Asset.processing_attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return lease if result.rowcount == 1 else None


def take_back(asset_id: int, owner: str, now: datetime) -> bool:
    """Clear a lapsed lease of ``owner`` (in the caller's transaction); False when it was
    renewed or cleared meanwhile, so only one sweep acts on it."""
    result = db.session.execute(
        update(Asset)
        .where(*_held_by(asset_id, owner), Asset.lease_expires_at < now)
        .values(lease_owner=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
