"""Link previews and share links (issue 11, point 4): the Open Graph and Twitter card tags of the
asset, venue and shared collection pages read back with the standard library's HTML parser,
the WhatsApp link's text decoded, and the picture route that outlives signed links, on the
local and the S3 (moto over HTTP) backends."""

from __future__ import annotations

import io
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from flask_babel import force_locale
from PIL import Image

from koin_media.assets import services
from koin_media.assets.models import PENDING_REVIEW, Asset
from koin_media.assets.share import asset_preview, collection_preview
from koin_media.database import utcnow
from koin_media.extensions import db
from koin_media.media.crops import SHARE_SIZE
from koin_media.promo import collections
from koin_media.storage import get_storage

from . import samples
from .asset_helpers import DETAILS, approved_asset
from .booking_helpers import make_venue
from .conftest import Auth, csrf_token

PUBLIC = "https://media.koin.example"
ROOT = Path(__file__).resolve().parent.parent
# Every tag a preview carries once (og:locale:alternate may repeat; width and height only when
# the picture is known to be SHARE_SIZE).
ONCE = (
    "og:type", "og:site_name", "og:locale", "og:url", "og:title", "og:description", "og:image",
    "og:image:alt", "twitter:card", "twitter:title", "twitter:description", "twitter:image", "twitter:image:alt",
)  # fmt: skip


class Page(HTMLParser):
    """What a crawler reads of a page: its meta tags and canonical link, and what a script
    injected through a title would add (script elements); plus the share links."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, list[str]] = {}
        self.canonical: list[str] = []
        self.scripts: list[dict] = []
        self.by_id: dict[str, dict] = {}
        self.copy_buttons: list[dict] = []
        self._text_of: str | None = None
        self.texts: dict[str, str] = {}
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and ("property" in attrs or "name" in attrs):
            self.meta.setdefault(attrs.get("property") or attrs["name"], []).append(attrs.get("content"))
        elif tag == "link" and attrs.get("rel") == "canonical":
            self.canonical.append(attrs["href"])
        elif tag == "script":
            self.scripts.append(attrs)
        elif tag == "button" and "data-copy" in attrs:
            self.copy_buttons.append(attrs)
        if "id" in attrs:
            self.by_id[attrs["id"]] = attrs
            self._text_of = attrs["id"]
            self.texts[attrs["id"]] = ""

    def handle_data(self, data):
        if self._text_of is not None:
            self.texts[self._text_of] += data

    def handle_endtag(self, tag):
        self._text_of = None

    def one(self, name: str) -> str:
        values = self.meta.get(name, [])
        assert len(values) == 1, f"{name}: {values}"
        return values[0]


def read(response) -> Page:
    assert response.status_code == 200, response.status_code
    return Page(response.get_data(as_text=True))


def whatsapp_text(page: Page) -> str:
    link = urlsplit(page.by_id["share-whatsapp"]["href"])
    assert (link.scheme, link.netloc, link.path) == ("https", "wa.me", "/")
    query = parse_qs(link.query, strict_parsing=True)
    assert list(query) == ["text"] and len(query["text"]) == 1  # the page's URL stayed inside
    return query["text"][0]


@pytest.fixture
def app(make_app):
    app = make_app(PUBLIC_URL=PUBLIC)
    with app.app_context():
        yield app


@pytest.fixture
def storage_app(make_app, storage_settings, backend):
    """The upload fixtures' app (tests/storage_fixtures.py), on the public address above."""
    app = make_app(**storage_settings(backend, PUBLIC_URL=PUBLIC))
    with app.app_context():
        yield app


@pytest.fixture
def creator(factory):
    return factory.user("creator", name="Baiq Nurul")


def english(client):
    client.post("/language", data={"locale": "en", "csrf_token": csrf_token(client)})


# --- the asset page ---------------------------------------------------------------------------


def test_a_published_asset_page_carries_every_tag_on_the_public_address(app, client, creator):
    asset = approved_asset(
        creator, "Tenun Sukarara", description="Songket dari  Sukarara,\nLombok Tengah.", credit="Baiq Nurul"
    )
    asset.share_key = f"assets/{asset.uuid}/share.jpg"
    db.session.commit()
    # Asked on another host the app answers to: nothing takes the request's Host.
    page = read(client.get(f"/assets/{asset.id}", base_url="http://127.0.0.1:5000"))

    url = f"{PUBLIC}/assets/{asset.id}"
    image = f"{PUBLIC}/share/assets/{asset.id}.jpg"
    assert all(len(page.meta[name]) == 1 for name in ONCE)
    assert page.canonical == [url]
    assert page.one("og:url") == url
    assert page.one("og:type") == "article"
    assert page.one("og:site_name") == "KOIN Media"
    assert page.one("og:locale") == "id_ID" and page.meta["og:locale:alternate"] == ["en_US"]
    assert page.one("og:title") == page.one("twitter:title") == "Tenun Sukarara"
    description = "Oleh Baiq Nurul / Lombok Phonegraphy. Lisensi: CC BY 4.0. Songket dari Sukarara, Lombok Tengah."
    assert page.one("og:description") == page.one("twitter:description") == description
    assert page.one("og:image") == page.one("twitter:image") == image
    assert (page.one("og:image:width"), page.one("og:image:height")) == ("1200", "630")
    assert page.one("og:image:alt") == page.one("twitter:image:alt") == "Tenun Sukarara"
    assert page.one("twitter:card") == "summary_large_image"
    every_url = [page.one(n) for n in ("og:url", "og:image", "twitter:image")] + page.canonical
    assert all(u.startswith(PUBLIC + "/") for u in every_url)
    assert "127.0.0.1" not in "".join(v for values in page.meta.values() for v in values)


def test_the_tags_follow_the_page_s_language(app, client, creator):
    asset = approved_asset(creator, "Gendang Beleq", license="CC-BY-SA-4.0")
    english(client)
    page = read(client.get(f"/assets/{asset.id}"))
    assert page.one("og:locale") == "en_US" and page.meta["og:locale:alternate"] == ["id_ID"]
    assert page.one("og:description") == "By Baiq Nurul / Lombok Phonegraphy. Licence: CC BY-SA 4.0."
    assert whatsapp_text(page) == f"Gendang Beleq\nCredit: Baiq Nurul / Lombok Phonegraphy\n{PUBLIC}/assets/{asset.id}"


def test_without_a_share_picture_the_preview_is_named_but_not_sized(app, client, creator):
    """An asset processed before share pictures existed shows its preview (its own proportions),
    so the tags do not claim 1200x630; one without any picture shows the site's own."""
    with_preview = approved_asset(creator, "Kopi Sembalun", preview_key="assets/kopi/preview.jpg")
    bare = approved_asset(creator, "Rekaman Gendang", kind="audio")

    page = read(client.get(f"/assets/{with_preview.id}"))
    assert page.one("og:image") == f"{PUBLIC}/share/assets/{with_preview.id}.jpg"
    assert "og:image:width" not in page.meta and "og:image:height" not in page.meta

    page = read(client.get(f"/assets/{bare.id}"))
    assert page.one("og:image") == f"{PUBLIC}/static/img/share-default.png"
    assert (page.one("og:image:width"), page.one("og:image:height")) == ("1200", "630")


def test_an_unpublished_asset_page_gives_nothing_away(app, factory, creator):
    asset = approved_asset(creator, "Sasak Ende Rahasia", approved_at=None)
    asset.status, asset.submitted_at = PENDING_REVIEW, utcnow() - timedelta(hours=1)
    asset.share_key = "assets/secret/share.jpg"
    db.session.commit()
    owner = app.test_client()
    Auth(owner).login(creator)
    response = owner.get(f"/assets/{asset.id}")
    html = response.get_data(as_text=True)
    page = read(response)
    assert not any(name.startswith(("og:", "twitter:")) for name in page.meta)
    assert page.canonical == [] and "share-whatsapp" not in page.by_id
    assert "wa.me" not in html and "/share/assets/" not in html and "js/share.js" not in html
    assert asset_preview(asset) is None


def test_a_hostile_title_stays_inside_its_attribute(app, client, creator):
    title = 'Tenun "Sukarara"><script>alert(1)</script><meta property="og:title" content="palsu'
    asset = approved_asset(
        creator, title, description="</title><script>alert(2)</script>", share_key="assets/tenun/share.jpg"
    )
    response = client.get(f"/assets/{asset.id}")
    html = response.get_data(as_text=True)
    page = read(response)
    assert page.one("og:title") == page.one("twitter:title") == page.one("og:image:alt") == title
    assert page.one("og:description").endswith("</title><script>alert(2)</script>")
    assert "<script>alert" not in html
    assert all("src" in script for script in page.scripts)  # only the site's own files
    assert whatsapp_text(page).startswith(title + "\n")


def test_the_whatsapp_text_decodes_to_title_credit_and_link(app, client, creator):
    asset = approved_asset(creator, "Kopi & Tenun #1 ?=%", credit="Lalu Ahmad, Lombok Phonegraphy")
    page = read(client.get(f"/assets/{asset.id}"))
    assert (
        whatsapp_text(page)
        == f"Kopi & Tenun #1 ?=%\nKredit: Lalu Ahmad, Lombok Phonegraphy\n{PUBLIC}/assets/{asset.id}"
    )
    # The copy-link button copies the page's public address, shown as text to select by hand.
    assert page.texts["share-url"] == f"{PUBLIC}/assets/{asset.id}"
    button = next(attrs for attrs in page.copy_buttons if attrs["data-copy"] == "share-url")
    assert button["data-status"] == "share-copied" and button["data-copied"] == "Tautan tersalin"
    native = page.by_id["share-native"]
    assert "hidden" in native and native["data-url"] == f"{PUBLIC}/assets/{asset.id}"
    assert {s["src"] for s in page.scripts} >= {"/static/js/copy.js", "/static/js/share.js"}


def test_the_cached_visitor_page_keeps_the_tags(app, client, creator):
    """The anonymous asset page is served from memory (pagecache): the copy served carries the
    same public tags, whatever host asked first."""
    asset = approved_asset(creator, "Pantai Kuta")
    first = client.get(f"/assets/{asset.id}", base_url="http://127.0.0.1:5000").get_data(as_text=True)
    again = client.get(f"/assets/{asset.id}", base_url="http://127.0.0.1:5000").get_data(as_text=True)
    assert again == first
    assert Page(again).one("og:url") == f"{PUBLIC}/assets/{asset.id}"


# --- the venue page ---------------------------------------------------------------------------


def test_a_venue_page_shows_its_place_and_the_site_picture_without_photos(app, client):
    venue = make_venue()
    venue.description_id = "Sirkuit balap di Kuta, Mandalika. Kunjungan sekolah ke pit dan paddock."
    db.session.commit()
    page = read(client.get(f"/venues/{venue.slug}", base_url="http://127.0.0.1:5000"))

    url = f"{PUBLIC}/venues/{venue.slug}"
    assert page.canonical == [url] and page.one("og:url") == url
    assert page.one("og:type") == "website"
    assert page.one("og:title") == page.one("twitter:title") == venue.name
    assert page.one("og:description") == (
        "Lombok Tengah, Nusa Tenggara Barat. Sirkuit balap di Kuta, Mandalika. Kunjungan sekolah ke pit dan paddock."
    )
    assert page.one("og:image") == page.one("twitter:image") == f"{PUBLIC}/static/img/share-default.png"
    assert (page.one("og:image:width"), page.one("og:image:height")) == ("1200", "630")
    assert page.one("og:image:alt") == venue.name
    assert whatsapp_text(page) == f"{venue.name}\nKunjungan edukasi: Lombok Tengah, Nusa Tenggara Barat\n{url}"
    assert page.texts["share-url"] == url


def test_a_venue_shows_its_newest_published_photo(app, client, creator):
    venue = make_venue()
    now = utcnow()
    older = approved_asset(creator, "Tikungan 10", venue=venue, approved_at=now - timedelta(days=3))
    newest = approved_asset(creator, "Start Line", venue=venue, approved_at=now - timedelta(days=1))
    newest.share_key = f"assets/{newest.uuid}/share.jpg"
    # Newer, but not what the preview may show: a video, an unpublished photo, another venue's.
    approved_asset(creator, "Onboard", venue=venue, kind="video", approved_at=now)
    waiting = approved_asset(creator, "Belum Terbit", venue=venue, approved_at=None)
    waiting.status = PENDING_REVIEW
    approved_asset(creator, "Meninting", venue=make_venue("meninting-bike-park", "Meninting Bike Park"))
    db.session.commit()

    page = read(client.get(f"/venues/{venue.slug}"))
    assert page.one("og:image") == f"{PUBLIC}/share/assets/{newest.id}.jpg"
    assert page.one("og:image:alt") == "Start Line"
    assert (page.one("og:image:width"), page.one("og:image:height")) == ("1200", "630")
    assert older.id != newest.id


# --- the shared collection page ---------------------------------------------------------------


def test_a_collection_preview_counts_and_shows_only_published_assets(app, creator):
    hidden = approved_asset(creator, "Belum Terbit", approved_at=None)
    hidden.status = PENDING_REVIEW
    first = approved_asset(creator, "Tenun")
    second = approved_asset(creator, "Kopi")
    db.session.commit()
    url = f"{PUBLIC}/c/token-rahasia"
    with app.test_request_context("/"), force_locale("id"):
        preview = collection_preview("Promosi Lebaran", url, [hidden, first, second])
    assert preview.url == url and preview.title == "Promosi Lebaran"
    assert preview.description == "2 media promosi Nusa Tenggara Barat, lengkap dengan kreditnya."
    assert preview.image == f"{PUBLIC}/static/img/share-default.png"  # the first published one has no picture
    first.share_key = "assets/tenun/share.jpg"
    with app.test_request_context("/"), force_locale("en"):
        preview = collection_preview("Lebaran", url, [hidden, first, second])
    assert preview.image == f"{PUBLIC}/share/assets/{first.id}.jpg" and preview.image_size == SHARE_SIZE
    assert preview.description == "2 promotion media items from West Nusa Tenggara, with their credits."
    assert unquote(preview.whatsapp_url.removeprefix("https://wa.me/?text=")).endswith(f"\n{url}")


def test_the_shared_collection_page_previews_its_published_assets(app, client, creator, factory):
    business = factory.user("ikm")
    collection = collections.create_collection(business, "Promosi Tenun")
    hidden = approved_asset(creator, "Akan Ditarik", share_key="assets/ditarik/share.jpg")
    first = approved_asset(creator, "Songket Merah", share_key="assets/songket/share.jpg")
    second = approved_asset(creator, "Penenun Sukarara")
    for asset in (hidden, first, second):
        collections.add_asset(collection, asset, business)
    hidden.status = PENDING_REVIEW  # left the catalogue after it was added
    collections.share(collection)
    url = f"{PUBLIC}/c/{collection.share_token}"

    page = read(client.get(f"/c/{collection.share_token}", base_url="http://127.0.0.1:5000"))
    assert page.canonical == [url] and page.one("og:url") == url
    assert page.one("og:title") == page.one("twitter:title") == "Promosi Tenun"
    assert page.one("og:description") == "2 media promosi Nusa Tenggara Barat, lengkap dengan kreditnya."
    assert page.one("og:image") == page.one("twitter:image") == f"{PUBLIC}/share/assets/{first.id}.jpg"
    assert page.one("og:image:alt") == "Songket Merah"
    assert (
        whatsapp_text(page) == f"Promosi Tenun\n2 media promosi Nusa Tenggara Barat, lengkap dengan kreditnya.\n{url}"
    )
    assert page.texts["share-url"] == url


# --- the picture route ------------------------------------------------------------------------


def test_the_default_picture_is_committed_at_the_share_size():
    with Image.open(ROOT / "static" / "img" / "share-default.png") as picture:
        assert picture.size == SHARE_SIZE == (1200, 630)


def fetch(transport, url: str) -> Image.Image:
    status, headers, body = transport.get(url)
    assert status == 200, status
    assert headers["Content-Type"].startswith("image/jpeg")
    return Image.open(io.BytesIO(body))


def test_the_picture_route_redirects_to_a_fresh_signed_share_picture(
    storage_app, backend, uploader, transport, factory, tmp_path
):
    response = uploader.upload(samples.jpeg(tmp_path, size=(1200, 2000)), DETAILS)
    assert response.status_code == 200, response.get_json()
    asset = db.session.get(Asset, response.get_json()["asset_id"])
    client = storage_app.test_client()
    assert client.get(f"/share/assets/{asset.id}.jpg").status_code == 404  # waiting for review
    services.approve(asset, factory.user("staff"))

    answer = client.get(f"/share/assets/{asset.id}.jpg")
    assert answer.status_code == 302
    assert answer.headers["Cache-Control"] == "public, max-age=225"  # a quarter of the link's 15 minutes
    location = answer.headers["Location"]
    if backend == "s3":
        assert "X-Amz-Signature" in location and urlsplit(location).path.endswith(asset.share_key)
    else:
        grant = get_storage().read_file_token(urlsplit(location).path.removeprefix("/media/file/"))
        assert grant is not None and grant.key == asset.share_key
    assert fetch(transport, location).size == SHARE_SIZE

    # Processed before share pictures existed: the preview (stored sideways, shown 2000x1200).
    asset.share_key = None
    db.session.commit()
    location = client.get(f"/share/assets/{asset.id}.jpg").headers["Location"]
    assert fetch(transport, location).size == (1280, 768)


def test_the_picture_route_answers_only_for_published_assets(storage_app, creator, factory):
    published = approved_asset(creator, "Terbit", share_key="assets/terbit/share.jpg")
    pending = approved_asset(creator, "Menunggu", share_key="assets/menunggu/share.jpg", approved_at=None)
    pending.status = PENDING_REVIEW
    ended = approved_asset(creator, "Habis Masa", share_key="assets/habis/share.jpg")
    ended.usable_until = (utcnow() - timedelta(days=3)).date()
    bare = approved_asset(creator, "Tanpa Gambar", kind="document")
    db.session.commit()
    staff = storage_app.test_client()
    Auth(staff).login(factory.user("staff"))  # who asks makes no difference: the picture is public
    for client in (storage_app.test_client(), staff):
        assert client.get(f"/share/assets/{published.id}.jpg").status_code == 302
        for missing in (pending.id, ended.id, 999_999):
            assert client.get(f"/share/assets/{missing}.jpg").status_code == 404
    answer = storage_app.test_client().get(f"/share/assets/{bare.id}.jpg")
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"{PUBLIC}/static/img/share-default.png"
