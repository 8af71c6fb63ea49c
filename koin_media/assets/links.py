"""Signed links to an asset's pictures and players, for pages and the API alike."""

from __future__ import annotations

from flask import current_app, has_request_context, request

from ..pagecache import recent
from ..storage import get_storage
from .models import WEB_RENDITION_TYPES, Asset


def inline_url(key: str, content_type: str) -> str:
    """A signed link to show a stored picture or play a rendition. One link per file is kept
    for a quarter of its lifetime: a browser on a slow connection reuses the copy it has
    instead of fetching the same picture under a new URL, and a page of 24 cards does not sign
    24 links every time."""
    ttl = current_app.config["DOWNLOAD_URL_TTL"]
    host = request.host_url if has_request_context() else None  # local links name the host asked
    return recent(("inline", host, key, content_type), ttl / 4, lambda: get_storage().inline_url(key, content_type))


def media_urls(asset: Asset) -> dict:
    """Short-lived URLs for the pictures and players a page shows. The player streams the web
    rendition, never the original: that leaves only through the logged, licensed download."""
    urls = {}
    for name in ("thumb_key", "preview_key", "poster_key"):
        key = getattr(asset, name)
        if key:
            urls[name.removesuffix("_key")] = inline_url(key, "image/jpeg")
    if asset.kind in WEB_RENDITION_TYPES and asset.web_key:
        urls["play"] = inline_url(asset.web_key, WEB_RENDITION_TYPES[asset.kind])
    return urls


def thumbnails(assets) -> dict[int, str]:
    """Each asset's thumbnail link by id (cards and lists)."""
    return {a.id: inline_url(a.thumb_key, "image/jpeg") for a in assets if a.thumb_key}
