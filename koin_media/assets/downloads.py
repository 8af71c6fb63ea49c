"""Licensed downloads, for the page and the API alike: which variants an asset offers, the
file name a download gets, and the link handed out, logged and counted only when the store
can serve it. Who may download is ``Asset.downloadable_by``."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select, update
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..storage import ObjectNotFound, get_storage
from ..storage.base import safe_filename
from .models import Asset, AssetDownload


class DownloadRefused(Exception):
    """A download that cannot be given: the page flashes ``message``, the API answers 409."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


class WebSizeNotReady(DownloadRefused):
    """A video or audio whose web rendition is not made yet: only the original can be had."""

    def __init__(self):
        super().__init__(_l("The web size of this file is not ready yet. Download the original, or try again later."))


UNPUBLISHED = _l("Only published assets can be downloaded.")
UNKNOWN_VARIANT = _l("This asset has no such version to download.")


def history(user) -> Select:
    """The downloads of ``user`` (a business), newest first, each with its asset and what the
    asset's credit line names (its creator and community) joined into the same statement: a
    page of any length is one query. Ids grow with time, so they order and cut the pages."""
    return (
        select(AssetDownload)
        .where(AssetDownload.user_id == user.id)
        .options(joinedload(AssetDownload.asset).options(joinedload(Asset.owner), joinedload(Asset.community)))
        .order_by(AssetDownload.id.desc())
    )


def history_page(user, per_page: int, before: int | None = None) -> tuple[list[AssetDownload], int | None]:
    """One page of ``history`` older than the download ``before`` (None: the newest), and the
    cursor of the next page (None on the last). One query: a row more than the page says
    whether another page follows."""
    statement = history(user)
    if before is not None:
        statement = statement.where(AssetDownload.id < before)
    rows = list(db.session.scalars(statement.limit(per_page + 1)))
    more = len(rows) > per_page
    rows = rows[:per_page]
    return rows, (rows[-1].id if more else None)


def check_downloadable(asset: Asset, user) -> None:
    if not asset.downloadable_by(user):
        raise DownloadRefused(UNPUBLISHED)


def download_options(asset: Asset) -> list[dict]:
    """The variants a download may choose, with their sizes: the original and, once it exists,
    the web size (the web rendition for video and audio, the preview picture otherwise)."""
    options = [{"variant": "original", "content_type": asset.mime, "size_bytes": asset.size_bytes}]
    if asset.web_file:
        options.append({"variant": "web", "content_type": asset.web_file[1], "size_bytes": asset.web_size_bytes})
    return options


def web_dimensions(asset: Asset) -> tuple[int, int] | None:
    """Width and height of the "web size" download, as the pipeline noted them when it made
    that rendition (``pipeline.store_renditions``); None for audio, and for assets processed
    before they were noted."""
    size = (asset.media_info or {}).get("web_dimensions")
    if asset.web_file is None or not isinstance(size, list) or len(size) != 2 or not all(size):
        return None
    return int(size[0]), int(size[1])


def download_filename(asset: Asset, variant: str) -> str:
    """A readable UTF-8 name from the title; never a path, never a control character."""
    title = safe_filename(asset.title or PurePosixPath(asset.original_filename).stem)
    title = re.sub(r'[/\\:*?"<>|]+', " ", title).strip()[:120] or "koin-media"
    if variant == "web":
        return f"{title} (web){PurePosixPath(asset.web_file[0]).suffix}"  # .jpg, .mp4 or .m4a
    extension = safe_filename(PurePosixPath(asset.original_filename).suffix.lower()[:8]).replace(" ", "")
    return f"{title}{extension}"


def variant_file(asset: Asset, variant: str) -> tuple[str, str | None, str]:
    """(storage key, content type, file name) of ``variant`` of ``asset``, for a single download
    and a kit alike; DownloadRefused when the asset has no such variant (yet)."""
    if variant == "original":
        return asset.storage_key, asset.mime, download_filename(asset, "original")
    if variant == "web":
        web = asset.web_file
        if web is None:  # a video or audio whose rendition is not made yet
            raise WebSizeNotReady()
        return web[0], web[1], download_filename(asset, "web")
    raise DownloadRefused(UNKNOWN_VARIANT)


def create_download(asset: Asset, user, variant: str) -> tuple[str, int]:
    """Log the download and hand out a short-lived link to the chosen variant: (url, seconds
    it stays valid)."""
    check_downloadable(asset, user)
    key, mime, filename = variant_file(asset, variant)
    link = get_storage().download_url(key, filename, mime)
    record_download(asset, user, variant, key)
    return link


def record_download(asset: Asset, user, variant: str, key: str) -> AssetDownload:
    """Log and count a download of the object ``key``, only once the store has shown it can
    serve it: when the store is down (StorageError) nothing is logged or counted."""
    check_downloadable(asset, user)  # never logged nor counted, whichever door it came through
    download = AssetDownload(
        asset_id=asset.id,
        user_id=user.id,
        business_name=user.business_name,
        variant=variant,
        license=asset.license,
        credit_line=asset.credit_line,
    )
    try:
        if get_storage().head(key) is None:
            raise ObjectNotFound(key)
        db.session.add(download)
        # Counted in the database, so concurrent downloads cannot lose an increment.
        db.session.execute(update(Asset).where(Asset.id == asset.id).values(download_count=Asset.download_count + 1))
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return download
