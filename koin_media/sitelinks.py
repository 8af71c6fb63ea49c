"""Absolute links to the site, for what leaves it: mails, kits' credit files, share texts and
Open Graph tags."""

from __future__ import annotations

from flask import current_app
from werkzeug.routing import BuildError


def site_link(endpoint: str | None = None, **values) -> str:
    """An absolute link on the site (``PUBLIC_URL``), built without a request (jobs) and never
    from a request's ``Host`` header, which the sender of a request chooses."""
    base = (current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    if endpoint is None:
        return base + "/"
    try:
        path = current_app.url_map.bind("localhost").build(endpoint, values)
    except BuildError:
        return base + "/"
    return base + path
