"""HTTP side of the local backend: signed part uploads and signed file links.

With the S3 backend the browser talks to the bucket instead, and these routes answer 404.
"""

from __future__ import annotations

from flask import abort, make_response, request, send_file
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import RequestEntityTooLarge

from ..errors import error_response
from ..extensions import csrf
from . import bp, get_storage
from .base import UploadNotFound, content_disposition
from .local import LocalStorage, PartTooLarge

BAD_SIGNATURE = _l("This link has expired or is not valid. Reload the page and try again.")
PART_TOO_LARGE = _l("This part is larger than the file announced when the upload started.")
INLINE_TYPES = ("image/", "video/", "audio/")
NEVER_INLINE = {"image/svg+xml"}  # scripts inside would run with this site's rights
# Served files are data, never a page of this site: no scripts, no forms, nothing fetched.
FILE_CSP = "sandbox; default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'"


def _local_storage() -> LocalStorage:
    storage = get_storage()
    if not isinstance(storage, LocalStorage):
        abort(404)
    return storage


@bp.put("/uploads/local/<upload_id>/<int:part_number>")
@csrf.exempt
def upload_part(upload_id: str, part_number: int):
    """Take one part of a multipart upload, as S3 would: the signed URL is the authority."""
    storage = _local_storage()
    key = request.args.get("key", "")
    expires, signature = request.args.get("expires", ""), request.args.get("signature", "")
    max_bytes = storage.verify_part_url(
        upload_id, key, part_number, expires, request.args.get("max_bytes", ""), signature
    )
    if max_bytes is None:
        return error_response(403, BAD_SIGNATURE, error="bad_signature")
    # The signed URL carries the part's size from the declared file size (assets/quota.py):
    # a larger Content-Length is refused unread, and a body without one (chunked) stops at the
    # first byte too many, in write_part. Werkzeug's own limit is one byte higher: at exactly
    # its limit it refuses the next read, even when that read would find the body's end.
    request.max_content_length = max_bytes + 1
    if request.content_length is not None and request.content_length > max_bytes:
        return error_response(413, PART_TOO_LARGE, error="part_too_large")
    try:
        etag = storage.write_part(key, upload_id, part_number, request.stream, max_bytes=max_bytes)
    except UploadNotFound:
        return error_response(404, error="upload_not_found")
    except (PartTooLarge, RequestEntityTooLarge):
        return error_response(413, PART_TOO_LARGE, error="part_too_large")
    response = make_response("", 200)
    response.headers["ETag"] = f'"{etag}"'
    response.headers["Access-Control-Expose-Headers"] = "ETag"
    return response


@bp.get("/media/file/<token>")
def serve_file(token: str):
    """An object behind a signed, expiring link, with Range support (206) for video seeking."""
    storage = _local_storage()
    grant = storage.read_file_token(token)
    if grant is None:
        return error_response(403, BAD_SIGNATURE, error="bad_signature")
    try:
        path = storage.object_path(grant.key)
    except ValueError:
        abort(404)
    if not path.is_file():
        abort(404)
    mimetype = grant.content_type or "application/octet-stream"
    inline = grant.disposition == "inline" and mimetype.startswith(INLINE_TYPES) and mimetype not in NEVER_INLINE
    filename = grant.filename or grant.key.rsplit("/", 1)[-1]
    response = send_file(path, mimetype=mimetype, as_attachment=not inline, download_name=filename, conditional=True)
    response.headers["Content-Disposition"] = "inline" if inline else content_disposition("attachment", filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = FILE_CSP
    return response
