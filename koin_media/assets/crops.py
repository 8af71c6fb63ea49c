"""Social media formats after processing: a photo's crops around a new focus point, and the
crops and share picture of assets processed before they existed.

``process_asset`` makes them with the other renditions. Here a job of their own makes them
again (like ``renditions.make_web_rendition``): it never changes the asset's status, so a
published asset stays published and keeps its current crops until the new ones are recorded.
The focus point is not reviewed (it changes no terms): it applies at once.
"""

from __future__ import annotations

import logging

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from .. import localdisk
from ..extensions import db
from ..jobs import job
from ..media.processing import ProcessingFailed, share_from_picture, social_renditions
from ..storage import get_storage
from . import pipeline
from .models import PROCESSED, Asset
from .pipeline import MAX_ATTEMPTS, backoff

log = logging.getLogger(__name__)

PROBLEM = "social_problem"  # media_info: why the last attempt made none (for staff and logs)


class NoFocusPoint(Exception):
    """Only processed photos have a focus point (a video's share picture is its poster's centre)."""


def set_focus(asset: Asset, x: float, y: float) -> bool:
    """Centre the photo's crops on (``x``, ``y``), fractions of its width and height; whether it
    changed. A change queues the making of new crops and share picture; the status stays."""
    db.session.refresh(asset, with_for_update=True)  # one edit at a time (PostgreSQL)
    if not asset.takes_focus:
        db.session.rollback()
        raise NoFocusPoint(asset.id)
    if not (0 <= x <= 1 and 0 <= y <= 1):
        db.session.rollback()
        raise ValueError(f"focus ({x}, {y}) is outside the picture")
    changed = (asset.focus_x, asset.focus_y) != (x, y)
    if not changed and not asset.needs_social_pictures and PROBLEM not in (asset.media_info or {}):
        db.session.rollback()
        return False  # nothing to make: saving the same point again is a no-op
    asset.focus_x, asset.focus_y = x, y
    asset_id = asset.id
    db.session.commit()  # hold no transaction while the job (inline in tests) writes the row
    make_social_pictures(asset_id)  # also when unchanged but missing or failed: another try
    return changed


def missing_social_pictures() -> list[int]:
    """Ids of processed assets without a share picture, and of processed photos without crops."""
    return list(
        db.session.scalars(
            select(Asset.id)
            .where(
                Asset.status.in_(PROCESSED),
                or_(Asset.share_key.is_(None), (Asset.kind == "image") & Asset.crop_keys.is_(None)),
            )
            .order_by(Asset.id)
        )
    )


def _keys(asset: Asset) -> set[str]:
    return {key for key in (asset.share_key, *(asset.crop_keys or {}).values()) if key}


@job()
def make_social_pictures(asset_id: int, attempt: int = 1) -> None:
    """Make and store the asset's social crops (photos, from the original, around its focus
    point) and its share picture (other kinds: from their poster, cover or preview), then
    record them, and only then delete the ones they replace.

    The failure rules of ``make_web_rendition`` apply: a file that cannot be decoded is noted
    for staff (``media_info["social_problem"]``), an unexpected error retried with backoff.
    """
    # A detached copy from a session of its own: no transaction is held while pictures are made.
    with Session(db.engine) as private:
        asset = private.get(Asset, asset_id)
    if asset is None or asset.status not in PROCESSED:
        return  # deleted, or not processed (processing makes them itself)
    focus = (asset.focus_x, asset.focus_y)
    source = asset.storage_key if asset.kind == "image" else (asset.poster_key or asset.preview_key)
    if source is None:
        return  # a processed asset without any picture: nothing to make a share picture from
    try:
        with localdisk.work_dir(f"social-{asset_id}") as workdir:
            local = workdir / "source"
            get_storage().download_to_file(source, local)
            limits = pipeline.processing_limits()
            if asset.kind == "image":
                renditions = social_renditions(local, asset.mime, workdir / "out", focus,
                                               max_pixels=limits["max_pixels"])  # fmt: skip
            else:
                renditions = [share_from_picture(local, workdir / "out", max_pixels=limits["max_pixels"])]
            pipeline.store_renditions(asset, renditions)
        _record(asset, focus)
    except ProcessingFailed as failure:
        log.info("asset %s: no social pictures: %s %s", asset_id, failure.code, failure.detail)
        db.session.rollback()
        _note_problem(asset_id, {"code": failure.code, "detail": failure.detail[:2000]})
    except Exception as exc:
        db.session.rollback()
        log.exception("asset %s: social pictures attempt %s crashed", asset_id, attempt)
        if attempt >= MAX_ATTEMPTS:
            _note_problem(asset_id, {"code": "internal", "detail": f"{exc.__class__.__name__}: {exc}"[:2000]})
            return
        make_social_pictures.schedule((asset_id, attempt + 1), delay=backoff(attempt))


def _record(done: Asset, focus: tuple[float, float]) -> None:
    """Point the asset at the pictures stored for ``done`` (a detached copy), then delete the
    ones replaced. Pictures made for a focus point changed meanwhile are dropped instead: the
    job the newer point queued makes its own."""
    made = _keys(done)
    asset = db.session.get(Asset, done.id, with_for_update=True)
    if asset is None or (asset.kind == "image" and (asset.focus_x, asset.focus_y) != focus):
        current = _keys(asset) if asset is not None else set()
        db.session.rollback()
        _delete(made - current)
        return
    replaced = _keys(asset) - made
    asset.share_key = done.share_key
    info = {k: v for k, v in (asset.media_info or {}).items() if k not in ("crops", "crop_bytes", PROBLEM)}
    if done.crop_keys:
        asset.crop_keys = dict(done.crop_keys)
        info.update(crops=done.media_info["crops"], crop_bytes=done.media_info["crop_bytes"])
    asset.media_info = info  # a new dict, so the JSON column sees the change
    db.session.commit()
    _delete(replaced)  # only now: until the commit, pages still link to them


def _delete(keys: set[str]) -> None:
    storage = get_storage()
    for key in sorted(keys):
        storage.delete(key)


def _note_problem(asset_id: int, problem: dict) -> None:
    asset = db.session.get(Asset, asset_id)
    if asset is None:
        return
    asset.media_info = {**(asset.media_info or {}), PROBLEM: problem}
    db.session.commit()
