"""Web renditions (the MP4/M4A the player streams) for video and audio processed before they
existed, or whose rendition was lost: made by a job of their own that never changes the
asset's status, so a published asset stays published (showing its poster) meanwhile.

New uploads get their rendition in ``process_asset`` with the other renditions.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import localdisk
from ..extensions import db
from ..jobs import job
from ..media.processing import ProcessingFailed, web_rendition
from ..storage import get_storage
from . import pipeline
from .models import PROCESSED, WEB_RENDITION_TYPES, Asset
from .pipeline import MAX_ATTEMPTS, backoff

log = logging.getLogger(__name__)


def missing_web_renditions() -> list[int]:
    """Ids of processed video and audio assets that have no web rendition."""
    return list(
        db.session.scalars(
            select(Asset.id)
            .where(
                Asset.kind.in_(tuple(WEB_RENDITION_TYPES)),
                Asset.status.in_(PROCESSED),
                Asset.web_key.is_(None),
            )
            .order_by(Asset.id)
        )
    )


@job()
def make_web_rendition(asset_id: int, attempt: int = 1) -> None:
    """Make and store the asset's web rendition from its stored original.

    The failure rules of processing apply, without unpublishing anything: a file ffmpeg
    cannot re-encode (or a timeout) is noted on the asset for staff and retried only on
    request (``flask media reprocess``); an unexpected error is retried with backoff up to
    ``MAX_ATTEMPTS`` times. The working directory goes in every case (a killed worker's is
    swept by ``localdisk``).
    """
    # A detached copy from a session of its own (inline, the caller's session keeps its
    # objects): no transaction (nor SQLite's write lock) is held while ffmpeg runs for
    # minutes; the row is written at the end, in a short transaction.
    with Session(db.engine) as private:
        asset = private.get(Asset, asset_id)
    if asset is None or not asset.needs_web_rendition:
        return  # deleted, made meanwhile, or no longer processed
    try:
        with localdisk.work_dir(f"web-{asset_id}") as workdir:
            original = workdir / "original"
            get_storage().download_to_file(asset.storage_key, original)
            limits = pipeline.processing_limits()
            rendition = web_rendition(original, asset.kind, asset.mime, workdir / "out", **limits)
            pipeline.store_renditions(asset, [rendition])
        pipeline.record_web_rendition(asset)
    except ProcessingFailed as failure:
        log.info("asset %s: no web rendition: %s %s", asset_id, failure.code, failure.detail)
        db.session.rollback()
        pipeline.note_web_rendition_problem(db.session.get(Asset, asset_id), failure.code, failure.detail)
    except Exception as exc:
        db.session.rollback()
        log.exception("asset %s: web rendition attempt %s crashed", asset_id, attempt)
        if attempt >= MAX_ATTEMPTS:
            pipeline.note_web_rendition_problem(
                db.session.get(Asset, asset_id), "internal", f"{exc.__class__.__name__}: {exc}"
            )
            return
        make_web_rendition.schedule((asset_id, attempt + 1), delay=backoff(attempt))
