"""Leases on processing jobs (koin_media/leases.py): which worker is processing an asset, and
until when; ``jobs.requeue_lapsed`` gives an asset whose lease lapsed to a new attempt.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from .. import leases
from ..database import utcnow
from ..extensions import db
from ..leases import Lease, LeaseLost  # noqa: F401  (the names the processing job uses)
from .models import PROCESSING, Asset


def _held_by(asset_id: int, owner: str):
    return (Asset.id == asset_id, Asset.lease_owner == owner, Asset.status == PROCESSING)


def claim(asset_id: int, seconds: int, now: datetime | None = None) -> Lease | None:
    """Take the asset for one processing attempt (counted), if it waits for processing and no
    live lease holds it. Committed at once, so other workers see it."""
    return leases.claim(
        Asset,
        asset_id,
        seconds,
        waiting=(PROCESSING,),
        busy_status=PROCESSING,
        values={"processing_attempts": Asset.processing_attempts + 1},
        now=now or utcnow(),
    )


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
