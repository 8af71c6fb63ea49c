"""The processing pipeline's writes: where renditions go, and how an attempt ends (ready for
review or waiting for details, failed with a reason, or a web rendition recorded).

Below both the jobs that run the pipeline (``jobs``, ``renditions``) and the services that queue
them, so that imports go one way: services -> jobs -> pipeline.
"""

from __future__ import annotations

from flask import current_app

from ..database import utcnow
from ..extensions import db
from ..storage import get_storage
from . import search
from .models import DRAFT, FAILED, PENDING_REVIEW, Asset

# An attempt that fails unexpectedly is tried again, waiting longer each time.
MAX_ATTEMPTS = 4


def backoff(attempt: int) -> int:
    return min(30 * 2 ** (attempt - 1), 15 * 60)


def asset_key(asset: Asset, name: str) -> str:
    """Object keys are generated, never taken from what the user sent."""
    return f"assets/{asset.uuid}/{name}"


def processing_limits() -> dict:
    """Time, thread and pixel bounds for media.processing, from the configuration."""
    config = current_app.config
    return {
        "max_pixels": config["MAX_IMAGE_PIXELS"],
        "transcode_timeout": config["TRANSCODE_TIMEOUT"],
        "threads": config["TRANSCODE_THREADS"],
    }


# Where each rendition of media.processing goes on the asset.
RENDITION_KEYS = {
    "thumb": "thumb_key",
    "preview": "preview_key",
    "poster": "poster_key",
    "cover": "poster_key",
    "web": "web_key",
    "share": "share_key",
}
# A photo's social crops ("crop_1x1", …) go into ``Asset.crop_keys`` by ratio ("1x1", …).
CROP_PREFIX = "crop_"


def store_renditions(asset: Asset, renditions) -> None:
    """Put renditions under the asset's generated keys (``assets/<uuid>/web.mp4``, …; the
    asset's deletion removes its whole prefix), point the asset at them and note the size of
    the one that is its "web size" download."""
    storage = get_storage()
    sizes, dimensions, crops = {}, {}, {}
    for rendition in renditions:
        key = asset_key(asset, rendition.path.name)
        storage.put(key, rendition.path, rendition.content_type)
        sizes[key] = rendition.path.stat().st_size
        dimensions[key] = [rendition.width, rendition.height] if rendition.width and rendition.height else None
        if rendition.name.startswith(CROP_PREFIX):
            crops[rendition.name.removeprefix(CROP_PREFIX)] = key
        else:
            setattr(asset, RENDITION_KEYS[rendition.name], key)
    if crops:
        # Their sizes are noted with the keys, so a download can say "1080 × 1350" and its
        # size without opening the files (new dicts, so the JSON columns see the change).
        asset.crop_keys = crops
        info = {k: v for k, v in (asset.media_info or {}).items() if k not in ("crops", "crop_bytes")}
        info["crops"] = {ratio: dimensions[key] for ratio, key in crops.items()}
        info["crop_bytes"] = {ratio: sizes[key] for ratio, key in crops.items()}
        asset.media_info = info
    web = asset.web_file
    if web and web[0] in sizes:
        asset.web_size_bytes = sizes[web[0]]
        # Noted here, where the rendition is made, so the download can say "Web size, 1280 × 720"
        # without opening the file (a new dict, so the JSON column sees the change).
        info = {k: v for k, v in (asset.media_info or {}).items() if k != "web_dimensions"}
        asset.media_info = {**info, "web_dimensions": dimensions[web[0]]} if dimensions[web[0]] else info


def record_web_rendition(done: Asset) -> None:
    """Write the web rendition stored for ``done`` (a detached copy) onto the asset's row; if
    the asset was deleted meanwhile, remove the object instead of leaving it orphaned."""
    asset = db.session.get(Asset, done.id)
    if asset is None:
        db.session.rollback()
        get_storage().delete(done.web_key)
        return
    asset.web_key, asset.web_size_bytes = done.web_key, done.web_size_bytes
    info = {k: v for k, v in (asset.media_info or {}).items() if k != "web_dimensions"}
    if (done.media_info or {}).get("web_dimensions"):
        info["web_dimensions"] = done.media_info["web_dimensions"]
    asset.media_info = info
    note_web_rendition_problem(asset, None)  # commits


def note_web_rendition_problem(asset: Asset | None, code: str | None, detail: str = "") -> None:
    """Why a processed asset still has no web rendition (for staff and logs), or clear it.
    Nothing else changes: the asset keeps its status and its original."""
    if asset is None:
        return  # deleted meanwhile; the cleanup removes whatever was stored for it
    info = {k: v for k, v in (asset.media_info or {}).items() if k != "web_rendition_problem"}
    if code:
        info["web_rendition_problem"] = {"code": code, "detail": detail[:2000]}
    asset.media_info = info  # a new dict, so the JSON column sees the change
    db.session.commit()


def finish_processing(asset: Asset) -> None:
    """After processing: to review if the details are complete, otherwise wait for them."""
    asset.status = PENDING_REVIEW if asset.details_complete else DRAFT
    if asset.status == PENDING_REVIEW:
        asset.submitted_at = utcnow()
    search.index(asset)


# Failures that another attempt could cure keep the original for `media reprocess`; a file
# that is corrupt, a pixel bomb or unprocessable is removed from storage with its renditions.
RETRYABLE_FAILURES = ("timeout", "internal", "interrupted")


def mark_failed(asset: Asset, code: str, detail: str) -> None:
    asset.status = FAILED
    asset.problem_code, asset.problem_context, asset.problem_detail = code, {}, detail[:4000]
    if code not in RETRYABLE_FAILURES:
        get_storage().delete_prefix(f"assets/{asset.uuid}/")
        asset.thumb_key = asset.preview_key = asset.poster_key = asset.web_key = asset.share_key = None
        asset.crop_keys = None
        asset.web_size_bytes = None
    db.session.commit()
