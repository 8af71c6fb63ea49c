"""Promo kits: asking for one (with its limits), finding one, downloading it, expiring it.

A kit fixes its entries (asset and variant) when it is asked for; the worker builds the ZIP
(``jobs.build_kit``, the files and credits from ``kit_credits``), skipping what its owner may no
longer download by then. The first download logs every asset in it as downloaded for that
business, once per kit, with the licence and credit line the kit was built with.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from flask import abort, current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, select, update

from ..accounts.models import User
from ..assets.downloads import download_options
from ..assets.models import DOWNLOAD_PURPOSES, Asset, AssetDownload
from ..database import utcnow
from ..extensions import db
from ..i18n import format_size
from ..roles import IKM
from ..storage import get_storage
from ..storage.base import safe_filename
from ..validators import lookup_text
from .collections import visible_items
from .jobs import build_kit, expire_kit
from .kit_zip import ZIP_CONTENT_TYPE
from .models import KIT_EXPIRED, KIT_FAILED, KIT_QUEUED, KIT_READY, KIT_UNFINISHED, Collection, Kit

# Kits one user may have waiting or being built at once: a queue shared by everyone is not
# filled by one person's clicks.
MAX_BUILDING = 2
TITLE_LENGTH = 200

PROBLEMS = {
    "build_failed": _l("The kit could not be built. Try again; if it fails again, tell the office."),
    "nothing_left": _l("None of the assets in this kit can be downloaded any more."),
    "asset_withdrawn": _l(
        "A file in this kit may no longer be used (its usage period ended or it left the catalogue), "
        "so the kit was withdrawn. Make it again: it will hold the files that may still be used."
    ),
    # The request's limit counts sizes the catalogue knows; the build measures the real files.
    "too_large": _l(
        "The files of this kit together are larger than a kit may hold. Make it again with fewer files, "
        "or with the web size of videos."
    ),
}


class KitRefused(Exception):
    """A kit that cannot be asked for or downloaded: ``message`` for people (pages flash it,
    the API answers it with ``code`` and ``status``), ``field`` when one field is at fault."""

    def __init__(self, code: str, message, status: int = 422, field: str | None = None):
        super().__init__(str(message))
        self.code, self.message, self.status, self.field = code, message, status, field


def problem_text(kit: Kit) -> str | None:
    return str(PROBLEMS.get(kit.problem_code, PROBLEMS["build_failed"])) if kit.problem_code else None


# -- asking for a kit ---------------------------------------------------------------------------


def _entries(items: Iterable) -> list[tuple[int, str]]:
    """(asset id, variant) of each item, in order, each pair once. An item is a pair (Asset
    or asset id, variant) or a mapping with ``asset_id`` and ``variant``."""
    seen, entries = set(), []
    for item in items:
        if isinstance(item, dict):
            asset, variant = item["asset_id"], item.get("variant") or "original"
        else:
            asset, variant = item
        pair = (asset if isinstance(asset, int) else asset.id, variant or "original")
        if pair not in seen:
            seen.add(pair)
            entries.append(pair)
    return entries


def _variant_size(asset: Asset, variant: str) -> int:
    """The variant's size as ``download_options`` knows it (0 while unknown)."""
    for option in download_options(asset):
        if option["variant"] == variant:
            return option.get("size_bytes") or 0
    return 0


def request_kit(
    user: User,
    title: str,
    entries: Iterable,
    purpose: str,
    collection: Collection | None = None,
    *,
    license_accepted: bool,
) -> Kit:
    """Ask for a kit of ``entries`` (pairs of asset and variant, in the ZIP's order) for
    ``purpose``; committed, and its build queued. KitRefused for a missing purpose, the licence
    not accepted, no file, too many files or bytes, or when the user already has MAX_BUILDING
    kits unfinished."""
    config = current_app.config
    if purpose not in DOWNLOAD_PURPOSES:
        raise KitRefused("purpose_required", _("Choose what the files are for."), field="purpose")
    if license_accepted is not True:
        # A kit is many downloads at once: the same promise as a single download (DownloadForm).
        raise KitRefused("license_required", _("Accept the licence to download."), field="accept_license")
    pairs = _entries(entries)
    assets = {a.id: a for a in db.session.scalars(select(Asset).where(Asset.id.in_({p[0] for p in pairs})))}
    usable = [(assets[i], v) for i, v in pairs if i in assets and assets[i].downloadable_by(user)]
    if not usable:
        raise KitRefused("no_files", _("None of these assets can be downloaded now, so there is no kit to make."))
    if len(pairs) > config["KIT_MAX_FILES"]:
        raise KitRefused(
            "too_many_files",
            _(
                "A kit holds at most %(max)d files; this one would have %(count)d. Remove some, or make two kits.",
                max=config["KIT_MAX_FILES"],
                count=len(pairs),
            ),
        )
    size = sum(_variant_size(asset, variant) for asset, variant in usable)
    if size > config["KIT_MAX_BYTES"]:
        raise KitRefused(
            "too_large",
            _(
                "This kit would be %(size)s; a kit may hold at most %(max)s. Choose the web size of videos, "
                "or fewer files.",
                size=format_size(size),
                max=format_size(config["KIT_MAX_BYTES"]),
            ),
        )
    _lock_user(user)
    building = db.session.scalar(
        select(func.count()).select_from(Kit).where(Kit.user_id == user.id, Kit.status.in_(KIT_UNFINISHED))
    )
    if building >= MAX_BUILDING:
        db.session.rollback()
        raise KitRefused(
            "too_many_building",
            _("You already have %(count)d kits being made. Wait until one is ready, then ask again.", count=building),
            status=409,
        )
    kit = Kit(
        token=secrets.token_urlsafe(24),
        user_id=user.id,
        collection_id=collection.id if collection is not None else None,
        title=(" ".join((title or "").split()) or _("Promo kit"))[:TITLE_LENGTH],
        status=KIT_QUEUED,
        entries=[{"asset_id": i, "variant": v, "title": assets[i].title if i in assets else ""} for i, v in pairs],
        purpose=purpose,
        files=[],
        skipped=[],
    )
    db.session.add(kit)
    db.session.commit()
    build_kit(kit.id)
    return kit


def _lock_user(user: User) -> None:
    """Count the user's unfinished kits and add one as one step: a row lock on PostgreSQL
    (SQLite's request transaction already holds the write lock, BEGIN IMMEDIATE)."""
    db.session.execute(select(User.id).where(User.id == user.id).with_for_update())


def collection_entries(collection: Collection) -> list[tuple[Asset, str]]:
    """A collection's published assets in its order, each in the variant chosen for kits."""
    return [(item.asset, item.variant) for item in visible_items(collection)]


def request_collection_kit(collection: Collection, user: User, purpose: str, *, license_accepted: bool) -> Kit:
    return request_kit(
        user,
        collection.name,
        collection_entries(collection),
        purpose,
        collection=collection,
        license_accepted=license_accepted,
    )


def rebuild(kit: Kit, user: User, *, license_accepted: bool) -> Kit:
    """A new kit of the same entries, title and purpose (an expired or failed one's "again").
    The licence is accepted again, not carried over: the new kit takes each asset's licence and
    credit line as they are now (they may have changed), and a single download asks every time."""
    if kit.status not in (KIT_EXPIRED, KIT_FAILED):
        raise KitRefused("wrong_status", _("This kit is still available."), status=409)
    return request_kit(
        user, kit.title, kit.entries, kit.purpose, collection=kit.collection, license_accepted=license_accepted
    )


# -- finding kits -----------------------------------------------------------------------------


def get_kit(token: str, user) -> Kit | None:
    """The kit named by ``token`` if ``user`` owns it; None otherwise (a 404 for anyone else)."""
    if lookup_text(token, 64) is None:  # a NUL is a PostgreSQL error, not a miss
        return None
    kit = db.session.scalar(select(Kit).where(Kit.token == token))
    if kit is None or not kit.owned_by(user):
        return None
    withdraw_if_outdated(kit, user)
    return kit


def get_kit_or_404(token: str, user) -> Kit:
    """``get_kit`` for the pages and the API: a kit that is not the user's is a 404."""
    kit = get_kit(token, user)
    if kit is None:
        abort(404)
    return kit


def withdraw_if_outdated(kit: Kit, user) -> bool:
    """A ready kit that holds an asset its owner may no longer download (its usage period ended,
    it was unpublished or deleted) leaves with it, on every door (page, API, download): its ZIP
    is deleted and the kit ends with a reason; "make again" builds it without that file. One
    query for the kit's assets."""
    if kit.status != KIT_READY:
        return False
    ids = {f["asset_id"] for f in kit.files if f.get("asset_id")}
    assets = db.session.scalars(select(Asset).where(Asset.id.in_(ids))).all() if ids else []
    if len(assets) == len(ids) and all(asset.downloadable_by(user) for asset in assets):
        return False
    kit.problem_code = "asset_withdrawn"
    expire_kit(kit, get_storage())
    return True


def kits_of(user):
    """The select of ``user``'s kits, newest first."""
    return select(Kit).where(Kit.user_id == user.id).order_by(Kit.created_at.desc(), Kit.id.desc())


def is_downloadable(kit: Kit, now=None) -> bool:
    return kit.status == KIT_READY and kit.expires_at is not None and kit.expires_at > (now or utcnow())


# Characters a file name may not hold on Windows or macOS: browsers turn them into underscores
# ("Kampanye <b>Tenun</b>" was saved as "Kampanye _b_Tenun_ b_.zip"). The title is the user's
# words, so here they become spaces; safe_filename (storage's rule for every download) still
# drops invisible characters and collapses blanks.
_UNSAFE_IN_KIT_NAMES = str.maketrans(dict.fromkeys('<>:"/\\|?*', " "))


def kit_filename(kit: Kit) -> str:
    name = safe_filename(kit.title.translate(_UNSAFE_IN_KIT_NAMES)).strip(". ")
    return f"{name or 'kit'}.zip"


# -- downloading --------------------------------------------------------------------------------


def download_kit(kit: Kit, user) -> tuple[str, int]:
    """A short signed link to the kit's ZIP: (url, seconds it stays valid). The first download
    logs each asset in it as downloaded by ``user``'s business (once per kit, even when two
    downloads start at once: a conditional UPDATE decides which one logs)."""
    if not kit.owned_by(user):
        raise KitRefused("not_found", _("Not found."), status=404)
    withdraw_if_outdated(kit, user)
    if kit.problem_code == "asset_withdrawn":
        raise KitRefused("kit_withdrawn", problem_text(kit), status=409)
    if not is_downloadable(kit):
        raise KitRefused("not_ready", _("This kit cannot be downloaded: it is not ready, or its link has ended."), 409)
    storage = get_storage()
    if storage.head(kit.storage_key) is None:
        raise KitRefused("file_missing", _("The kit's file is gone. Make the kit again."), status=409)
    link = storage.download_url(kit.storage_key, kit_filename(kit), ZIP_CONTENT_TYPE)
    try:
        first = db.session.execute(
            update(Kit)
            .where(Kit.id == kit.id, Kit.downloaded_at.is_(None))
            .values(downloaded_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if first.rowcount == 1:
            _log_downloads(kit, user)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return link


def _log_downloads(kit: Kit, user) -> None:
    """One AssetDownload per file of the kit, under the terms it was built with; counted in SQL
    (concurrent downloads never lose an increment). Assets deleted since are left out."""
    if user.role != IKM:
        # The log is how creators learn which businesses use their work (the "who downloaded"
        # page, the weekly digest, the download count) and whom to tell when an asset's rights
        # end. Kits of other accounts are the office's own exports (a call's contributions):
        # logged, they would show as "(not a business account)" and send staff the businesses'
        # rights-ended mails. The single download logs everyone; kits only businesses.
        return
    files = [f for f in kit.files if f.get("asset_id")]
    existing = set(db.session.scalars(select(Asset.id).where(Asset.id.in_({f["asset_id"] for f in files}))))
    rows = [
        {
            "asset_id": f["asset_id"],
            "user_id": user.id,
            "business_name": user.business_name,
            "variant": f["variant"],
            "license": f.get("license"),
            "credit_line": f.get("credit_line"),
            "purpose": kit.purpose,
            "created_at": utcnow(),
        }
        for f in files
        if f["asset_id"] in existing
    ]
    if not rows:
        return
    db.session.execute(insert(AssetDownload), rows)
    counted: dict[int, int] = {}
    for row in rows:
        counted[row["asset_id"]] = counted.get(row["asset_id"], 0) + 1
    for asset_id, times in counted.items():
        db.session.execute(
            update(Asset)
            .where(Asset.id == asset_id)
            .values(download_count=Asset.download_count + times)
            .execution_options(synchronize_session=False)
        )
