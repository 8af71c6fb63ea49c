"""Attribution people can paste: an asset's credit as plain text and as HTML, in Indonesian and
English whatever the page's language, each with the licence's URL and the asset's page. The
asset page, "Unduhan saya", the API and the credit files of a promo kit all use these, so a
business gets the same words wherever it copies them from.

The words follow the usual order of a Creative Commons attribution (title, author, source,
licence) with the licence last and linked, as its deed asks:

    “Senja di Sembalun” — Foto: Baiq Nurul / Lombok Phonegraphy. Sumber: KOIN Media NTB,
    https://…/assets/7. Lisensi CC BY 4.0: https://creativecommons.org/licenses/by/4.0/

A download keeps the terms it was made under (``AssetDownload.license``/``credit_line``): its
text is built from those, never from the asset's licence or credit as they are today.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import force_locale, gettext
from markupsafe import Markup

from ..sitelinks import site_link
from .models import LICENSE_SHORT_LABELS, LICENSE_URLS, LICENSES, Asset, AssetDownload

LANGUAGES = ("id", "en")
SITE_NAME = "KOIN Media NTB"
# What Asset.credit_line puts between the title and who made it, and after the licence code.
_CREDIT_DASH = " — "
_CREDIT_TAIL = f" ({SITE_NAME})"


@dataclass(frozen=True)
class Credit:
    """What an attribution names: the work's title (None when only a recorded line as a whole is
    known), who made it, the licence code and the asset's page."""

    title: str | None
    who: str
    license: str | None
    page: str


def license_url(code: str | None) -> str:
    """The licence's own text: Creative Commons' deed, or our page for the office's licence."""
    return LICENSE_URLS.get(code or "") or site_link("assets.license_terms", code=code or "")


def license_name(code: str | None, lang: str) -> str:
    """The licence's name in a credit, as people read it: "CC BY 4.0", and the office's licence
    by its short label in ``lang`` ("Promosi NTB"), never a code such as "NTB-PROMO"; its link
    (``license_url``) leads to its page."""
    with force_locale(lang):
        if not code:
            return gettext("no licence")
        return str(LICENSE_SHORT_LABELS.get(code, code))


def page_url(asset: Asset) -> str:
    return site_link("assets.show", asset_id=asset.id)


def credit_of(asset: Asset) -> Credit:
    return Credit(asset.title or asset.original_filename, asset.credited_to, asset.license, page_url(asset))


def recorded_credit(download: AssetDownload) -> Credit:
    """The credit a download was made under. Its line was written by ``Asset.credit_line``
    ("<title> — <who>, <licence> (KOIN Media NTB)"): the title and the name are split apart
    where that is certain (the asset still has that title, or the line has one dash), otherwise
    the recorded line is used whole. Only the licence code and site name are cut off its end."""
    asset = download.asset
    line = " ".join((download.credit_line or "").split())
    tail = f", {download.license}{_CREDIT_TAIL}"
    if line.endswith(tail):
        line = line[: -len(tail)]
    title = asset.title or asset.original_filename
    if line.startswith(title + _CREDIT_DASH):
        return Credit(title, line[len(title) + len(_CREDIT_DASH) :], download.license, page_url(asset))
    if line.count(_CREDIT_DASH) == 1:
        head, who = line.split(_CREDIT_DASH)
        return Credit(head, who, download.license, page_url(asset))
    return Credit(None, line or asset.credited_to, download.license, page_url(asset))


def _plain(credit: Credit, lang: str) -> str:
    values = {
        "title": credit.title,
        "who": credit.who,
        "site": SITE_NAME,
        "page": credit.page,
        "license": license_name(credit.license, lang),
        "license_url": license_url(credit.license),
    }
    with force_locale(lang):
        if credit.title is None:
            return gettext("%(who)s. Source: %(site)s, %(page)s. Licence %(license)s: %(license_url)s", **values)
        return gettext(
            "“%(title)s” — %(who)s. Source: %(site)s, %(page)s. Licence %(license)s: %(license_url)s", **values
        )


def _html(credit: Credit, lang: str) -> Markup:
    """As ``_plain``, an HTML fragment for a website. Markup's ``%`` and ``format`` escape every
    value that is not Markup itself (a title and a credit are people's own text), and attribute
    values are quoted and escaped, so a title such as ``"><script>`` stays text."""
    with force_locale(lang):
        # Our own catalogue's words, trusted as markup; only the values are escaped.
        if credit.title is None:
            template = Markup(gettext("%(who)s. Source: %(site)s. Licence %(license)s"))  # noqa: S704
        else:
            template = Markup(gettext("“%(title)s” — %(who)s. Source: %(site)s. Licence %(license)s"))  # noqa: S704
    text = template % {
        "title": Markup('<a href="{}">{}</a>').format(credit.page, credit.title or ""),
        "who": credit.who,
        "site": Markup('<a href="{}">{}</a>').format(credit.page if credit.title is None else site_link(), SITE_NAME),
        "license": Markup('<a href="{}" rel="license">{}</a>').format(
            license_url(credit.license), license_name(credit.license, lang)
        ),
    }
    return Markup("<p>{}</p>").format(text)


def plain(asset: Asset, lang: str) -> str:
    """One line to paste under a post, in ``lang``: title, who, the asset's page, the licence
    with its URL."""
    return _plain(credit_of(asset), lang)


def html(asset: Asset, lang: str) -> Markup:
    """``plain`` as an HTML fragment, every part linked."""
    return _html(credit_of(asset), lang)


def _all_forms(credit: Credit) -> dict[str, dict[str, str]]:
    return {lang: {"plain": _plain(credit, lang), "html": str(_html(credit, lang))} for lang in LANGUAGES}


def texts(asset: Asset) -> dict[str, dict[str, str]]:
    """Every form of the attribution: ``texts(asset)["id"]["html"]``. Only a published asset
    (which always has a licence) is credited: callers ask for it alone."""
    return _all_forms(credit_of(asset))


def download_texts(download: AssetDownload) -> dict[str, dict[str, str]] | None:
    """``texts`` of the terms ``download`` was made under ("Unduhan saya", the API's history)."""
    if download.license not in LICENSES:
        return None
    return _all_forms(recorded_credit(download))
