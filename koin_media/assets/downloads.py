"""Licensed downloads, for the page and the API alike: which variants an asset offers, the
file name a download gets, and the link handed out, logged and counted only when the store
can serve it. Who may download is ``Asset.downloadable_by``."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..media.crops import CROP_SIZES
from ..storage import ObjectNotFound, get_storage
from ..storage.base import safe_filename
from .models import DOWNLOAD_PURPOSES, Asset, AssetDownload


class DownloadRefused(Exception):
    """A download that cannot be given: the page flashes ``message``, the API answers
    ``status`` with ``code`` (409 "conflict": not possible now, such as a size not made yet)."""

    status, code = 409, "conflict"

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


class UnknownVariant(DownloadRefused):
    """A variant this asset can never have (a crop of a video, a name no asset has): the
    request is wrong, not early, so the API answers 422 rather than "try again later"."""

    status, code = 422, "unknown_variant"

    def __init__(self):
        super().__init__(UNKNOWN_VARIANT)


class WebSizeNotReady(DownloadRefused):
    """A video or audio whose web rendition is not made yet: only the original can be had."""

    def __init__(self):
        super().__init__(_l("The web size of this file is not ready yet. Download the original, or try again later."))


UNPUBLISHED = _l("Only published assets can be downloaded.")
UNKNOWN_VARIANT = _l("This asset has no such version to download.")
CROPS_NOT_READY = _l("The social media formats of this photo are not ready yet. Try again in a minute.")

# A photo's social crops as download variants ("crop_1x1" -> "1x1"), and what the page calls them.
CROP_VARIANTS = {f"crop_{ratio}": ratio for ratio in CROP_SIZES}
CROP_LABELS = {
    "1x1": _l("Instagram 1:1"),
    "4x5": _l("Instagram 4:5"),
    "9x16": _l("Story/Reels/WhatsApp 9:16"),
    "191x1": _l("Link preview 1.91:1"),
}
# Every variant's name in lists (who downloaded, my downloads).
VARIANT_LABELS = {
    "original": _l("Original"),
    "web": _l("Web size"),
    **{variant: CROP_LABELS[ratio] for variant, ratio in CROP_VARIANTS.items()},
}
UNKNOWN_PURPOSE = _l("Choose one of the uses in the list.")


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


def purpose_counts(asset: Asset) -> list[tuple[str | None, int]]:
    """How many downloads of ``asset`` were for each purpose, the most frequent first (None:
    downloads made before the dialog asked, or by an API client that did not say)."""
    rows = db.session.execute(
        select(AssetDownload.purpose, func.count())
        .where(AssetDownload.asset_id == asset.id)
        .group_by(AssetDownload.purpose)
    ).all()
    return sorted_purposes((purpose, count) for purpose, count in rows)


def sorted_purposes(counts) -> list[tuple[str | None, int]]:
    """(purpose, count) pairs, most downloads first, then in the dialog's order, unsaid last."""
    order = {code: index for index, code in enumerate(DOWNLOAD_PURPOSES)}
    return sorted(counts, key=lambda pair: (-pair[1], order.get(pair[0], len(order))))


def check_downloadable(asset: Asset, user) -> None:
    if not asset.downloadable_by(user):
        raise DownloadRefused(UNPUBLISHED)


def download_options(asset: Asset) -> list[dict]:
    """The variants a download may choose, with their sizes: the original and, once it exists,
    the web size (the web rendition for video and audio, the preview picture otherwise)."""
    options = [{"variant": "original", "content_type": asset.mime, "size_bytes": asset.size_bytes}]
    if asset.web_file:
        options.append({"variant": "web", "content_type": asset.web_file[1], "size_bytes": asset.web_size_bytes})
    sizes = (asset.media_info or {}).get("crop_bytes") or {}
    for variant, (width, height) in crop_dimensions(asset).items():
        ratio = CROP_VARIANTS[variant]
        options.append(
            {
                "variant": variant,
                "content_type": "image/jpeg",
                "size_bytes": sizes.get(ratio),
                "width": width,
                "height": height,
            }  # fmt: skip
        )
    return options


def crop_dimensions(asset: Asset) -> dict[str, tuple[int, int]]:
    """Width and height of each social crop the asset has, by variant, in CROP_SIZES' order
    (noted by ``pipeline.store_renditions`` when it stored them)."""
    keys, noted = asset.crop_keys or {}, (asset.media_info or {}).get("crops") or {}
    made = {}
    for variant, ratio in CROP_VARIANTS.items():
        size = noted.get(ratio)
        if keys.get(ratio) and isinstance(size, list) and len(size) == 2:
            made[variant] = (int(size[0]), int(size[1]))
    return made


def crop_choices(asset: Asset) -> list[tuple[str, str]]:
    """(variant, label) of each social crop the asset has: "Instagram 1:1 (1080 × 1080)"."""
    return [
        (variant, f"{CROP_LABELS[CROP_VARIANTS[variant]]} ({width} × {height})")
        for variant, (width, height) in crop_dimensions(asset).items()
    ]


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
    if variant in CROP_VARIANTS:
        return f"{title} ({CROP_VARIANTS[variant]}).jpg"
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
    if variant in CROP_VARIANTS and asset.kind == "image":
        key = (asset.crop_keys or {}).get(CROP_VARIANTS[variant])
        if key is None:  # processed before crops existed, or their job has not run yet
            raise DownloadRefused(CROPS_NOT_READY)
        return key, "image/jpeg", download_filename(asset, variant)
    raise UnknownVariant()


def create_download(asset: Asset, user, variant: str, purpose: str | None = None) -> tuple[str, int]:
    """Log the download and hand out a short-lived link to the chosen variant: (url, seconds
    it stays valid). ``purpose``: what the file is for (DOWNLOAD_PURPOSES), None if not said."""
    check_downloadable(asset, user)
    key, mime, filename = variant_file(asset, variant)
    link = get_storage().download_url(key, filename, mime)
    record_download(asset, user, variant, key, purpose=purpose)
    return link


def record_download(asset: Asset, user, variant: str, key: str, purpose: str | None = None) -> AssetDownload:
    """Log and count a download of the object ``key``, only once the store has shown it can
    serve it: when the store is down (StorageError) nothing is logged or counted."""
    check_downloadable(asset, user)  # never logged nor counted, whichever door it came through
    if purpose is not None and purpose not in DOWNLOAD_PURPOSES:
        # The forms refuse it with a message; a caller that skipped them must not reach the
        # database's CHECK constraint and turn the download into a 500.
        raise DownloadRefused(UNKNOWN_PURPOSE)
    download = AssetDownload(
        asset_id=asset.id,
        user_id=user.id,
        business_name=user.business_name,
        variant=variant,
        license=asset.license,
        credit_line=asset.credit_line,
        purpose=purpose,
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
