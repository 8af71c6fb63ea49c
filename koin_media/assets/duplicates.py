"""The duplicate warning: which assets already on the platform a newly processed one copies
(the same bytes: "exact") or resembles (a photo, or a video by its poster, whose perceptual hash
is at most NEAR_DUPLICATE_DISTANCE bits away: "near"); and how each finding is told to whoever
looks at it, without naming an asset they may not see.

A finding is a warning for the creator and for staff, never a refusal: the asset goes on to
review as usual and staff decide. Findings are filed under the later asset (the greater id),
so whichever of the two is fingerprinted last (a new upload, or the backfill reaching an older
asset) files the pair the same way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, joinedload

from .. import localdisk
from ..extensions import db
from ..jobs import job
from ..media.fingerprint import near, sha256_file
from ..media.processing import ProcessingFailed, picture_hash
from ..storage import ObjectNotFound, get_storage
from .models import FAILED, PROCESSED, REJECTED_FILE, STATUS_LABELS, Asset, AssetDuplicate

log = logging.getLogger(__name__)

EXACT, NEAR = "exact", "near"
# Assets that are no match: their file was refused, or processing failed (nothing to show).
NOT_COMPARED = (REJECTED_FILE, FAILED)
# Kinds compared by perceptual hash, each only with its own kind (a waveform drawing or a
# document's first page would make every audio clip or letter look alike).
HASHED_KINDS = ("image", "video")
# What one asset may be told at most: the exact copies first, then the closest (a plain dark
# photo resembles many others; ten of them say enough).
MAX_FINDINGS = 10
# Near candidates whose status is looked at, closest first, before the cap is applied.
_NEAR_CANDIDATES = 200


def record(asset: Asset) -> list[AssetDuplicate]:
    """File what ``asset`` (fingerprinted, in the session) duplicates, replacing what was found
    for it before; the caller commits. Called at the end of processing, and by the backfill.
    Only its own findings are replaced: those filed under a later asset (``other_id``) are that
    asset's warnings, which a re-processed older one must not wipe."""
    db.session.execute(delete(AssetDuplicate).where(AssetDuplicate.asset_id == asset.id))
    found = find(asset)
    later = [other_id for other_id, _kind, _distance in found if other_id > asset.id]
    # A pair filed under a later asset may be there already (that asset found it): update it.
    filed = {}
    if later:
        rows = db.session.scalars(
            select(AssetDuplicate).where(AssetDuplicate.other_id == asset.id, AssetDuplicate.asset_id.in_(later))
        )
        filed = {row.asset_id: row for row in rows}
    findings = []
    for other_id, kind, distance in found:
        row = filed.get(other_id)
        if row is None:
            row = AssetDuplicate(**_pair(asset.id, other_id), kind=kind, distance=distance)
            db.session.add(row)
        else:
            row.kind, row.distance = kind, distance
        findings.append(row)
    return findings


def _pair(asset_id: int, other_id: int) -> dict:
    return {"asset_id": max(asset_id, other_id), "other_id": min(asset_id, other_id)}


def find(asset: Asset) -> list[tuple[int, str, int]]:
    """(other asset's id, "exact" or "near", distance in bits) of what ``asset`` duplicates,
    exact copies first, then the closest; at most MAX_FINDINGS."""
    found: list[tuple[int, str, int]] = []
    if asset.sha256:
        exact = db.session.scalars(
            select(Asset.id)
            .where(Asset.sha256 == asset.sha256, Asset.id != asset.id, Asset.status.not_in(NOT_COMPARED))
            .order_by(Asset.id)
            .limit(MAX_FINDINGS)
        )
        found = [(other_id, EXACT, 0) for other_id in exact]
    limit = current_app.config["NEAR_DUPLICATE_DISTANCE"]
    if asset.phash and asset.kind in HASHED_KINDS and len(found) < MAX_FINDINGS:
        # Every hash of the kind, read from the index alone (ix_assets_kind_phash), compared in
        # one vectorised pass: 100,000 photos take ~0.2 s (bench/duplicates.py).
        hashes = db.session.execute(
            select(Asset.id, Asset.phash).where(Asset.kind == asset.kind, Asset.phash.is_not(None))
        ).all()
        exact_ids = {other_id for other_id, _kind, _distance in found} | {asset.id}
        close = [(i, d) for i, d in near(asset.phash, hashes, limit) if i not in exact_ids][:_NEAR_CANDIDATES]
        unusable = _not_compared([i for i, _d in close])
        found += [(i, NEAR, d) for i, d in close if i not in unusable][: MAX_FINDINGS - len(found)]
    return found


def _not_compared(ids: list[int]) -> set[int]:
    if not ids:
        return set()
    return set(db.session.scalars(select(Asset.id).where(Asset.id.in_(ids), Asset.status.in_(NOT_COMPARED))))


# -- what a viewer is told ---------------------------------------------------------------------

# Splits a translated message around the other asset's title, so a page or a script can make
# that title a link and the words around it stay the translator's.
_TITLE = "\x00"


@dataclass(frozen=True)
class DuplicateWarning:
    """One finding as ``viewer`` may see it: the other asset's title and link only when
    ``other.visible_to(viewer)``; otherwise "another asset you cannot see"."""

    kind: str
    distance: int
    other: Asset
    shown: bool  # the viewer may see the other asset
    own: bool  # the viewer uploaded both: "You already uploaded this"

    @property
    def other_id(self) -> int | None:
        return self.other.id if self.shown else None

    @property
    def title(self) -> str:
        return (self.other.title or self.other.original_filename) if self.shown else ""

    @property
    def url(self) -> str | None:
        return url_for("assets.show", asset_id=self.other.id) if self.shown else None

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.other.status]) if self.shown else ""

    def parts(self) -> tuple[str, str, str]:
        """(text before the title, the title, text after it); the title is empty when hidden."""
        exact = self.kind == EXACT
        if self.own:
            text = (
                _("You already uploaded this: “%(title)s”.", title=_TITLE)
                if exact
                else _("You already uploaded a similar one: “%(title)s”.", title=_TITLE)
            )
        elif self.shown:
            text = (
                _("Possible duplicate: identical to “%(title)s”.", title=_TITLE)
                if exact
                else _("Possible duplicate: similar to “%(title)s”.", title=_TITLE)
            )
        else:
            text = (
                _("Possible duplicate: identical to another asset you cannot see.")
                if exact
                else _("Possible duplicate: similar to another asset you cannot see.")
            )
        before, _sep, after = text.partition(_TITLE)
        return before, self.title, after

    @property
    def message(self) -> str:
        return "".join(self.parts())

    def as_json(self) -> dict:
        """For the pages' scripts (the upload page, My uploads)."""
        before, title, after = self.parts()
        return {"kind": self.kind, "distance": self.distance, "asset_id": self.other_id, "url": self.url,
                "before": before, "title": title, "after": after}  # fmt: skip


def warnings_for(assets, viewer) -> dict[int, list[DuplicateWarning]]:
    """The warnings of each of ``assets`` (which ``viewer`` manages) by id, exact copies first,
    then the closest; in one query, with the other assets and their owners."""
    by_id = {asset.id: asset for asset in assets}
    if not by_id:
        return {}
    findings = db.session.scalars(
        select(AssetDuplicate)
        .where(AssetDuplicate.asset_id.in_(by_id))
        .options(joinedload(AssetDuplicate.other).joinedload(Asset.owner))
        .order_by(AssetDuplicate.asset_id, AssetDuplicate.kind, AssetDuplicate.distance, AssetDuplicate.other_id)
    ).all()
    viewer_id = getattr(viewer, "id", None) if getattr(viewer, "is_authenticated", False) else None
    warnings: dict[int, list[DuplicateWarning]] = {}
    for finding in findings:
        asset, other = by_id[finding.asset_id], finding.other
        own = viewer_id is not None and viewer_id == asset.owner_id == other.owner_id
        warning = DuplicateWarning(finding.kind, finding.distance, other, other.visible_to(viewer), own)
        warnings.setdefault(asset.id, []).append(warning)
    return warnings


def warnings_of(asset: Asset, viewer) -> list[DuplicateWarning]:
    return warnings_for([asset], viewer).get(asset.id, [])


def queue_flags(asset_ids) -> dict[int, str]:
    """For the moderation queue's badge: "exact" or "near" (the strongest) per asset with any."""
    ids = list(asset_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(AssetDuplicate.asset_id, func.min(AssetDuplicate.kind))  # "exact" sorts before "near"
        .where(AssetDuplicate.asset_id.in_(ids))
        .group_by(AssetDuplicate.asset_id)
    )
    return dict(rows.all())


def api_json(warnings: list[DuplicateWarning]) -> list[dict]:
    """The API's ``duplicates``: the other asset's id only when the caller may see it."""
    return [{"asset_id": w.other_id, "kind": w.kind, "distance": w.distance} for w in warnings]


# -- fingerprints of assets processed before they were taken ------------------------------------


def missing_fingerprints() -> list[int]:
    """Ids of processed assets without a SHA-256 (processed before fingerprints were taken)."""
    return list(
        db.session.scalars(
            select(Asset.id).where(Asset.status.in_(PROCESSED), Asset.sha256.is_(None)).order_by(Asset.id)
        )
    )


@job()
def fingerprint_asset(asset_id: int) -> None:
    """Hash a processed asset's stored original (and a photo's pixels, or a video's poster),
    then file its duplicates. Its status, renditions and publication stay as they are."""
    # A detached copy from a session of its own: no transaction (nor SQLite's write lock) is
    # held while a large original downloads; the row is written at the end, briefly.
    with Session(db.engine) as private:
        asset = private.get(Asset, asset_id)
    if asset is None or asset.sha256 or asset.status not in PROCESSED:
        return  # deleted, done meanwhile, or not processed (processing takes its own)
    storage = get_storage()
    max_pixels = current_app.config["MAX_IMAGE_PIXELS"]
    with localdisk.work_dir(f"fingerprint-{asset_id}") as workdir:
        original = workdir / "original"
        try:
            storage.download_to_file(asset.storage_key, original)
        except ObjectNotFound:
            log.warning("asset %s: no original in the store to fingerprint", asset_id)
            return
        sha256, phash = sha256_file(original), None
        try:
            if asset.kind == "image":
                phash = picture_hash(original, asset.mime, max_pixels=max_pixels)
            elif asset.kind == "video" and asset.poster_key:
                poster = workdir / "poster.jpg"
                storage.download_to_file(asset.poster_key, poster)
                phash = picture_hash(poster, "image/jpeg", max_pixels=max_pixels)
        except (ProcessingFailed, ObjectNotFound) as exc:  # the exact check still works without it
            log.info("asset %s: no perceptual hash: %s", asset_id, exc)
    row = db.session.get(Asset, asset_id)
    if row is None:
        db.session.rollback()
        return
    row.sha256, row.phash = sha256, phash
    record(row)
    db.session.commit()
