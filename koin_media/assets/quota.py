"""How many bytes a creator may send, decided before the bytes arrive.

A multipart upload declares its size when it is created. From then on every rule is a
function of that number:

- create refuses a size over the kind's limit or the creator's remaining quota, and a new
  upload beyond the cap on unfinished ones;
- sign refuses a part number the declared size does not need, and signs each part for the one
  size it must have (S3: a signed Content-Length; local: a signed maximum that the app's PUT
  enforces while the body streams in);
- complete (verify.py) checks the stored object once more, the last guard.

Unfinished uploads count against the quota with their declared size, so a creator cannot
start many uploads that each fit alone. The part plan is the one Uppy's AWS S3 plugin cuts
with static/js/upload.js's ``getChunkSize``; both must change together.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import and_, exists, func, or_, select

from ..accounts.models import User
from ..extensions import db
from ..storage.base import MAX_PART_NUMBER, MIN_PART_SIZE
from .models import (
    APPROVED,
    ARCHIVED,
    DRAFT,
    EXPIRED,
    PENDING_REVIEW,
    PROCESSING,
    UPLOADING,
    VERIFYING,
    Asset,
    MultipartUpload,
)

# States whose files count towards a creator's quota. An uploading asset counts with its
# declared size while its upload is unfinished; a verifying one holds its bytes until judged.
HOLDING_STATES = (VERIFYING, PROCESSING, DRAFT, PENDING_REVIEW, APPROVED, ARCHIVED, EXPIRED)


@dataclass
class Refusal:
    """Why bytes are refused: a problem code (problems.py), its context, the HTTP status."""

    code: str
    context: dict = field(default_factory=dict)
    status: int = 422


class UploadRefused(Exception):
    def __init__(self, refusal: Refusal):
        super().__init__(refusal.code)
        self.refusal = refusal


# --- the part plan ---------------------------------------------------------------------------


def part_size(declared: int) -> int:
    """Every part but the last: S3's 5 MiB minimum, larger only when 10,000 parts would not do."""
    return max(MIN_PART_SIZE, -(-declared // MAX_PART_NUMBER))


def part_count(declared: int) -> int:
    """Parts a file of ``declared`` bytes is cut into (an empty file still sends one)."""
    return max(1, -(-declared // part_size(declared)))


def expected_part_size(declared: int, part_number: int) -> int | None:
    """The exact size of part ``part_number``, or None when the declared size needs no such part."""
    if not 1 <= part_number <= part_count(declared):
        return None
    chunk = part_size(declared)
    return min(chunk, declared - (part_number - 1) * chunk)


# --- limits and quota ------------------------------------------------------------------------


def used_quota(owner_id: int, excluding: int | None = None) -> int:
    """Bytes held by the creator: stored assets, plus the declared size of unfinished uploads."""
    unfinished = exists().where(MultipartUpload.asset_id == Asset.id, MultipartUpload.finished_at.is_(None))
    statement = select(func.coalesce(func.sum(Asset.size_bytes), 0)).where(
        Asset.owner_id == owner_id,
        or_(Asset.status.in_(HOLDING_STATES), and_(Asset.status == UPLOADING, unfinished)),
    )
    if excluding is not None:
        statement = statement.where(Asset.id != excluding)
    return int(db.session.scalar(statement))


def size_refusal(owner_id: int, size: int, limit: int, excluding: int | None = None) -> Refusal | None:
    """Whether ``size`` bytes fit the kind's ``limit`` and what is left of the owner's quota."""
    if size > limit:
        return Refusal("too_large", {"size": size, "limit": limit})
    quota = current_app.config["CREATOR_QUOTA_BYTES"]
    if used_quota(owner_id, excluding=excluding) + size > quota:
        return Refusal("over_quota", {"quota": quota})
    return None


def unfinished_uploads(owner_id: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(MultipartUpload)
        .where(MultipartUpload.owner_id == owner_id, MultipartUpload.finished_at.is_(None))
    )


def admit_new_upload(owner_id: int, size: int, limit: int) -> None:
    """Raise UploadRefused unless the creator may start one more upload of ``size`` bytes.

    The owner's row is locked first (PostgreSQL; SQLite's POST transactions already hold the
    write lock), so two uploads started at once cannot both slip under the cap or the quota.
    """
    db.session.execute(select(User.id).where(User.id == owner_id).with_for_update())
    cap = current_app.config["UPLOAD_MAX_UNFINISHED"]
    if unfinished_uploads(owner_id) >= cap:
        raise UploadRefused(Refusal("too_many_unfinished", {"count": cap}, status=409))
    refusal = size_refusal(owner_id, size, limit)
    if refusal is not None:
        raise UploadRefused(refusal)


def part_allowance(asset: Asset, part_number: int, limit: int) -> int:
    """The exact size part ``part_number`` of ``asset``'s upload may have; raises UploadRefused.

    Checked again at each signature, not only at create: the quota may have been used up by
    another upload finishing larger than declared, or the limits lowered meanwhile.
    """
    declared = asset.size_bytes
    if declared is None:
        raise UploadRefused(Refusal("size_unknown", status=409))
    size = expected_part_size(declared, part_number)
    if size is None:
        raise UploadRefused(Refusal("beyond_declared", {"size": declared, "parts": part_count(declared)}))
    refusal = size_refusal(asset.owner_id, declared, limit, excluding=asset.id)
    if refusal is not None:
        raise UploadRefused(refusal)
    return size
