"""Write logic for assets: uploads, verification outcome, details, moderation, and the one
lookup with its permission (``get_asset``). Downloads are in ``downloads``; the processing
pipeline's writes in ``pipeline``."""

from __future__ import annotations

import logging
import uuid
from datetime import date

from flask import abort
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import audit
from ..database import utcnow
from ..extensions import db
from ..storage import ObjectInfo, StorageError, UploadNotFound, get_storage
from . import quota, rights, search
from .jobs import process_asset
from .models import (
    APPROVED,
    DRAFT,
    FAILED,
    PENDING_REVIEW,
    PROCESSING,
    REJECTED,
    REJECTED_FILE,
    REVIEWED_FIELDS,
    UPLOADING,
    VERIFYING,
    Asset,
    MultipartUpload,
)
from .pipeline import RETRYABLE_FAILURES, asset_key
from .renditions import make_web_rendition
from .signals import asset_reviewed
from .verify import inspect_object

log = logging.getLogger(__name__)

DETAIL_FIELDS = (
    "title", "description", "tags", "license", "credit", "consent", "regency", "venue", "community", "usable_until",
    "call",  # only an upload sets it (calls.with_presets), never an edit
)  # fmt: skip


def fingerprint_of(filename: str, size, last_modified) -> str | None:
    if size in (None, "") or last_modified in (None, ""):
        return None
    return f"{filename}|{size}|{last_modified}"[:300]


def find_resumable(owner_id: int, fingerprint: str | None) -> MultipartUpload | None:
    """The creator's unfinished upload of the same file (name, size, last-modified)."""
    if not fingerprint:
        return None
    return db.session.scalar(
        select(MultipartUpload)
        .where(
            MultipartUpload.owner_id == owner_id,
            MultipartUpload.fingerprint == fingerprint,
            MultipartUpload.finished_at.is_(None),
        )
        .order_by(MultipartUpload.created_at.desc())
    )


def start_upload(
    owner, filename: str, declared_type: str | None, details: dict, fingerprint: str | None, size: int, limit: int
):
    """Create the asset and its multipart upload of ``size`` declared bytes; returns
    (upload, resumed). Raises quota.UploadRefused when a new upload is not admitted."""
    existing = find_resumable(owner.id, fingerprint)
    if existing is not None:
        try:
            get_storage().list_parts(existing.key, existing.upload_id)
        except UploadNotFound:
            existing.finished_at = utcnow()  # aborted by cleanup meanwhile: start afresh
            db.session.commit()
        else:
            if existing.asset is not None and existing.asset.size_bytes is None:
                existing.asset.size_bytes = size  # started before sizes were recorded; same fingerprint, same size
                db.session.commit()
            return existing, True
    quota.admit_new_upload(owner.id, size, limit)
    asset = new_asset(owner, filename, declared_type, UPLOADING, details)
    asset.size_bytes = size  # the declared size, reserved in the quota until complete measures it
    upload_id = get_storage().create_multipart(asset.storage_key, declared_type or "application/octet-stream")
    upload = MultipartUpload(
        upload_id=upload_id, key=asset.storage_key, owner_id=owner.id, asset=asset, fingerprint=fingerprint
    )
    db.session.add(upload)
    db.session.commit()
    return upload, False


def new_asset(owner, filename: str, declared_type: str | None, status: str, details: dict) -> Asset:
    """A new asset of ``owner`` (in the session, not committed), its original under a
    generated key."""
    asset = Asset(
        uuid=uuid.uuid4().hex,
        owner=owner,
        community=owner.community,
        original_filename=filename[:255],
        declared_type=(declared_type or None) and declared_type[:120],
        status=status,
    )
    asset.storage_key = asset_key(asset, "original")
    db.session.add(asset)
    apply_details(asset, details)
    return asset


def apply_details(asset: Asset, details: dict) -> None:
    """Copy validated details (from AssetDetailsForm.cleaned()) onto the asset."""
    for name in DETAIL_FIELDS:
        if name in details:
            if name == "community" and details[name] is None:
                continue  # an asset always keeps a community: the creator's by default
            setattr(asset, name, details[name])
    if asset.status in (APPROVED, PENDING_REVIEW, DRAFT):
        search.index(asset)


def complete_upload(upload: MultipartUpload, parts: list[tuple[int, str]], details: dict | None = None) -> Asset:
    """Assemble the parts, then verify the stored object. A refused file is deleted at once.
    ``details`` (validated, as at start) replace those given when the upload started."""
    asset = upload.asset
    storage = get_storage()
    stored = storage.complete_multipart(upload.key, upload.upload_id, parts)
    upload.finished_at = utcnow()
    asset.status = VERIFYING
    apply_details(asset, details or {})
    db.session.commit()
    return verify_and_queue(asset, stored)


def verify_and_queue(asset: Asset, stored: ObjectInfo | None = None) -> Asset:
    """Verify the stored original (``stored``: what the store just said of it, if it did)."""
    try:
        verdict = inspect_object(asset, stored)
    except StorageError:
        discard_unstored(asset)
        raise
    if not verdict.ok:
        get_storage().delete(asset.storage_key)
        asset.status = REJECTED_FILE
        asset.problem_code, asset.problem_context = verdict.code, verdict.context
        asset.size_bytes = verdict.size
        db.session.commit()
        return asset
    asset.kind, asset.mime, asset.size_bytes = verdict.kind, verdict.mime, verdict.size
    asset.status = PROCESSING
    asset.problem_code, asset.problem_context = None, {}
    db.session.commit()
    process_asset(asset.id)
    db.session.refresh(asset)
    return asset


def abort_upload(upload: MultipartUpload) -> None:
    get_storage().abort_multipart(upload.key, upload.upload_id)
    upload.finished_at = utcnow()
    if upload.asset is not None and upload.asset.status == UPLOADING:
        db.session.delete(upload.asset)
    db.session.commit()


# What an edit did, for the page's message: saved (and live, if published), sent for review,
# still missing what review needs, or (a published asset) an edit waiting for review.
SAVED, SENT_FOR_REVIEW, DETAILS_NEEDED = "saved", "sent_for_review", "details_needed"
# A change waiting for review; with ``_AND_LIVE``, other changes of the same save are online.
EDIT_PENDING, EDIT_PENDING_AND_LIVE = "edit_pending", "edit_pending_and_live"


class DetailsRequired(Exception):
    """An edit would leave a published asset without what review needs: ``errors`` per field."""

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


class NoPendingEdit(Exception):
    """No edit of the caller's waits for review (decided or withdrawn meanwhile, or not theirs)."""


def _lock(asset: Asset) -> None:
    """Read the asset again under a row lock, so that an edit, its withdrawal and its review
    never interleave (PostgreSQL; on SQLite a POST already holds the write lock)."""
    db.session.refresh(asset, with_for_update=True)


def update_details(asset: Asset, details: dict, editor) -> str:
    """An edit by the owner or staff; returns what happened (SAVED, SENT_FOR_REVIEW, ...).

    A published asset stays published: see ``_edit_published``. A rejected one goes back to
    review when its owner changes it, a draft once its details are complete."""
    _lock(asset)
    if asset.status == APPROVED:
        return _edit_published(asset, details, editor)
    apply_details(asset, details)
    outcome = SAVED
    if asset.status == DRAFT and asset.details_complete:
        asset.status = PENDING_REVIEW
        asset.submitted_at = utcnow()
        outcome = SENT_FOR_REVIEW
    elif asset.status == REJECTED and editor.id == asset.owner_id:
        asset.status = PENDING_REVIEW if asset.details_complete else DRAFT
        asset.submitted_at = utcnow()
        asset.rejection_reason = None
        outcome = SENT_FOR_REVIEW if asset.status == PENDING_REVIEW else DETAILS_NEEDED
    elif asset.status == DRAFT:
        outcome = DETAILS_NEEDED
    else:
        reviewed = rights.republish(asset, editor)  # an expired asset given a new date
        if reviewed is not None:
            outcome = SENT_FOR_REVIEW if reviewed else SAVED
    search.index(asset)
    db.session.commit()
    return outcome


def _edit_published(asset: Asset, details: dict, editor) -> str:
    """The live version stays public. The owner's changes to REVIEWED_FIELDS become the pending
    edit (replacing the one waiting: fields not sent keep what it asked), the rest is live at
    once; staff edits apply at once (``Asset.edit_needs_review``)."""
    if not asset.edit_needs_review(editor):
        _require_complete({name: details.get(name, getattr(asset, name)) for name in REVIEWED_FIELDS})
        apply_details(asset, details)
        if asset.has_pending_edit:  # what staff set as the owner asked no longer waits
            _set_pending_edit(asset, {k: v for k, v in asset.pending_values.items() if v != getattr(asset, k)})
        db.session.commit()
        return SAVED
    asked = {name: getattr(asset, name) for name in REVIEWED_FIELDS}
    if asset.has_pending_edit:
        asked.update(asset.pending_values)
    asked.update({name: details[name] for name in REVIEWED_FIELDS if name in details})
    _require_complete(asked)
    # A shorter usage period only narrows the terms: live at once (rights.applies_at_once).
    at_once = {n for n in details if n in REVIEWED_FIELDS and rights.applies_at_once(asset, n, details[n])}
    live = {name: value for name, value in details.items() if name not in REVIEWED_FIELDS or name in at_once}
    went_live = any(
        getattr(asset, name) != value for name, value in live.items() if not (name == "community" and value is None)
    )
    apply_details(asset, live)
    pending = {name: value for name, value in asked.items() if value != getattr(asset, name)}
    _set_pending_edit(asset, pending)
    db.session.commit()
    if not pending:
        return SAVED
    return EDIT_PENDING_AND_LIVE if went_live else EDIT_PENDING


def _set_pending_edit(asset: Asset, pending: dict) -> None:
    """Keep ``pending`` as the edit waiting for review (none if empty). An unchanged edit keeps
    its place in the queue; a new one replaces the old, and the reason a former one was refused."""
    if pending == (asset.pending_values if asset.has_pending_edit else {}):
        return
    asset.set_pending_values(pending)
    asset.edit_submitted_at = utcnow() if pending else None
    if pending:
        asset.rejection_reason = None


def _require_complete(values: dict) -> None:
    """A published asset keeps a title, a licence and the consent (``Asset.details_complete``)."""
    errors = {}
    if not (values.get("title") or "").strip():
        errors["title"] = [_l("A published asset needs a title.")]
    if not values.get("license"):
        errors["license"] = [_l("A published asset needs a licence.")]
    if not values.get("consent"):
        errors["consent"] = [_l("A published asset needs this confirmation. To take it down, delete it.")]
    if errors:
        raise DetailsRequired(errors)


def withdraw_edit(asset: Asset, user) -> None:
    """The owner takes back their edit waiting for review; the live version was never touched."""
    _lock(asset)
    if not asset.edit_withdrawable_by(user):
        raise NoPendingEdit(asset.id)
    asset.pending_changes, asset.edit_submitted_at = None, None
    db.session.commit()


class NotWaitingForReview(Exception):
    """The asset is not (or no longer) waiting for review, or the actor does not review: the
    page says someone else decided it, the API answers 409."""


class EditChanged(NotWaitingForReview):
    """The decision is not about the edit waiting: the owner replaced or withdrew the one the
    reviewer saw, or made one after the reviewer's page was opened. ``message`` says which."""

    def __init__(self, status: str, *, unseen: bool = False):
        super().__init__(status)
        self.message = (
            _l("A change to this published asset is waiting that you have not seen yet. Look at it before you decide.")
            if unseen
            else _l("The creator replaced or withdrew this change meanwhile. Check it again.")
        )


def _require_reviewable(asset: Asset, staff, edit_version: str | None) -> dict | None:
    """Lock and check the asset; the pending edit being decided as {field: [live, new]}."""
    _lock(asset)
    if not asset.reviewable_by(staff):
        raise NotWaitingForReview(asset.status)
    if not asset.has_pending_edit:
        return None
    # Only the edit the reviewer saw is decided: a decision that names none (its page was opened
    # before the owner made this edit) is refused like one naming an older edit.
    if edit_version != asset.pending_edit_version:
        raise EditChanged(asset.status, unseen=not edit_version)
    return {name: [old, new] for name, old, new in asset.pending_edit}


def _as_json(edit: dict) -> dict:
    """The decided edit as the audit log's JSON keeps it (a usable-until date as ISO text)."""
    return {name: [v.isoformat() if isinstance(v, date) else v for v in pair] for name, pair in edit.items()}


def _close_edit(asset: Asset) -> None:
    asset.pending_changes, asset.edit_submitted_at = None, None


def approve(asset: Asset, staff, *, edit_version: str | None = None) -> None:
    """Publish an asset waiting for review, or apply a published asset's pending edit
    (``edit_version``: the one the reviewer saw; required when an edit waits)."""
    edit = _require_reviewable(asset, staff, edit_version)
    if edit is not None:
        for name, (_live, new) in edit.items():
            setattr(asset, name, new)
        _close_edit(asset)
    asset.status = APPROVED
    asset.reviewed_by_id, asset.reviewed_at = staff.id, utcnow()
    asset.approved_at = asset.approved_at or asset.reviewed_at
    asset.rejection_reason = None
    audit.record(staff, "asset.approve", asset, **({"edit": _as_json(edit)} if edit else {}))
    search.index(asset)
    asset_reviewed.send(asset, action="approved", actor=staff, reason=None, edit=edit is not None)
    db.session.commit()


def reject(asset: Asset, staff, reason: str, *, edit_version: str | None = None) -> None:
    """Refuse an asset waiting for review, or discard a published asset's pending edit: the
    live version stays public and its owner sees ``reason``."""
    edit = _require_reviewable(asset, staff, edit_version)
    if edit is not None:
        _close_edit(asset)
    else:
        asset.status = REJECTED
    asset.rejection_reason = reason
    asset.reviewed_by_id, asset.reviewed_at = staff.id, utcnow()
    audit.record(staff, "asset.reject", asset, reason=reason, **({"edit": _as_json(edit)} if edit else {}))
    search.index(asset)
    asset_reviewed.send(asset, action="rejected", actor=staff, reason=reason, edit=edit is not None)
    db.session.commit()


def delete_asset(asset: Asset, actor) -> None:
    """Remove the asset and every object under its prefix (original and renditions)."""
    uploads = db.session.scalars(
        select(MultipartUpload).where(MultipartUpload.asset_id == asset.id, MultipartUpload.finished_at.is_(None))
    )
    storage = get_storage()
    for upload in uploads:
        storage.abort_multipart(upload.key, upload.upload_id)
        upload.finished_at = utcnow()
    storage.delete_prefix(f"assets/{asset.uuid}/")
    rights.delete_release_files(asset)
    audit.record(actor, "asset.delete", asset, title=asset.title)
    search.remove(asset)
    db.session.delete(asset)
    db.session.commit()


def retryable(asset: Asset) -> bool:
    if asset.kind is None:
        return False
    return asset.status == PROCESSING or (asset.status == FAILED and asset.problem_code in RETRYABLE_FAILURES)


def reprocess(asset: Asset) -> None:
    """Process a failed or stuck asset again; for processed video or audio without a web
    rendition, make only that rendition (its status, and so its publication, stay as they are)."""
    if asset.needs_web_rendition:
        asset_id = asset.id  # read before the commit expires it: reading it again would begin anew
        db.session.commit()  # hold no transaction while the job (inline in tests) writes the row
        make_web_rendition(asset_id)
        return
    if not retryable(asset):
        raise ValueError(f"asset {asset.id} is {asset.status}; only processing or failed assets are reprocessed")
    asset.status = PROCESSING
    asset.problem_code, asset.problem_context, asset.problem_detail = None, {}, None
    db.session.commit()
    process_asset(asset.id)


def store_simple_upload(owner, filename: str, declared_type: str | None, stream, details: dict) -> Asset:
    """The plain HTML upload: store the received file under a generated key, then verify it
    exactly as a multipart upload is verified."""
    asset = new_asset(owner, filename, declared_type, VERIFYING, details)
    db.session.commit()
    try:
        get_storage().put(asset.storage_key, stream, declared_type or "application/octet-stream")
    except StorageError:
        discard_unstored(asset)
        raise
    return verify_and_queue(asset)


def discard_unstored(asset: Asset) -> None:
    """The store failed (full, unreachable) while taking or checking a new file: remove the
    asset, so nothing waits in ``verifying`` for ever, and what reached the store if it can
    be removed now. Objects left behind belong to no asset and go in the next cleanup."""
    db.session.rollback()
    try:
        get_storage().delete(asset.storage_key)
    except StorageError as exc:
        log.warning("asset %s: partial original left for cleanup: %s", asset.uuid, exc)
    db.session.delete(asset)
    db.session.commit()


def get_asset(asset_id: int, user, *, manage: bool = False) -> Asset:
    """The asset for ``user`` (flaskr's ``get_post``): a 404 when it does not exist or when
    ``user`` may not see it (``Asset.visible_to``), or, with ``manage``, may not manage it
    (``Asset.managed_by``), so that nobody learns what exists."""
    asset = db.session.get(Asset, asset_id)
    if asset is None or not (asset.managed_by(user) if manage else asset.visible_to(user)):
        abort(404)
    return asset


def get_upload(upload_id: str, key: str, user) -> MultipartUpload:
    """The unfinished upload ``user`` started, named by its id and object key together; 404
    for anyone else's, a finished one or a wrong key."""
    upload = db.session.scalar(select(MultipartUpload).where(MultipartUpload.upload_id == upload_id))
    if upload is None or upload.owner_id != user.id or upload.key != key or upload.finished_at is not None:
        abort(404)
    return upload
