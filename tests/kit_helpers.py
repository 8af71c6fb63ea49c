"""Published assets with real files in the store, collections of them, and the ZIP a kit's
download link leads to, for the promo kit tests."""

from __future__ import annotations

import io
import os
import zipfile

from koin_media.extensions import db
from koin_media.promo.models import Collection, CollectionItem
from koin_media.storage import get_storage

from .asset_helpers import approved_asset

MIB = 1024 * 1024
CC_BY = "https://creativecommons.org/licenses/by/4.0/"


def stored_asset(owner, title: str, size: int, **fields):
    """A published photo whose original (``size`` random bytes) is in the store."""
    asset = approved_asset(owner, title, **fields)
    data = os.urandom(size)
    get_storage().put(asset.storage_key, data, "image/jpeg")
    asset.size_bytes = size
    db.session.commit()
    return asset, data


def collection_of(owner, assets, name: str = "Promosi Tenun Sukarara") -> Collection:
    collection = Collection(owner_id=owner.id, name=name)
    collection.items = [CollectionItem(asset_id=a.id, variant="original", position=i) for i, a in enumerate(assets)]
    db.session.add(collection)
    db.session.commit()
    return collection


def fetch_zip(transport, url: str) -> zipfile.ZipFile:
    """Follow the signed link the way a browser does and open what it gives with zipfile."""
    status, headers, body = transport.get(url)
    assert status == 200, status
    assert "attachment" in headers.get("Content-Disposition", "")
    return zipfile.ZipFile(io.BytesIO(body))
