"""Attribution people can paste: an asset's credit as plain text and as HTML, in Indonesian and
English whatever the page's language, each with the licence's URL and the asset's page. The
asset page, "Unduhan saya", the API and the credit files of a promo kit all use these, so a
business gets the same words wherever it copies them from."""

from __future__ import annotations

from flask_babel import force_locale, gettext
from markupsafe import Markup

from ..sitelinks import site_link
from .models import LICENSE_SHORT_LABELS, LICENSE_URLS, Asset

LANGUAGES = ("id", "en")


def license_url(code: str | None) -> str:
    """The licence's own text: Creative Commons' page, or ours for the office's licence."""
    return LICENSE_URLS.get(code or "") or site_link("assets.license_terms", code=code or "")


def license_name(code: str | None, lang: str) -> str:
    with force_locale(lang):
        return str(LICENSE_SHORT_LABELS.get(code or "", code or ""))


def page_url(asset: Asset) -> str:
    return site_link("assets.show", asset_id=asset.id)


def plain(asset: Asset, lang: str) -> str:
    """One line to paste under a post: title, who, licence with its URL, the asset's page."""
    with force_locale(lang):
        return gettext(
            "“%(title)s” by %(who)s, licence %(license)s (%(license_url)s). Via KOIN Media NTB: %(page)s",
            title=asset.title,
            who=asset.credited_to,
            license=license_name(asset.license, lang),
            license_url=license_url(asset.license),
            page=page_url(asset),
        )


def html(asset: Asset, lang: str) -> Markup:
    """The same as ``plain`` as an HTML fragment for a website: Markup's ``%`` and ``format``
    escape every value (a title is the creator's text)."""
    link = Markup('<a href="{}">{}</a>')
    with force_locale(lang):
        # The template is our own catalogue's text, trusted; only the values are escaped.
        template = Markup(gettext("“%(title)s” by %(who)s, licence %(license)s. Via %(site)s"))  # noqa: S704
    text = template % {
        "title": link.format(page_url(asset), asset.title),
        "who": asset.credited_to,
        "license": Markup('<a href="{}" rel="license">{}</a>').format(
            license_url(asset.license), license_name(asset.license, lang)
        ),
        "site": link.format(site_link(), "KOIN Media NTB"),
    }
    return Markup("<p>{}</p>").format(text)


def texts(asset: Asset) -> dict[str, dict[str, str]]:
    """Every form of the attribution: ``texts(asset)["id"]["html"]``."""
    return {lang: {"plain": plain(asset, lang), "html": str(html(asset, lang))} for lang in LANGUAGES}
