"""Verification at complete: the app, not the browser, decides what a stored file is.

Size comes from the store, the type from the object's first bytes (a ranged read); both are
checked against the allowlist, the declared type and extension, the per-kind limit and the
owner's quota. A refused object is deleted from storage at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath

from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..media import sniff
from ..storage import get_storage
from .models import APPROVED, ARCHIVED, DRAFT, PENDING_REVIEW, PROCESSING, Asset

# States whose files count towards a creator's quota.
_HOLDING_STATES = (PROCESSING, DRAFT, PENDING_REVIEW, APPROVED, ARCHIVED)


# A first guess from the name only, to refuse early; the bytes decide at complete. Some
# extensions fit several kinds (.mp4 is video, or audio-only): the most generous limit applies.
KINDS_BY_EXTENSION: dict[str, set[str]] = {}
for _format in sniff.FORMATS.values():
    for _extension in _format.extensions:
        KINDS_BY_EXTENSION.setdefault(_extension, set()).add(_format.kind)


@dataclass
class Verdict:
    ok: bool
    code: str | None = None
    context: dict = field(default_factory=dict)
    kind: str | None = None
    mime: str | None = None
    size: int | None = None


def used_quota(owner_id: int, excluding: int | None = None) -> int:
    statement = select(func.coalesce(func.sum(Asset.size_bytes), 0)).where(
        Asset.owner_id == owner_id, Asset.status.in_(_HOLDING_STATES)
    )
    if excluding is not None:
        statement = statement.where(Asset.id != excluding)
    return int(db.session.scalar(statement))


def inspect_object(asset: Asset) -> Verdict:
    """Decide whether the stored original of ``asset`` may go on to processing."""
    storage = get_storage()
    info = storage.head(asset.storage_key)
    if info is None:
        return Verdict(False, "missing")
    if info.size == 0:
        return Verdict(False, "empty", size=0)
    head = storage.read_range(asset.storage_key, 0, min(info.size, sniff.SNIFF_BYTES))
    found = sniff.sniff(head, asset.original_filename)
    if found is None:
        return Verdict(False, sniff.refusal(head) or "unknown", size=info.size)
    extension = PurePosixPath(asset.original_filename).suffix.lstrip(".").lower()
    if not sniff.extension_matches(asset.original_filename, found):
        return Verdict(False, "extension_mismatch", {"ext": extension or "?", "label": found.label}, size=info.size)
    if not sniff.declared_type_matches(asset.declared_type, found):
        return Verdict(False, "type_mismatch", {"declared": asset.declared_type, "label": found.label}, size=info.size)
    limit = current_app.config["MAX_BYTES"][found.kind]
    if info.size > limit:
        return Verdict(False, "too_large", {"size": info.size, "limit": limit}, size=info.size)
    quota = current_app.config["CREATOR_QUOTA_BYTES"]
    if used_quota(asset.owner_id, excluding=asset.id) + info.size > quota:
        return Verdict(False, "over_quota", {"quota": quota}, size=info.size)
    return Verdict(True, kind=found.kind, mime=found.mime, size=info.size)


def precheck(owner_id: int, filename: str, size: int | None) -> Verdict:
    """Refuse early, before any byte is sent, what the declared name and size already rule out.

    The real decision is still taken at complete from the stored bytes.
    """
    extension = PurePosixPath(filename or "").suffix.lstrip(".").lower()
    kinds = KINDS_BY_EXTENSION.get(extension)
    if not kinds:
        code = "svg" if extension == "svg" else "unknown"
        return Verdict(False, code)
    if size is not None:
        limit = max(current_app.config["MAX_BYTES"][kind] for kind in kinds)
        if size > limit:
            return Verdict(False, "too_large", {"size": size, "limit": limit})
        quota = current_app.config["CREATOR_QUOTA_BYTES"]
        if used_quota(owner_id) + size > quota:
            return Verdict(False, "over_quota", {"quota": quota})
    return Verdict(True)
