"""What waits for the office's review, oldest first: one statement shared by the moderation
page, its navigation count and the staff's landing page (admin.queues), so the three never
disagree about what "waiting" means."""

from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from .models import Asset


def _waiting():
    return Asset.awaiting_review()  # new uploads, and published assets' edits (Asset.reviewable_by)


def waiting_for_review() -> Select:
    """Assets sent for review and not decided yet, oldest first, with what a list shows."""
    return (
        select(Asset)
        .where(_waiting())
        .options(joinedload(Asset.owner), joinedload(Asset.community))
        .order_by(func.coalesce(Asset.edit_submitted_at, Asset.submitted_at), Asset.id)
    )


def waiting_count() -> int:
    """How many reviews wait (the navigation badge and the staff's landing page)."""
    return int(db.session.scalar(select(func.count(Asset.id)).where(_waiting())) or 0)


def oldest_waiting(limit: int) -> list[Asset]:
    return list(db.session.scalars(waiting_for_review().limit(limit)).unique())
