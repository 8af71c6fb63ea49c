"""The consent/model-release document of an asset: upload (a plain POST: it is small), a short
signed download link, removal. Only those who manage the asset (``Asset.managed_by``: its owner
and staff) reach it; for anyone else, signed in or not, it does not exist (404)."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import wants_json
from ..errors import error_response
from . import bp, rights, services


@bp.get("/assets/<int:asset_id>/release")
def release(asset_id):
    asset = services.get_asset(asset_id, current_user, manage=True)
    if asset.release_key is None:
        abort(404)
    url, _seconds = rights.release_link(asset)
    response = redirect(url, 303)
    response.headers["Cache-Control"] = "no-store"  # a signed link for this person only
    return response


@bp.post("/assets/<int:asset_id>/release")
def upload_release(asset_id):
    asset = services.get_asset(asset_id, current_user, manage=True)
    file = request.files.get("release")
    try:
        if file is None or not file.filename:
            raise rights.ReleaseRefused(_("Choose the document to upload."))
        rights.store_release(asset, file.stream, file.filename, current_user)
    except rights.ReleaseRefused as refused:
        if wants_json():  # the uploader page attaches the batch's document to each new asset
            return error_response(422, refused.message, error="release_refused")
        flash(str(refused.message), "error")
        return redirect(url_for("assets.edit", asset_id=asset.id, _anchor="rights"), 303)
    if wants_json():
        return jsonify(asset_id=asset.id, filename=asset.release_filename, size=asset.release_size)
    flash(_("The consent document is stored. Only you and the office can open it."), "success")
    return redirect(url_for("assets.edit", asset_id=asset.id, _anchor="rights"), 303)


@bp.post("/assets/<int:asset_id>/release/delete")
def delete_release(asset_id):
    asset = services.get_asset(asset_id, current_user, manage=True)
    rights.remove_release(asset, current_user)
    flash(_("The consent document is removed."), "info")
    return redirect(url_for("assets.edit", asset_id=asset.id, _anchor="rights"), 303)
