"""Absolute links to the site, for what leaves it: mails, kits' credit files, share texts and
Open Graph tags."""

from __future__ import annotations

from urllib.parse import quote

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


# WhatsApp's click-to-chat links (https://faq.whatsapp.com/5913398998672934): the reader's own
# WhatsApp opens with the text typed in, to a number, or (no number) to whoever they choose.
WHATSAPP = "https://wa.me/"


def whatsapp_link(text: str, number: str | None = None) -> str:
    """A wa.me link with ``text`` filled in; ``number`` is digits only, country code first.
    safe="": every reserved character is encoded, so a link, "&" or "#" in the text stays
    inside the one ``text`` parameter."""
    if number is not None and not (number.isascii() and number.isdigit()):
        raise ValueError(f"a WhatsApp number is digits only, not {number!r}")
    return f"{WHATSAPP}{number or ''}?text={quote(text, safe='')}"
