"""Collections: the one home of their rules, for the pages, the API and the kit builder alike.

A collection belongs to its owner alone: anyone else asking for it by id gets a 404, so ids do
not tell what exists. It holds published assets the owner may download, each once, in the
owner's order, each with the variant a kit takes. An asset that leaves the catalogue
(unpublished, archived, its usage period over) stays in the table but is hidden from every view
and count (``visible_items``) and comes back when it is published again. Sharing hands out a
read-only link named by an unguessable token; stopping makes that link a 404 for good.
"""

from __future__ import annotations

import re
import secrets

from flask import abort, current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload

from ..accounts.models import User
from ..assets.downloads import VARIANT_LABELS, download_options
from ..assets.models import Asset
from ..database import utcnow
from ..extensions import db
from ..validators import lookup_text, unreadable, visible
from .models import Collection, CollectionItem

NAME_MAX = 120
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")  # token_urlsafe's alphabet, at most the column's length
MOVES = ("up", "down")


class CollectionRefused(Exception):
    """A change the rules do not allow: ``message`` for people (pages flash it, the API answers
    it with ``code`` and ``status``), ``field`` when one field is at fault."""

    def __init__(self, code: str, message, status: int = 422, field: str | None = None):
        super().__init__(str(message))
        self.code, self.message, self.status, self.field = code, message, status, field


# -- names ------------------------------------------------------------------------------------


def check_name(raw) -> str:
    """The name as kept (trimmed), or CollectionRefused: 1 to NAME_MAX characters, none of them
    invisible or direction-changing ones (``validators.unreadable``: a shared name must read as
    what it is), at least one visible."""
    name = raw.strip() if isinstance(raw, str) else ""
    if not visible(name):
        raise CollectionRefused("name_required", _("Give the collection a name."), field="name")
    if len(name) > NAME_MAX:
        raise CollectionRefused(
            "name_too_long",
            _(
                "A collection's name may have at most %(max)d characters; this one has %(count)d.",
                max=NAME_MAX,
                count=len(name),
            ),
            field="name",
        )
    if unreadable(name):
        raise CollectionRefused(
            "name_control_characters", _("Remove the control characters (such as NUL) from the name."), field="name"
        )
    return name


# -- finding ----------------------------------------------------------------------------------


def get_collection(collection_id: int, user) -> Collection:
    """The collection for its owner (flaskr's ``get_post``); a 404 for anyone else."""
    collection = db.session.get(Collection, collection_id)
    if collection is None or not collection.owned_by(user):
        abort(404)
    return collection


def shared_collection(token) -> Collection:
    """The collection a read-only link names while it is shared; a 404 once sharing stopped."""
    # Only what token_urlsafe makes: a NUL or other junk never reaches the database (on
    # PostgreSQL a NUL in a query parameter is an error, not a miss).
    if lookup_text(token, 64) is None or not _TOKEN.fullmatch(token):
        abort(404)
    collection = db.session.scalar(select(Collection).where(Collection.share_token == token))
    if collection is None:
        abort(404)
    return collection


def _visible(statement):
    return statement.join(CollectionItem.asset).where(Asset.public_clause())


def visible_items(collection: Collection) -> list[CollectionItem]:
    """The items whose asset is published now, in the owner's order, each with its asset, the
    asset's owner and community (for credits) in the same query: what pages, the API and the
    kit builder show and use. Items of assets that left the catalogue stay stored, unseen."""
    statement = (
        select(CollectionItem)
        .where(CollectionItem.collection_id == collection.id)
        .options(contains_eager(CollectionItem.asset).options(joinedload(Asset.owner), joinedload(Asset.community)))
        .order_by(CollectionItem.position, CollectionItem.id)
    )
    return list(db.session.scalars(_visible(statement)).unique())


def get_item(collection: Collection, item_id: int) -> CollectionItem:
    """A visible item of ``collection`` (already checked for its owner); a 404 otherwise."""
    item = db.session.get(CollectionItem, item_id)
    if item is None or item.collection_id != collection.id or not item.asset.is_public:
        abort(404)
    return item


def _visible_count(collection_id) -> int:
    statement = select(func.count()).select_from(CollectionItem).where(CollectionItem.collection_id == collection_id)
    return db.session.scalar(_visible(statement))


def collections_of(user) -> list[tuple[Collection, int]]:
    """The user's collections, the most recently changed first, each with its count of visible
    items: one query, however many collections."""
    count = (
        _visible(select(func.count()).select_from(CollectionItem))
        .where(CollectionItem.collection_id == Collection.id)
        .correlate(Collection)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Collection, count)
        .where(Collection.owner_id == user.id)
        .order_by(Collection.updated_at.desc(), Collection.id.desc())
    )
    return [(collection, visible) for collection, visible in rows]


def is_full(visible_count: int) -> bool:
    """A collection with this many visible items takes no more (``add_asset`` refuses)."""
    return visible_count >= current_app.config["COLLECTION_MAX_ITEMS"]


def holding(user, asset_id: int) -> set[int]:
    """Ids of the user's collections that already hold ``asset_id`` (the add page marks them)."""
    return set(
        db.session.scalars(
            select(CollectionItem.collection_id)
            .join(Collection, Collection.id == CollectionItem.collection_id)
            .where(Collection.owner_id == user.id, CollectionItem.asset_id == asset_id)
        )
    )


def variant_choices(asset: Asset) -> list[tuple[str, str, int | None]]:
    """(variant, label, size in bytes) of every version ``download_options`` offers for the asset."""
    return [
        (option["variant"], str(VARIANT_LABELS.get(option["variant"], option["variant"])), option.get("size_bytes"))
        for option in download_options(asset)
    ]


# -- changing ---------------------------------------------------------------------------------


def _lock(model, ident) -> None:
    """Count and change as one step: a row lock on PostgreSQL (SQLite's writing request already
    holds the database's write lock, BEGIN IMMEDIATE), so two requests at once cannot both pass
    a limit or take the same position."""
    db.session.execute(select(model.id).where(model.id == ident).with_for_update())


def create_collection(user, name) -> Collection:
    name = check_name(name)
    _lock(User, user.id)
    limit = current_app.config["COLLECTIONS_PER_USER"]
    owned = db.session.scalar(select(func.count()).select_from(Collection).where(Collection.owner_id == user.id))
    if owned >= limit:
        db.session.rollback()
        raise CollectionRefused(
            "too_many_collections",
            _(
                "You already have %(max)d collections, the most one account may keep. Delete one you no longer need.",
                max=limit,
            ),
        )
    collection = Collection(owner_id=user.id, name=name)
    db.session.add(collection)
    db.session.commit()
    return collection


def rename_collection(collection: Collection, name) -> Collection:
    collection.name = check_name(name)
    db.session.commit()
    return collection


def delete_collection(collection: Collection) -> None:
    """Its items go with it; a kit made from it keeps its files (its link to it becomes empty)."""
    db.session.delete(collection)
    db.session.commit()


def add_asset(collection: Collection, asset: Asset, user, variant: str = "original") -> tuple[CollectionItem, bool]:
    """Put ``asset`` at the end of ``collection``: (item, True); (the item it has, False) when it
    already holds it, whatever ``variant`` says (adding twice changes nothing). Only an asset
    the user may download can be added, up to COLLECTION_MAX_ITEMS visible items."""
    _check_addable(asset, user, variant)
    _lock(Collection, collection.id)
    existing = _item_of(collection, asset)
    if existing is not None:
        return existing, False
    limit = current_app.config["COLLECTION_MAX_ITEMS"]
    if is_full(_visible_count(collection.id)):
        db.session.rollback()
        raise CollectionRefused(
            "collection_full",
            _(
                "“%(name)s” already holds %(max)d media, the most a collection may hold. Start another collection.",
                name=collection.name,
                max=limit,
            ),
            status=409,
        )
    last = db.session.scalar(
        select(func.max(CollectionItem.position)).where(CollectionItem.collection_id == collection.id)
    )
    item = CollectionItem(collection_id=collection.id, asset_id=asset.id, variant=variant, position=(last or 0) + 1)
    db.session.add(item)
    collection.updated_at = utcnow()
    try:
        db.session.commit()
    except IntegrityError:  # added by a request that was not serialised with this one
        db.session.rollback()
        existing = _item_of(collection, asset)
        if existing is None:
            raise
        return existing, False
    return item, True


def add_to_new_collection(user, name, asset: Asset, variant: str = "original") -> Collection:
    """A new collection named ``name`` holding ``asset``; nothing is made when the asset cannot
    be added."""
    _check_addable(asset, user, variant)
    collection = create_collection(user, name)
    add_asset(collection, asset, user, variant)
    return collection


def _check_addable(asset: Asset, user, variant) -> None:
    if not asset.downloadable_by(user):
        raise CollectionRefused("not_published", _("Only published media can be added to a collection."))
    _check_variant(asset, variant)


def _item_of(collection: Collection, asset: Asset) -> CollectionItem | None:
    return db.session.scalar(
        select(CollectionItem).where(CollectionItem.collection_id == collection.id, CollectionItem.asset_id == asset.id)
    )


def already_there(asset: Asset, collection: Collection) -> str:
    """What a second add of the same asset answers (it changes nothing)."""
    return _("“%(title)s” is already in “%(name)s”: nothing changed.", title=asset.title, name=collection.name)


def _check_variant(asset: Asset, variant) -> None:
    if not isinstance(variant, str) or variant not in {option["variant"] for option in download_options(asset)}:
        raise CollectionRefused("unknown_variant", _("This asset has no such version to download."), field="variant")


def set_variant(item: CollectionItem, variant) -> CollectionItem:
    """Choose the version of the item's asset that a kit takes: one ``download_options`` offers."""
    _check_variant(item.asset, variant)
    item.variant = variant
    item.collection.updated_at = utcnow()
    db.session.commit()
    return item


def remove_item(item: CollectionItem) -> None:
    item.collection.updated_at = utcnow()
    db.session.delete(item)
    db.session.commit()


def move_item(collection: Collection, item: CollectionItem, direction: str) -> bool:
    """Swap the item with the visible one before (``up``) or after (``down``) it; False when it is
    already first or last (nothing changes)."""
    if direction not in MOVES:
        raise CollectionRefused("unknown_direction", _("Move an item up or down."), field="direction")
    _lock(Collection, collection.id)
    visible = [each.id for each in visible_items(collection)]
    index = visible.index(item.id)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(visible):
        return False
    visible[index], visible[other] = visible[other], visible[index]
    _renumber(collection, visible)
    return True


def set_order(collection: Collection, item_ids) -> None:
    """Put the visible items in the order of ``item_ids``, which must name each of them exactly
    once (the list a page or a client shows); anything else changes nothing."""
    _lock(Collection, collection.id)
    visible = [each.id for each in visible_items(collection)]
    if (
        not isinstance(item_ids, list)
        or not all(type(each) is int for each in item_ids)
        or len(item_ids) != len(visible)
        or set(item_ids) != set(visible)
    ):
        db.session.rollback()
        raise CollectionRefused(
            "order_mismatch",
            _("Send the ids of all the collection's items, each once, in the new order."),
            field="item_ids",
        )
    _renumber(collection, item_ids)


def _renumber(collection: Collection, visible_order: list[int]) -> None:
    """Number every item 1, 2, … with the visible ones in ``visible_order``; a hidden item keeps
    its place among them, so it returns where it was when its asset is published again."""
    stored = db.session.scalars(
        select(CollectionItem)
        .where(CollectionItem.collection_id == collection.id)
        .order_by(CollectionItem.position, CollectionItem.id)
    ).all()
    shown = set(visible_order)
    queue = iter(visible_order)
    by_id = {each.id: each for each in stored}
    ordered = [by_id[next(queue)] if each.id in shown else each for each in stored]
    for position, each in enumerate(ordered, start=1):
        if each.position != position:
            each.position = position
    collection.updated_at = utcnow()
    db.session.commit()


def share(collection: Collection) -> Collection:
    """Give the collection a read-only link (the one it has while shared: sharing twice keeps it)."""
    if collection.share_token is None:
        collection.share_token = secrets.token_urlsafe(24)
        db.session.commit()
    return collection


def stop_sharing(collection: Collection) -> Collection:
    """The link stops working for good: sharing again makes a new one."""
    if collection.share_token is not None:
        collection.share_token = None
        db.session.commit()
    return collection
