"""Uppy's S3 multipart contract, served by the app, and the plain-form upload.

With the S3 backend the part URLs are presigned for the bucket and the bytes never touch the
app; with the local backend they point back at the app (see koin_media/storage/routes.py).
Creators only, by session (with CSRF) or bearer token; an upload belongs to whoever started it
and is a 404 to anyone else.
"""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..access import roles_required
from ..accounts.email_links import email_verified_required
from ..errors import error_response
from ..extensions import db
from ..json_bodies import form_from_json, json_body
from ..localtime import expires_at
from ..roles import CREATOR
from ..storage import InvalidPart, UploadNotFound, get_storage
from . import bp, calls, duplicates, services
from .forms import AssetDetailsForm, SimpleUploadForm
from .links import thumbnails
from .models import REJECTED_FILE, SETTLING, STATUS_LABELS, Asset
from .problems import describe
from .quota import UploadRefused, part_allowance
from .verify import kind_limit, precheck

MAX_PART_NUMBER = 10_000
MAX_STATUS_IDS = 50


def refused(code: str, context: dict | None = None, status: int = 422, **extra):
    return error_response(status, describe(code, **(context or {})), error="file_refused", reason=code, **extra)


def refused_upload(error: UploadRefused):
    return refused(error.refusal.code, error.refusal.context, error.refusal.status)


def call_refused(refusal: calls.CallRefused):
    errors = {"errors": {refusal.field: [str(refusal.message)]}} if refusal.field else {}
    return error_response(refusal.status, refusal.message, error=refusal.code, **errors)


def _named_call(metadata: dict, started: calls.Call | None = None) -> calls.Call | None:
    """The call ``metadata.call`` names (None: none), as calls.for_upload judges it."""
    slug = metadata.get("call")
    return None if slug in (None, "") else calls.for_upload(slug, started, current_user)


def _metadata(body: dict) -> dict:
    metadata = body.get("metadata")
    return metadata if isinstance(metadata, dict) else {}


def details_from(metadata: dict) -> dict:
    """The valid details among the metadata sent; invalid ones are left for the edit page."""
    form = form_from_json(AssetDetailsForm, metadata).load_choices()
    form.validate()
    sent = {name for name in metadata if name not in form.errors}
    return form.submitted_cleaned(sent)


def _size(metadata: dict) -> int | None:
    """The declared size in bytes: a whole number (as JSON or as digits), else None (refused).
    Not ``true`` (a bool is an int in Python), not a fraction, not ``1e999`` (infinity)."""
    raw = metadata.get("size")
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit():
        return int(raw.strip())
    return None


@bp.post("/uploads/s3/multipart")
@roles_required(CREATOR)
@email_verified_required
def create_multipart():
    body = json_body()
    filename = str(body.get("filename") or "").strip()
    if not filename:
        return error_response(422, _("The file has no name."), errors={"filename": [_("The file has no name.")]})
    metadata = _metadata(body)
    size = _size(metadata)
    if size is None or size < 0:
        # Every byte limit (part plan, kind, quota) is counted from the declared size.
        message = _("Send the file's size in bytes (metadata.size).")
        return error_response(422, message, errors={"size": [message]})
    verdict = precheck(filename)
    if not verdict.ok:
        return refused(verdict.code, verdict.context)
    fingerprint = services.fingerprint_of(filename, size, metadata.get("lastModified"))
    # Resuming an upload started into a call in time goes on after its deadline, as complete does.
    resumable = services.find_resumable(current_user.id, fingerprint)
    try:
        call = _named_call(metadata, resumable.asset.call if resumable and resumable.asset else None)
    except calls.CallRefused as refusal:
        return call_refused(refusal)
    details = details_from(metadata)
    if call is not None:
        details = calls.with_presets(call, details)
    try:
        upload, resumed = services.start_upload(
            current_user,
            filename,
            str(body.get("type") or "") or None,
            details,
            fingerprint,
            size,
            kind_limit(filename),
        )
    except UploadRefused as refusal:
        db.session.rollback()
        return refused_upload(refusal)
    return jsonify(key=upload.key, uploadId=upload.upload_id, resumed=resumed, asset_id=upload.asset_id)


@bp.get("/uploads/s3/multipart/<upload_id>/<int:part_number>")
@roles_required(CREATOR)
def sign_part(upload_id, part_number):
    upload = services.get_upload(upload_id, request.args.get("key", ""), current_user)
    if not 1 <= part_number <= MAX_PART_NUMBER:
        return error_response(400, _("Part numbers go from 1 to %(max)d.", max=MAX_PART_NUMBER))
    if upload.asset is None:
        abort(404)
    try:
        size = part_allowance(upload.asset, part_number, kind_limit(upload.asset.original_filename))
    except UploadRefused as refusal:
        return refused_upload(refusal)
    # A down store is a 503 with a message here, not a network error at the bucket that CORS hides.
    # Asked when an upload starts (part 1; a resumed one asks ListParts first), not for every
    # part: a round trip to the store per part made signing twice as slow (bench/upload_s3.py).
    if part_number == 1:
        get_storage().check_upload(upload.key, upload.upload_id)
    url, expires = get_storage().sign_part(upload.key, upload.upload_id, part_number, size=size)
    # ``expires`` (seconds) is Uppy's field: its request timeout for the PUT. ``expires_at`` is the
    # instant, as every other expiry of the API states it.
    return jsonify(url=url, expires=expires, expires_at=expires_at(expires), size=size)


@bp.get("/uploads/s3/multipart/<upload_id>")
@roles_required(CREATOR)
def list_parts(upload_id):
    upload = services.get_upload(upload_id, request.args.get("key", ""), current_user)
    try:
        parts = get_storage().list_parts(upload.key, upload.upload_id)
    except UploadNotFound:
        abort(404)
    return jsonify([{"PartNumber": p.part_number, "Size": p.size, "ETag": p.etag} for p in parts])


def _parts(body: dict) -> list[tuple[int, str]] | None:
    parts = body.get("parts")
    if not isinstance(parts, list) or not parts:
        return None
    cleaned = []
    for part in parts:
        if not isinstance(part, dict):
            return None
        number, etag = part.get("PartNumber"), part.get("ETag")
        if not isinstance(number, int) or isinstance(number, bool) or not isinstance(etag, str) or not etag:
            return None
        cleaned.append((number, etag))
    return sorted(cleaned)


@bp.post("/uploads/s3/multipart/<upload_id>/complete")
@roles_required(CREATOR)
def complete_multipart(upload_id):
    upload = services.get_upload(upload_id, request.args.get("key", ""), current_user)
    body = json_body()
    parts = _parts(body)
    if parts is None:
        return error_response(400, _("Send the parts as a list of {PartNumber, ETag}."))
    details = details_from(_metadata(body))
    started = upload.asset.call if upload.asset is not None else None
    try:
        # An upload started into a call may finish into it after the deadline; naming another is
        # judged afresh. The call's presets fill what the details sent now leave empty.
        call = _named_call(_metadata(body), started) or started
    except calls.CallRefused as refusal:
        return call_refused(refusal)
    if call is not None:
        details = calls.with_presets(call, details, upload.asset)
    try:
        # The details as they stand when the last byte is in: a creator fills them in while a
        # large file uploads, and a resumed upload was created with an earlier page's details.
        asset = services.complete_upload(upload, parts, details)
    except (InvalidPart, UploadNotFound):
        db.session.rollback()
        return refused("incomplete")
    if asset.status == REJECTED_FILE:
        return refused(asset.problem_code, asset.problem_context, asset_id=asset.id)
    storage = get_storage()
    asset_url = url_for("assets.show", asset_id=asset.id, _external=True)
    return jsonify(
        location=asset_url,
        key=upload.key,
        bucket=getattr(storage, "bucket", storage.name),
        asset_id=asset.id,
        asset_url=asset_url,
        status=asset.status,
        # What the uploader tells the creator: "Lengkapi rincian" only when review still lacks
        # something (the same rule that sends it to review or leaves it a draft), and what.
        details_complete=asset.details_complete,
        missing_details=asset.missing_details,
        call=asset.call.slug if asset.call is not None else None,
    )


@bp.delete("/uploads/s3/multipart/<upload_id>")
@roles_required(CREATOR)
def abort_multipart(upload_id):
    upload = services.get_upload(upload_id, request.args.get("key", ""), current_user)
    services.abort_upload(upload)
    return "", 204


def _upload_page(form: SimpleUploadForm, status: int = 200, call: calls.Call | None = None):
    """The uploader page: the batch details (set once for every file), the per-file sheet, both
    forms built from AssetDetailsForm so their fields, choices and labels are the edit page's;
    and the plain form, ``form``. Into a ``call``, the batch starts from its presets."""
    batch = AssetDetailsForm(prefix="batch", formdata=None).load_choices()
    one = AssetDetailsForm(prefix="file", formdata=None).load_choices()
    if current_user.community:
        batch.community.data = current_user.community.slug
    if call is not None:
        for name, value in calls.preset_details(call).items():
            batch[name].data = value
    page = render_template("assets/upload.html", form=form, batch=batch, one=one, storage=get_storage(), call=call)
    return page, status


def _page_call() -> calls.Call | None:
    """The call of ``/upload?call=<slug>`` (404 unknown, CallRefused when it takes no uploads)."""
    slug = request.args.get("call")
    return None if not slug else calls.for_upload(slug, user=current_user)


@bp.get("/upload")
@roles_required(CREATOR)
def upload_page():
    try:
        call = _page_call()
    except calls.CallRefused as refusal:
        return call_refused(refusal)
    form = SimpleUploadForm().load_choices()
    if current_user.community:
        form.community.data = current_user.community.slug
    for name, value in (calls.preset_details(call) if call is not None else {}).items():
        form[name].data = value
    return _upload_page(form, call=call)


@bp.post("/upload")
@roles_required(CREATOR)
@email_verified_required
def upload_simple():
    """The no-JavaScript path: Werkzeug spools the file to disk as it arrives, and it is
    copied to storage in chunks, so memory stays flat. Into a call: ``?call=<slug>``."""
    try:
        call = _page_call()
    except calls.CallRefused as refusal:
        return call_refused(refusal)
    form = SimpleUploadForm().load_choices()
    if not form.validate_on_submit():
        return _upload_page(form, 422, call)
    file = form.file.data
    filename = file.filename or "upload"
    verdict = precheck(filename)
    if not verdict.ok:
        form.file.errors.append(describe(verdict.code, **verdict.context))
        return _upload_page(form, 422, call)
    details = calls.with_presets(call, form.cleaned()) if call is not None else form.cleaned()
    asset = services.store_simple_upload(current_user, filename, file.mimetype, file.stream, details)
    if asset.status == REJECTED_FILE:
        form.file.errors.append(asset.problem_message)
        return _upload_page(form, 422, call)
    flash(_("Upload received. We are processing it now."), "success")
    return redirect(url_for("assets.edit", asset_id=asset.id))


@bp.get("/my/assets/status")
@roles_required(CREATOR)
def upload_status():
    """Where the creator's assets stand now (``?ids=1,2,3``), for My uploads to refresh the rows
    still being checked or processed without reloading the page. An id the caller does not
    manage (``Asset.managed_by``) or that does not exist makes it a 404, like its page."""
    raw = request.args.get("ids", "")
    # Ids as the database holds them: ASCII digits, short enough for a 64-bit column.
    ids = {int(part) for part in raw.split(",") if part.isascii() and part.isdigit() and len(part) <= 12}
    if not ids or len(ids) > MAX_STATUS_IDS:
        message = _("Name between 1 and %(max)d of your assets, e.g. ids=1,2,3.", max=MAX_STATUS_IDS)
        return error_response(400, message)
    assets = db.session.scalars(select(Asset).where(Asset.id.in_(ids))).all()
    if len(assets) != len(ids) or not all(asset.managed_by(current_user) for asset in assets):
        return error_response(404)
    thumbs = thumbnails(assets)
    warnings = duplicates.warnings_for(assets, current_user)
    return jsonify(
        assets=[
            {
                "id": asset.id,
                "status": asset.status,
                "status_label": str(STATUS_LABELS[asset.status]),
                "settling": asset.status in SETTLING,
                "details_complete": asset.details_complete,
                "problem": asset.problem_message,
                "thumb": thumbs.get(asset.id),
                # What processing found it duplicates (known once it settled), as the page says it.
                "duplicates": [warning.as_json() for warning in warnings.get(asset.id, [])],
            }
            for asset in sorted(assets, key=lambda a: a.id)
        ]
    )
