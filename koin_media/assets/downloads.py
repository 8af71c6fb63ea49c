"""Licensed downloads, for the page and the API alike: which variants an asset offers, the
file name a download gets, and the link handed out, logged and counted only when the store
can serve it. Who may download is ``Asset.downloadable_by``."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from flask_babel import lazy_gettext as _l
from sqlalchemy import update

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


def download_filename(asset: Asset, variant: str) -> str:
    """A readable UTF-8 name from the title; never a path, never a control character."""
    title = safe_filename(asset.title or PurePosixPath(asset.original_filename).stem)
    title = re.sub(r'[/\\:*?"<>|]+', " ", title).strip()[:120] or "koin-media"
    if variant == "web":
        return f"{title} (web){PurePosixPath(asset.web_file[0]).suffix}"  # .jpg, .mp4 or .m4a
    extension = safe_filename(PurePosixPath(asset.original_filename).suffix.lower()[:8]).replace(" ", "")
    return f"{title}{extension}"


def create_download(asset: Asset, user, variant: str) -> tuple[str, int]:
    """Log the download and hand out a short-lived link to the chosen variant: (url, seconds
    it stays valid)."""
    check_downloadable(asset, user)
    web = asset.web_file
    if variant == "web" and web is None:  # a video or audio whose rendition is not made yet
        raise WebSizeNotReady()
    key, mime = web if variant == "web" else (asset.storage_key, asset.mime)
    link = get_storage().download_url(key, download_filename(asset, variant), mime)
    record_download(asset, user, variant, key)
    return link


def record_download(asset: Asset, user, variant: str, key: str) -> AssetDownload:
    """Log and count a download of the object ``key``, only once the store has shown it can
    serve it: when the store is down (StorageError) nothing is logged or counted."""
    check_downloadable(asset, user)  # never logged nor counted, whichever door it came through
    download = AssetDownload(asset_id=asset.id, user_id=user.id, business_name=user.business_name, variant=variant)
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
