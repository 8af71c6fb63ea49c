"""Leases on long jobs: which worker is working on a row (an asset being processed, a kit being
built), and until when.

A worker killed mid-job (SIGKILL, out of memory, a host gone) takes its queued task with it; the
lease is what it leaves behind. The running job renews its lease from a heartbeat thread, so a
long ffmpeg run or a ZIP of gigabytes keeps it; once a lease lapses, the feature's sweep gives
the row to a new attempt. Only the holder may write results: a job whose lease was taken over
drops its work instead of writing it over the new attempt's.

The row's model has ``id``, ``status``, ``lease_owner`` and ``lease_expires_at``; a lease holds
while the row is in ``busy_status`` under this owner.
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

from .database import utcnow
from .extensions import db

log = logging.getLogger(__name__)


class LeaseLost(Exception):
    """Another attempt holds the row now; this one must not write anything more."""


def new_owner() -> str:
    """Names the attempt in logs and in the row: host, process and a random part."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(8)}"


@dataclass
class Lease:
    model: type
    row_id: int
    owner: str
    seconds: int
    busy_status: str
    lost: threading.Event = field(default_factory=threading.Event)

    @property
    def name(self) -> str:
        return f"{self.model.__tablename__} {self.row_id}"

    @property
    def heartbeat_seconds(self) -> float:
        # Four renewals a lease: a missed one or two (a busy database) do not lose it.
        return max(self.seconds / 4, 0.5)

    def held(self) -> tuple:
        model = self.model
        return (model.id == self.row_id, model.lease_owner == self.owner, model.status == self.busy_status)

    def expires(self, now: datetime | None = None) -> datetime:
        return (now or utcnow()) + timedelta(seconds=self.seconds)

    def check(self) -> None:
        """LeaseLost once the heartbeat found the lease taken over."""
        if self.lost.is_set():
            raise LeaseLost(f"{self.name}: lease of {self.owner} was taken over")

    def confirm(self) -> None:
        """Ask the database, not just the heartbeat's last answer, before a step that writes
        (files in the store): LeaseLost when another attempt holds the row now."""
        if not self.renew(db.engine):
            raise LeaseLost(f"{self.name}: lease of {self.owner} was taken over")

    def renew(self, engine: Engine) -> bool:
        """Extend the lease on a connection of its own (the heartbeat thread's); False once
        it is no longer ours."""
        with engine.connect().execution_options(sqlite_write=True) as conn, conn.begin():
            result = conn.execute(update(self.model).where(*self.held()).values(lease_expires_at=self.expires()))
        if result.rowcount != 1:
            self.lost.set()
        return not self.lost.is_set()

    def hold(self) -> bool:
        """Renew the lease inside the session's transaction, which then keeps it: the row stays
        locked (PostgreSQL) or the database (SQLite's write lock) until that transaction ends,
        so no takeover slips in between this check and the results written with it."""
        result = db.session.execute(
            update(self.model)
            .where(*self.held())
            .values(lease_expires_at=self.expires())
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            db.session.rollback()
            self.lost.set()
        return not self.lost.is_set()

    def release(self) -> None:
        """Give the row up (a retry is scheduled): the retry must be able to claim it."""
        db.session.execute(
            update(self.model)
            .where(*self.held())
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
                        log.warning("%s: lease of %s was taken over", self.name, self.owner)
                        return
                    if on_beat is not None:
                        on_beat()
                except Exception:  # any failure: a database hiccup, the next beat tries again
                    log.warning("%s: could not renew the lease", self.name, exc_info=True)

        thread = threading.Thread(target=beat, name=f"lease-{self.name}", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            stop.set()
            thread.join()


def claim(
    model, row_id: int, seconds: int, *, waiting, busy_status: str, values: dict, now: datetime | None = None
) -> Lease | None:
    """Take the row for one attempt if its status is one of ``waiting`` and no live lease holds
    it, setting ``values`` too (an attempt counter, the busy status). Committed at once, so
    other workers see it."""
    now = now or utcnow()
    lease = Lease(model, row_id, new_owner(), seconds, busy_status)
    result = db.session.execute(
        update(model)
        .where(
            model.id == row_id,
            model.status.in_(waiting),
            or_(model.lease_owner.is_(None), model.lease_expires_at < now),
        )
        .values(lease_owner=lease.owner, lease_expires_at=lease.expires(now), **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return lease if result.rowcount == 1 else None
