"""``/api/v1`` promo kits: ask for a collection's kit, list and read one's kits, download one.
The same services as the pages (promo/kits.py); someone else's kit or collection is a 404."""

from __future__ import annotations

from flask import jsonify, url_for
from flask_login import current_user

from ..access import login_required
from ..errors import error_response
from ..json_bodies import json_body
from ..localtime import expires_at, iso_utc
from ..promo.collections import get_collection
from ..promo.kit_credits import skip_text
from ..promo.kits import (
    KitRefused,
    download_kit,
    get_kit_or_404,
    is_downloadable,
    kits_of,
    problem_text,
    request_collection_kit,
)
from ..promo.models import Kit
from . import bp
from .helpers import json_true, paginated


def kit_json(kit: Kit) -> dict:
    ready = is_downloadable(kit)
    return {
        "token": kit.token,
        "title": kit.title,
        "status": kit.status,
        "purpose": kit.purpose,
        "collection_id": kit.collection_id,
        "size_bytes": kit.size_bytes,
        "file_count": kit.file_count,
        "files": [
            {"name": f["name"], "asset_id": f["asset_id"], "variant": f["variant"], "size_bytes": f["size_bytes"]}
            for f in kit.files
        ],
        "skipped": [
            {"asset_id": s["asset_id"], "title": s["title"], "reason": s["reason"], "text": skip_text(s["reason"])}
            for s in kit.skipped
        ],
        "problem": problem_text(kit),
        "created_at": iso_utc(kit.created_at),
        "finished_at": iso_utc(kit.finished_at),
        "expires_at": iso_utc(kit.expires_at),
        "downloaded_at": iso_utc(kit.downloaded_at),
        "links": {
            "page": url_for("promo.kit_page", token=kit.token, _external=True),
            "download": url_for("api.kit_download", token=kit.token, _external=True) if ready else None,
        },
    }


def refused(error: KitRefused):
    extra = {"errors": {error.field: [str(error.message)]}} if error.field else {}
    return error_response(error.status, error.message, error=error.code, **extra)


@bp.post("/collections/<int:collection_id>/kit")
@login_required
def collection_kit(collection_id):
    data = json_body()
    collection = get_collection(collection_id, current_user)
    purpose = data.get("purpose")
    try:
        kit = request_collection_kit(
            collection,
            current_user,
            purpose if isinstance(purpose, str) else "",
            license_accepted=json_true(data, "accept_license"),
        )
    except KitRefused as error:
        return refused(error)
    response = jsonify(kit_json(kit))
    response.status_code = 202
    response.headers["Location"] = url_for("api.kit", token=kit.token, _external=True)
    return response


@bp.get("/kits")
@login_required
def kits():
    return paginated(kits_of(current_user), kit_json)


@bp.get("/kits/<token>")
@login_required
def kit(token):
    return jsonify(kit_json(get_kit_or_404(token, current_user)))


@bp.post("/kits/<token>/download")
@login_required
def kit_download(token):
    json_body()  # no fields, but a body that is not a JSON object is refused as everywhere
    kit = get_kit_or_404(token, current_user)
    try:
        url, expires_in = download_kit(kit, current_user)
    except KitRefused as error:
        return refused(error)
    return jsonify({"url": url, "expires_in": expires_in, "expires_at": expires_at(expires_in)})
