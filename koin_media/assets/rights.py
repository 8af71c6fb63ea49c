"""Usage rights that end: the usable-until date and the consent or model-release document.

The rules, in one place:

- ``Asset.usage_ended`` (models.py): the asset's last usable day in WITA is over. From that
  moment ``is_public`` and ``downloadable_by`` say no, so single downloads, kits, collections
  and the asset's page stop at once, before any job has run.
- ``expire_ended`` (run by the hourly job in ``rights_jobs``, the first run of a WITA day at
  00:05) moves such assets to EXPIRED, which ends every cached catalogue page (pagecache), and
  tells the owner and every user who downloaded it (``assets.signals.rights_ended``).
- ``warn_before`` tells the owner and staff RIGHTS_WARNING_DAYS ahead, once per asset and date.
- A new date must not be in the past (``date_refused``); on a published asset a shorter period
  applies at once (``applies_at_once``), a longer one or none waits for review (REVIEWED_FIELDS).
- The release document is stored through the app under a private prefix, sniffed, bounded, and
  handed out only to those who manage the asset by a short signed attachment link.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from .. import audit
from ..database import utcnow
from ..extensions import db
from ..localtime import LOCAL, local_today
from ..media.sniff import JPEG, PDF, PNG, SNIFF_BYTES, sniff
from ..roles import STAFF
from ..storage import get_storage
from ..storage.base import safe_filename
from .models import APPROVED, EXPIRED, PENDING_REVIEW, Asset, AssetDownload
from .signals import rights_ended, rights_ending

RELEASE_PREFIX = "private/releases/"
RELEASE_FORMATS = {f.mime: f for f in (PDF, JPEG, PNG)}
# A signed link to the release document lives this long at most: it is opened at once.
RELEASE_LINK_SECONDS = 300


def today_at(now: datetime | None = None) -> date:
    """The WITA day of ``now`` (default: the current one)."""
    return now.astimezone(LOCAL).date() if now is not None else local_today()


# --- the date --------------------------------------------------------------------------------

PAST_DATE = _l("Choose today or a later day: a usage period cannot end in the past.")


def date_refused(value: date | None, kept: date | None = None) -> str | None:
    """Why ``value`` cannot be set as a usable-until date, or None. The date an asset already
    has (``kept``) may stay even when it has passed, so an expired asset's other details can
    still be edited."""
    if value is None or value == kept or value >= local_today():
        return None
    return PAST_DATE


def applies_at_once(asset: Asset, name: str, value) -> bool:
    """Whether the owner's change of reviewed field ``name`` to ``value`` goes live without
    review: only a usable-until date that ends the period sooner, which narrows the terms
    businesses rely on and never widens them."""
    if name != "usable_until" or value is None:
        return False
    return asset.usable_until is None or value < asset.usable_until


def republish(asset: Asset, editor) -> bool | None:
    """An expired asset given a date that has not passed (or none): staff's edit is the review
    itself and publishes it again (False: live); the owner's sends it to review (True). None
    when it stays expired."""
    if asset.status != EXPIRED or asset.usage_ended:
        return None
    if editor is not None and editor.has_role(STAFF):
        asset.status = APPROVED
        asset.reviewed_by_id, asset.reviewed_at = editor.id, utcnow()
        audit.record(editor, "asset.republish", asset, usable_until=_iso(asset.usable_until))
        return False
    asset.status = PENDING_REVIEW
    asset.submitted_at = utcnow()
    return True


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


# --- the jobs --------------------------------------------------------------------------------


def expire_ended(now: datetime | None = None) -> list[int]:
    """Move every published asset whose usable-until day is over to EXPIRED, one transaction
    each, telling its owner and those who downloaded it; returns their ids. Safe when two
    workers run it at once: the row is locked (PostgreSQL) or the write lock held (SQLite's
    BEGIN IMMEDIATE in jobs) and the state read again before it changes."""
    today = today_at(now)
    ids = db.session.scalars(
        select(Asset.id).where(Asset.status == APPROVED, Asset.usable_until < today).order_by(Asset.id)
    ).all()
    db.session.rollback()
    expired = []
    for asset_id in ids:
        asset = db.session.scalar(
            select(Asset).where(Asset.id == asset_id).with_for_update().execution_options(populate_existing=True)
        )
        if asset is None or asset.status != APPROVED or asset.usable_until is None or asset.usable_until >= today:
            db.session.rollback()
            continue  # expired by another worker, given a new date, or deleted meanwhile
        asset.status = EXPIRED
        audit.record(None, "asset.expire", asset, usable_until=_iso(asset.usable_until))
        rights_ended.send(asset, ended_on=asset.usable_until, downloaders=downloaders(asset))
        db.session.commit()
        expired.append(asset_id)
    return expired


def warn_before(now: datetime | None = None) -> list[int]:
    """Warn the owner and staff of each published asset whose usage ends within
    RIGHTS_WARNING_DAYS, once per asset and date: ``expiry_warned_at`` is claimed by one
    conditional UPDATE that names the date seen, so a second worker (or a changed date) finds
    nothing to claim. The claim commits with the warning's mail and notice."""
    now = now or utcnow()
    today = today_at(now)
    last = today + timedelta(days=current_app.config["RIGHTS_WARNING_DAYS"])
    rows = db.session.execute(
        select(Asset.id, Asset.usable_until)
        .where(
            Asset.status == APPROVED,
            Asset.usable_until >= today,
            Asset.usable_until <= last,
            Asset.expiry_warned_at.is_(None),
        )
        .order_by(Asset.usable_until, Asset.id)
    ).all()
    db.session.rollback()
    warned = []
    for asset_id, until in rows:
        claimed = db.session.execute(
            update(Asset)
            .where(Asset.id == asset_id, Asset.usable_until == until, Asset.expiry_warned_at.is_(None))
            .values(expiry_warned_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            db.session.rollback()
            continue
        asset = db.session.get(Asset, asset_id)
        rights_ending.send(asset, ends_on=until)
        db.session.commit()
        warned.append(asset_id)
    return warned


def downloaders(asset: Asset) -> list[int]:
    """Ids of the users (businesses) who downloaded ``asset``, each once, its owner left out."""
    return list(
        db.session.scalars(
            select(AssetDownload.user_id)
            .where(
                AssetDownload.asset_id == asset.id,
                AssetDownload.user_id.is_not(None),
                AssetDownload.user_id != asset.owner_id,
            )
            .distinct()
            .order_by(AssetDownload.user_id)
        )
    )


# --- the release document ----------------------------------------------------------------------


class ReleaseRefused(Exception):
    """A release document that is not taken: ``message`` says why, in the reader's language."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def max_release_bytes() -> int:
    return current_app.config["RELEASE_MAX_BYTES"]


def store_release(asset: Asset, stream, filename: str | None, actor) -> None:
    """Check and keep ``stream`` as the asset's release document, replacing any earlier one:
    PDF, JPEG or PNG by its first bytes (never its name or declared type), at most
    RELEASE_MAX_BYTES. Stored under a new private key; the old object goes after the commit."""
    limit = max_release_bytes()
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    if size == 0:
        raise ReleaseRefused(_l("The document is empty."))
    if size > limit:
        raise ReleaseRefused(_l("The document is too large: at most %(mb)d MB.", mb=max(limit // (1024 * 1024), 1)))
    found = sniff(stream.read(SNIFF_BYTES))
    stream.seek(0)
    if found is None or found.mime not in RELEASE_FORMATS:
        raise ReleaseRefused(_l("The document must be a PDF, JPEG or PNG file."))
    storage = get_storage()
    old_key = asset.release_key
    key = f"{RELEASE_PREFIX}{asset.uuid}/{uuid.uuid4().hex}.{found.extensions[0]}"
    storage.put(key, stream, found.mime)
    asset.release_key, asset.release_mime, asset.release_size = key, found.mime, size
    asset.release_filename = _release_name(filename, found)
    audit.record(actor, "asset.release.store", asset, size=size, mime=found.mime)
    db.session.commit()
    if old_key and old_key != key:
        storage.delete(old_key)


def _release_name(filename: str | None, found) -> str:
    stem = safe_filename(filename or "").rsplit(".", 1)[0].strip()[:120] or "persetujuan"
    return f"{stem}.{found.extensions[0]}"


def remove_release(asset: Asset, actor) -> None:
    """Forget the release document and delete its object (after the commit)."""
    key = asset.release_key
    if key is None:
        return
    asset.release_key = asset.release_filename = asset.release_mime = None
    asset.release_size = None
    audit.record(actor, "asset.release.remove", asset)
    db.session.commit()
    get_storage().delete(key)


def delete_release_files(asset: Asset) -> None:
    """Every release object of ``asset`` (deleting the asset deletes them too)."""
    get_storage().delete_prefix(f"{RELEASE_PREFIX}{asset.uuid}/")


def release_link(asset: Asset) -> tuple[str, int]:
    """A short signed link that downloads the release document as an attachment. The caller
    has checked ``Asset.managed_by``."""
    return get_storage().download_url(
        asset.release_key, asset.release_filename or "persetujuan", asset.release_mime, RELEASE_LINK_SECONDS
    )
