"""What a link to a page shows where people paste it (WhatsApp, Facebook, X, Telegram): the
Open Graph and Twitter card tags of the asset, venue and shared collection pages, and the text
of their "Share to WhatsApp" link.

Everything here is for an anonymous reader, whoever opens the page: a crawler fetches the
link later without anyone's session, so only what the public may see goes in (a page about an
unpublished asset gets no preview at all). Links are absolute on ``PUBLIC_URL``
(``site_link``), never on the Host a request named. The picture is a stable address of this
site (``share_routes.share_image``) that redirects to a fresh signed link when fetched:
crawlers and WhatsApp fetch it hours later, long after any signed link in the page expired.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import get_locale, ngettext
from flask_babel import gettext as _

from ..extensions import db
from ..media.crops import SHARE_SIZE  # the share picture's size, and our default picture's
from ..sitelinks import site_link, whatsapp_link
from ..venues.models import Venue
from . import catalog
from .attribution import license_name
from .models import Asset

DEFAULT_IMAGE = "img/share-default.png"  # drawn by scripts/make_share_default.py
OG_LOCALES = {"id": "id_ID", "en": "en_US"}
DESCRIPTION_CHARS = 200  # Facebook and WhatsApp cut a description near here anyway


@dataclass(frozen=True)
class SharePreview:
    """One page's preview, as templates/_share.html writes it into tags and buttons."""

    url: str  # canonical and absolute
    title: str
    description: str
    image: str  # absolute
    image_alt: str
    image_size: tuple[int, int] | None  # None when not known to be SHARE_SIZE (see _asset_picture)
    message: tuple[str, ...]  # the lines of the WhatsApp text, before the link
    type: str = "website"

    @property
    def locale(self) -> str:
        return OG_LOCALES.get(get_locale().language, OG_LOCALES["id"])

    @property
    def locale_alternates(self) -> list[str]:
        return [code for code in OG_LOCALES.values() if code != self.locale]

    @property
    def share_text(self) -> str:
        return "\n".join((*self.message, self.url))

    @property
    def whatsapp_url(self) -> str:
        # No number: WhatsApp asks whom to send it to; the page's own URL (with its "?" and
        # "&") stays inside the one ``text`` parameter.
        return whatsapp_link(self.share_text)


def shorten(text: str, limit: int = DESCRIPTION_CHARS) -> str:
    """``text`` on one line, cut at a word before ``limit`` characters with an ellipsis."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:—-") + "…"


def default_image() -> tuple[str, str, tuple[int, int]]:
    """(URL, alt text, size) of the site's own picture, for a page without one."""
    alt = _("KOIN Media: promotion media and educational visits of West Nusa Tenggara")
    return site_link("static", filename=DEFAULT_IMAGE), alt, SHARE_SIZE


def picture_key(asset: Asset) -> tuple[str | None, bool]:
    """The stored picture a link preview of ``asset`` shows, and whether it is SHARE_SIZE: the
    share picture processing makes for every kind (media/crops.py), else, for an asset
    processed before share pictures existed and not yet caught up by ``flask media crops``,
    its preview (long side 1280, its own proportions); None when it has neither (the route
    then answers with the default picture)."""
    if asset.share_key:
        return asset.share_key, True
    return asset.preview_key, False


def _asset_image(asset: Asset) -> tuple[str, str, tuple[int, int] | None]:
    key, share_sized = picture_key(asset)
    if key is None:
        return default_image()
    return site_link("assets.share_image", asset_id=asset.id), asset.title, SHARE_SIZE if share_sized else None


def asset_preview(asset: Asset) -> SharePreview | None:
    """The preview of a published asset's page; None for any other (nothing about an asset
    the public may not see reaches a tag, whoever is looking at its page)."""
    if not asset.visible_to(None):
        return None
    licence = license_name(asset.license, get_locale().language)
    credit = _("By %(who)s. Licence: %(license)s.", who=asset.credited_to, license=licence)
    image, alt, size = _asset_image(asset)
    return SharePreview(
        url=site_link("assets.show", asset_id=asset.id),
        title=asset.title,
        description=shorten(f"{credit} {asset.description}"),
        image=image,
        image_alt=alt,
        image_size=size,
        message=(asset.title, _("Credit: %(who)s", who=asset.credited_to)),
        type="article",
    )


def venue_preview(venue: Venue, description: str) -> SharePreview:
    """The preview of a venue's page (``description`` in the page's language): its newest
    published photo, else the site's picture."""
    newest = catalog.page(catalog.CatalogFilters(venue=venue.slug, kind="image"), 1).items
    photo = db.session.get(Asset, newest[0].id) if newest else None
    image, alt, size = _asset_image(photo) if photo is not None else default_image()
    place = _("%(regency)s, West Nusa Tenggara", regency=venue.regency.name)
    return SharePreview(
        url=site_link("venues.show", slug=venue.slug),
        title=venue.name,
        description=shorten(f"{place}. {description}" if description else place),
        image=image,
        image_alt=alt if photo is not None else venue.name,
        image_size=size,
        message=(venue.name, _("Educational visits: %(place)s", place=place)),
    )


def collection_preview(name: str, url: str, assets: Iterable[Asset]) -> SharePreview:
    """The preview of a shared collection's read-only page (``url``, absolute): its count of
    published assets, and the first one's picture."""
    public = [asset for asset in assets if asset.visible_to(None)]
    count = ngettext(
        "%(num)d promotion media item from West Nusa Tenggara, with its credit.",
        "%(num)d promotion media items from West Nusa Tenggara, with their credits.",
        len(public),
    )
    image, alt, size = _asset_image(public[0]) if public else default_image()
    return SharePreview(
        url=url,
        title=name,
        description=count,
        image=image,
        image_alt=alt,
        image_size=size,
        message=(name, count),
    )
