"""Collection pages: "Koleksi saya" (``/collections``), one collection (``/collections/<id>``,
its owner only: anyone else gets a 404), the add page the catalogue's "+ Koleksi" links lead to,
and the read-only shared page (``/c/<token>``, anyone, no log-in).

Every button is a plain form that works without a script; each answers with a redirect (303)
back to the page it came from and a message saying what happened. The rules are
``collections``'."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import login_required
from ..assets.links import thumbnails
from ..assets.services import get_asset
from ..assets.share import collection_preview
from ..security import safe_next
from ..sitelinks import site_link
from ..validators import whole_number
from . import bp
from . import collections as rules
from .collection_forms import CollectionNameForm, NewCollectionForm


def _to_collection(collection, anchor: str | None = None):
    target = url_for("promo.collection", collection_id=collection.id)
    return redirect(f"{target}#{anchor}" if anchor else target, 303)


def _refused(refused: rules.CollectionRefused) -> None:
    flash(str(refused.message), "error")


@bp.get("/collections")
@login_required
def collections():
    return _list_page(CollectionNameForm())


def _list_page(form, status: int = 200):
    return render_template("promo/collections.html", rows=rules.collections_of(current_user), form=form), status


@bp.post("/collections")
@login_required
def create_collection():
    form = CollectionNameForm()
    if not form.validate_on_submit():
        return _list_page(form, 422)
    try:
        collection = rules.create_collection(current_user, form.name.data)
    except rules.CollectionRefused as refused:
        form.name.errors = [str(refused.message)]
        return _list_page(form, 422)
    flash(
        _("Collection “%(name)s” made. Add media from the catalogue with “+ Collection”.", name=collection.name),
        "success",
    )
    return _to_collection(collection)


@bp.get("/collections/<int:collection_id>")
@login_required
def collection(collection_id):
    collection = rules.get_collection(collection_id, current_user)
    return _collection_page(collection, CollectionNameForm(name=collection.name))


def _collection_page(collection, rename_form, status: int = 200):
    items = rules.visible_items(collection)
    return render_template(
        "promo/collection.html",
        collection=collection,
        items=items,
        thumbs=thumbnails(item.asset for item in items),
        variants={item.id: rules.variant_choices(item.asset) for item in items},
        share_url=site_link("promo.shared", token=collection.share_token) if collection.share_token else None,
        rename_form=rename_form,
    ), status


@bp.post("/collections/<int:collection_id>/rename")
@login_required
def rename(collection_id):
    collection = rules.get_collection(collection_id, current_user)
    form = CollectionNameForm()
    if not form.validate_on_submit():
        return _collection_page(collection, form, 422)
    rules.rename_collection(collection, form.name.data)
    flash(_("Renamed to “%(name)s”.", name=collection.name), "success")
    return _to_collection(collection)


@bp.post("/collections/<int:collection_id>/delete")
@login_required
def delete(collection_id):
    collection = rules.get_collection(collection_id, current_user)
    name = collection.name
    rules.delete_collection(collection)
    flash(_("Collection “%(name)s” deleted. The media themselves stay in the catalogue.", name=name), "info")
    return redirect(url_for("promo.collections"), 303)


@bp.post("/collections/<int:collection_id>/items/<int:item_id>/move")
@login_required
def move(collection_id, item_id):
    collection = rules.get_collection(collection_id, current_user)
    item = rules.get_item(collection, item_id)
    try:
        rules.move_item(collection, item, request.form.get("direction", ""))
    except rules.CollectionRefused as refused:
        _refused(refused)
    # Back to the moved item, so a phone keeps it on screen after each tap.
    return _to_collection(collection, f"item-{item.id}")


@bp.post("/collections/<int:collection_id>/items/<int:item_id>/variant")
@login_required
def choose_variant(collection_id, item_id):
    collection = rules.get_collection(collection_id, current_user)
    item = rules.get_item(collection, item_id)
    try:
        rules.set_variant(item, request.form.get("variant", ""))
    except rules.CollectionRefused as refused:
        _refused(refused)
    else:
        flash(_("The kit will take this version of “%(title)s”.", title=item.asset.title), "success")
    return _to_collection(collection, f"item-{item.id}")


@bp.post("/collections/<int:collection_id>/items/<int:item_id>/remove")
@login_required
def remove(collection_id, item_id):
    collection = rules.get_collection(collection_id, current_user)
    item = rules.get_item(collection, item_id)
    title = item.asset.title
    rules.remove_item(item)
    flash(_("“%(title)s” removed from the collection.", title=title), "info")
    return _to_collection(collection)


@bp.post("/collections/<int:collection_id>/share")
@login_required
def share(collection_id):
    collection = rules.get_collection(collection_id, current_user)
    rules.share(collection)
    flash(_("Anyone with the link can now see this collection (not change it)."), "success")
    return _to_collection(collection, "share")


@bp.post("/collections/<int:collection_id>/unshare")
@login_required
def unshare(collection_id):
    collection = rules.get_collection(collection_id, current_user)
    rules.stop_sharing(collection)
    flash(_("Sharing stopped: the old link no longer works."), "info")
    return _to_collection(collection, "share")


# -- "+ Collection" from a card or an asset page ---------------------------------------------


def _asset_to_add():
    """The asset named by ``asset`` (query or form): a 404 for a missing one or one the user may
    not see, like its own page."""
    asset_id = whole_number(request.values.get("asset"))
    if asset_id is None:
        return None
    return get_asset(asset_id, current_user)


@bp.get("/collections/add")
@login_required
def add_page():
    asset = _asset_to_add()
    if asset is None:
        return redirect(url_for("assets.catalog"))
    return _add_page(asset, NewCollectionForm(formdata=None))


def _add_page(asset, form, status: int = 200):
    back = safe_next(request.values.get("next"), url_for("assets.show", asset_id=asset.id))
    rows = rules.collections_of(current_user)
    return render_template(
        "promo/add_to_collection.html",
        asset=asset,
        thumbs=thumbnails([asset]),
        rows=rows,
        holding=rules.holding(current_user, asset.id),
        full={collection.id for collection, count in rows if rules.is_full(count)},
        form=form,
        back=back,
    ), status


@bp.post("/collections/add")
@login_required
def add():
    """Into the collection of the button pressed (``collection``: its id), or into a new one
    (``collection=new`` with ``name``); then back to ``next``."""
    asset = _asset_to_add()
    if asset is None:
        flash(_("Choose media in the catalogue first."), "error")
        return redirect(url_for("assets.catalog"), 303)
    back = safe_next(request.form.get("next"), url_for("assets.show", asset_id=asset.id))
    form = NewCollectionForm()
    try:
        if request.form.get("collection") == "new":
            if not form.validate_on_submit():
                return _add_page(asset, form, 422)
            collection, added = rules.add_to_new_collection(current_user, form.name.data, asset), True
        else:
            collection_id = whole_number(request.form.get("collection"))
            if collection_id is None:
                flash(_("Choose a collection, or make a new one."), "error")
                return _add_page(asset, NewCollectionForm(formdata=None), 422)
            collection = rules.get_collection(collection_id, current_user)
            _item, added = rules.add_asset(collection, asset, current_user)
    except rules.CollectionRefused as refused:
        _refused(refused)
        return _add_page(asset, form, refused.status)
    if added:
        flash(_("“%(title)s” added to “%(name)s”.", title=asset.title, name=collection.name), "success")
    else:
        flash(rules.already_there(asset, collection), "info")
    return redirect(back, 303)


# -- the read-only link -----------------------------------------------------------------------


@bp.get("/c/<token>")
def shared(token):
    collection = rules.shared_collection(token)
    items = rules.visible_items(collection)
    if not current_user.is_authenticated:
        # Like the catalogue's shared pages: no CSRF token, so no cookie for a visitor who only
        # looks (the language switch needs none from a visitor: main.set_language).
        g.shared_page = True
    response = render_template(
        "promo/collection_shared.html",
        collection=collection,
        items=items,
        thumbs=thumbnails(item.asset for item in items),
        share_url=site_link("promo.shared", token=collection.share_token),
        share=collection_preview(
            collection.name, site_link("promo.shared", token=collection.share_token), [item.asset for item in items]
        ),
    )
    # A private link: kept out of search engines, and never served from a cache once unshared.
    return response, 200, {"X-Robots-Tag": "noindex", "Cache-Control": "no-store"}
