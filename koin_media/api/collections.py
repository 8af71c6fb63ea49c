"""``/api/v1/collections``: the collection pages as JSON, for the signed-in owner (bearer token
or session). The rules are ``promo.collections``': another account's collection is a 404, a
refusal a 409 or 422 ``{"error", "message"}`` in the caller's language."""

from __future__ import annotations

from flask import jsonify, url_for
from flask_login import current_user

from ..access import login_required
from ..assets.links import inline_url
from ..assets.services import get_asset
from ..errors import error_response
from ..json_bodies import form_from_json, json_body
from ..localtime import iso_utc
from ..promo import collections as rules
from ..promo.collection_forms import AddItemForm, CollectionNameForm
from ..sitelinks import site_link
from . import bp
from .helpers import list_envelope, validation_error


def collection_json(collection, count: int | None = None, items: list | None = None) -> dict:
    """A collection; with ``items`` (its visible ones) the whole of it, ``item_count`` theirs."""
    data = {
        "id": collection.id,
        "name": collection.name,
        "item_count": len(items) if items is not None else count,
        "shared": collection.share_token is not None,
        "share_url": site_link("promo.shared", token=collection.share_token) if collection.share_token else None,
        "url": url_for("promo.collection", collection_id=collection.id, _external=True),
        "created_at": iso_utc(collection.created_at),
        "updated_at": iso_utc(collection.updated_at),
    }
    if items is not None:
        data["items"] = [item_json(item) for item in items]
    return data


def item_json(item) -> dict:
    asset = item.asset
    return {
        "id": item.id,
        "asset_id": asset.id,
        "title": asset.title,
        "kind": asset.kind,
        "license": asset.license,
        "credit_line": asset.credit_line,
        "variant": item.variant,
        "variants": [variant for variant, _label, _size in rules.variant_choices(asset)],
        "asset_url": url_for("assets.show", asset_id=asset.id, _external=True),
        "thumbnail": inline_url(asset.thumb_key, "image/jpeg") if asset.thumb_key else None,
        "added_at": iso_utc(item.added_at),
    }


def _whole(collection):
    return collection_json(collection, items=rules.visible_items(collection))


def _refusal(refused: rules.CollectionRefused):
    if refused.field:
        return error_response(
            refused.status, refused.message, error=refused.code, errors={refused.field: [str(refused.message)]}
        )
    return error_response(refused.status, refused.message, error=refused.code)


@bp.get("/collections")
@login_required
def collections():
    rows = rules.collections_of(current_user)
    return jsonify(list_envelope([collection_json(collection, count) for collection, count in rows]))


@bp.post("/collections")
@login_required
def create_collection():
    form = form_from_json(CollectionNameForm, json_body())
    if not form.validate():
        return validation_error(form)
    try:
        collection = rules.create_collection(current_user, form.name.data)
    except rules.CollectionRefused as refused:
        return _refusal(refused)
    response = jsonify(_whole(collection))
    response.status_code = 201
    response.headers["Location"] = url_for("api.collection", collection_id=collection.id, _external=True)
    return response


@bp.get("/collections/<int:collection_id>")
@login_required
def collection(collection_id):
    return jsonify(_whole(rules.get_collection(collection_id, current_user)))


@bp.post("/collections/<int:collection_id>")
@login_required
def rename_collection(collection_id):
    collection = rules.get_collection(collection_id, current_user)
    form = form_from_json(CollectionNameForm, json_body())
    if not form.validate():
        return validation_error(form)
    rules.rename_collection(collection, form.name.data)
    return jsonify(_whole(collection))


@bp.delete("/collections/<int:collection_id>")
@login_required
def delete_collection(collection_id):
    rules.delete_collection(rules.get_collection(collection_id, current_user))
    return "", 204


@bp.post("/collections/<int:collection_id>/items")
@login_required
def add_item(collection_id):
    """201 with the collection when the asset was added; 200 and ``added: false`` when it was
    already there (nothing changes, not even its version)."""
    collection = rules.get_collection(collection_id, current_user)
    form = form_from_json(AddItemForm, {"variant": "original", **json_body()})
    if not form.validate():
        return validation_error(form)
    asset = get_asset(form.asset_id.data, current_user)
    try:
        item, added = rules.add_asset(collection, asset, current_user, form.variant.data or "original")
    except rules.CollectionRefused as refused:
        return _refusal(refused)
    data = {**_whole(collection), "added": added, "item_id": item.id}
    if not added:
        data["message"] = rules.already_there(asset, collection)
    return jsonify(data), 201 if added else 200


@bp.post("/collections/<int:collection_id>/items/<int:item_id>")
@login_required
def choose_variant(collection_id, item_id):
    collection = rules.get_collection(collection_id, current_user)
    item = rules.get_item(collection, item_id)
    variant = json_body().get("variant")
    try:
        rules.set_variant(item, variant)
    except rules.CollectionRefused as refused:
        return _refusal(refused)
    return jsonify(_whole(collection))


@bp.delete("/collections/<int:collection_id>/items/<int:item_id>")
@login_required
def remove_item(collection_id, item_id):
    collection = rules.get_collection(collection_id, current_user)
    rules.remove_item(rules.get_item(collection, item_id))
    return "", 204


@bp.put("/collections/<int:collection_id>/order")
@login_required
def set_order(collection_id):
    collection = rules.get_collection(collection_id, current_user)
    try:
        rules.set_order(collection, json_body().get("item_ids"))
    except rules.CollectionRefused as refused:
        return _refusal(refused)
    return jsonify(_whole(collection))


@bp.post("/collections/<int:collection_id>/share")
@login_required
def share_collection(collection_id):
    collection = rules.share(rules.get_collection(collection_id, current_user))
    return jsonify(_whole(collection))


@bp.delete("/collections/<int:collection_id>/share")
@login_required
def stop_sharing(collection_id):
    collection = rules.stop_sharing(rules.get_collection(collection_id, current_user))
    return jsonify(_whole(collection))
