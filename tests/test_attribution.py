"""Attribution people can paste (issue 11, point 3): the same words on the asset page, in "Unduhan
saya" and in the API, in Indonesian and English, plain and HTML, each naming the title, who made
it, the asset's page and the licence with its URL; hostile titles and credits stay text; a
download keeps the terms it was taken under; every licence has a page at /licenses/<code>."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from koin_media.accounts.services import create_token
from koin_media.assets import attribution
from koin_media.assets.models import DRAFT, AssetDownload
from koin_media.extensions import db
from koin_media.reference.models import Community

from .asset_helpers import approved_asset
from .conftest import Auth, csrf_token

PUBLIC = "https://koin.test"
HOSTILE_TITLE = 'Senja "Sembalun" </p><script>alert(1)</script>'
HOSTILE_CREDIT = "Baiq <img src=x onerror=alert(2)> & 'Nurul'"


@pytest.fixture
def site(make_app):
    app = make_app(PUBLIC_URL=PUBLIC)
    with app.app_context():
        yield app


@pytest.fixture
def creator(factory):
    phonegraphy = db.session.scalar(select(Community).where(Community.slug == "lombok-phonegraphy"))
    return factory.user("creator", name="Baiq Nurul", community=phonegraphy)


def bearer(user) -> dict:
    _token, secret = create_token(user, "tests")
    return {"Authorization": f"Bearer {secret}"}


class Tags(HTMLParser):
    """The elements of an HTML fragment, with their attributes, and its text."""

    def __init__(self, fragment: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text = ""
        self.feed(fragment)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text += data


# -- the words ------------------------------------------------------------------------------------


def test_the_plain_text_names_title_who_page_and_licence_in_both_languages(site, creator):
    asset = approved_asset(creator, "Senja di Sembalun", credit="Foto: Baiq Nurul", license="CC-BY-SA-4.0")
    page = f"{PUBLIC}/assets/{asset.id}"
    deed = "https://creativecommons.org/licenses/by-sa/4.0/"
    texts = attribution.texts(asset)
    assert texts["id"]["plain"] == (
        f"“Senja di Sembalun” — Foto: Baiq Nurul / Lombok Phonegraphy. Sumber: KOIN Media NTB, {page}. "
        f"Lisensi CC BY-SA 4.0: {deed}"
    )
    assert texts["en"]["plain"] == (
        f"“Senja di Sembalun” — Foto: Baiq Nurul / Lombok Phonegraphy. Source: KOIN Media NTB, {page}. "
        f"Licence CC BY-SA 4.0: {deed}"
    )
    # Whatever language the request is in: the text is always built in the one asked for.
    with site.test_request_context("/", headers={"Accept-Language": "en"}):
        assert attribution.plain(asset, "id") == texts["id"]["plain"]


def test_the_office_licence_points_at_its_own_page(site, creator):
    asset = approved_asset(creator, "Kopi Sembalun", license="NTB-PROMO")
    texts = attribution.texts(asset)
    # Named as people read it, in each language; the code is only in the link to its page.
    assert texts["id"]["plain"].endswith(f"Lisensi Promosi NTB: {PUBLIC}/licenses/NTB-PROMO")
    assert texts["en"]["plain"].endswith(f"Licence NTB promotion: {PUBLIC}/licenses/NTB-PROMO")
    assert f'<a href="{PUBLIC}/licenses/NTB-PROMO" rel="license">Promosi NTB</a>' in texts["id"]["html"]
    assert f'<a href="{PUBLIC}/licenses/NTB-PROMO" rel="license">NTB promotion</a>' in texts["en"]["html"]
    for lang in ("id", "en"):
        assert "Lisensi NTB-PROMO" not in texts[lang]["plain"] and "Licence NTB-PROMO" not in texts[lang]["plain"]


def test_the_html_links_title_site_and_licence(site, creator):
    asset = approved_asset(creator, "Tenun Sukarara", credit="Baiq Nurul")
    for lang, words in (("id", ("Sumber", "Lisensi")), ("en", ("Source", "Licence"))):
        fragment = Tags(attribution.texts(asset)[lang]["html"])
        assert fragment.tags == [
            ("p", {}),
            ("a", {"href": f"{PUBLIC}/assets/{asset.id}"}),
            ("a", {"href": f"{PUBLIC}/"}),
            ("a", {"href": "https://creativecommons.org/licenses/by/4.0/", "rel": "license"}),
        ]
        assert fragment.text == (
            f"“Tenun Sukarara” — Baiq Nurul / Lombok Phonegraphy. {words[0]}: KOIN Media NTB. {words[1]} CC BY 4.0"
        )


def test_a_hostile_title_and_credit_stay_text_in_the_html(site, creator):
    asset = approved_asset(creator, HOSTILE_TITLE, credit=HOSTILE_CREDIT)
    for lang in attribution.LANGUAGES:
        snippet = attribution.texts(asset)[lang]["html"]
        fragment = Tags(snippet)
        assert [tag for tag, _attrs in fragment.tags] == ["p", "a", "a", "a"]  # no script, no img, no early </p>
        assert HOSTILE_TITLE in fragment.text and HOSTILE_CREDIT in fragment.text  # shown as written
        assert "<script>" not in snippet and "&lt;script&gt;" in snippet and "&#34;Sembalun&#34;" in snippet
        assert "&#39;Nurul&#39;" in snippet and "&amp; " in snippet
        # The plain text is text: the title as written, for a caption.
        assert HOSTILE_TITLE in attribution.texts(asset)[lang]["plain"]


def test_the_asset_page_escapes_both_forms(site, creator):
    asset = approved_asset(creator, HOSTILE_TITLE, credit=HOSTILE_CREDIT)
    page = site.test_client().get(f"/assets/{asset.id}").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    # The HTML form is shown as its source (escaped once more), so copying it copies the markup.
    assert "&lt;p&gt;“&lt;a href=" in page and "&amp;lt;script&amp;gt;" in page


# -- the asset page -------------------------------------------------------------------------------


def test_the_asset_page_has_an_attribution_section_with_copy_buttons(site, creator):
    asset = approved_asset(creator, "Gendang Beleq", credit="Baiq Nurul")
    page = site.test_client().get(f"/assets/{asset.id}").get_data(as_text=True)
    section = page.split('<section class="attribution"')[1].split("</section>")[0]
    assert ">Atribusi</h2>" in section
    assert '<a href="https://creativecommons.org/licenses/by/4.0/" rel="license">' in section  # the URL visible
    for lang in ("id", "en"):
        for form in ("plain", "html"):
            assert f'data-copy="attribution-asset-{lang}-{form}"' in section
    plain_id = attribution.texts(asset)["id"]["plain"]
    assert f'<p class="credit-text" id="attribution-asset-id-plain">{plain_id}</p>' in section
    assert section.index("Bahasa Indonesia") < section.index("English")  # the page's language first, open
    assert '<details class="attribution-lang" open>\n    <summary lang="id">' in section
    assert "js/copy.js" in page
    # The licence on the page leads to its page.
    assert '<dd><a href="/licenses/CC-BY-4.0">' in page


def test_in_english_the_english_text_opens_first(site, creator):
    asset = approved_asset(creator, "Gendang Beleq")
    client = site.test_client()
    client.post("/language", data={"locale": "en", "csrf_token": csrf_token(client)})
    section = client.get(f"/assets/{asset.id}").get_data(as_text=True).split('<section class="attribution"')[1]
    assert ">Attribution</h2>" in section
    assert section.index("English") < section.index("Bahasa Indonesia")
    assert '<details class="attribution-lang" open>\n    <summary lang="en">' in section


def test_an_unpublished_asset_offers_no_attribution(site, creator):
    draft = approved_asset(creator, "Belum Selesai", approved_at=None)
    draft.status = DRAFT
    db.session.commit()
    client = site.test_client()
    Auth(client).login(creator)
    assert 'class="attribution"' not in client.get(f"/assets/{draft.id}").get_data(as_text=True)
    assert client.get(f"/api/v1/assets/{draft.id}").get_json()["attribution"] is None


def test_the_api_gives_the_attribution_of_a_published_asset(site, creator):
    asset = approved_asset(creator, "Pantai Kuta", credit="Baiq Nurul")
    data = site.test_client().get(f"/api/v1/assets/{asset.id}").get_json()
    assert data["attribution"] == attribution.texts(asset)
    assert set(data["attribution"]) == {"id", "en"} and set(data["attribution"]["en"]) == {"plain", "html"}


# -- a download's recorded terms ------------------------------------------------------------------


def taken(asset, user, purpose=None) -> AssetDownload:
    """A download as record_download writes it, with the asset's terms of that moment."""
    download = AssetDownload(
        asset_id=asset.id,
        user_id=user.id,
        business_name=user.business_name,
        variant="original",
        license=asset.license,
        credit_line=asset.credit_line,
        purpose=purpose,
    )
    db.session.add(download)
    db.session.commit()
    return download


def test_a_download_keeps_the_terms_it_was_taken_under(site, factory, creator):
    asset = approved_asset(creator, "Pantai Kuta", credit="Baiq Nurul", license="CC-BY-4.0")
    ikm = factory.user("ikm", business_name="Kopi Sembalun Lestari")
    download = taken(asset, ikm, purpose="social")
    asset.title, asset.credit, asset.license = "Pantai Kuta Mandalika", "Tim Lain", "NTB-PROMO"  # approved later
    db.session.commit()

    then = attribution.download_texts(download)
    assert then["id"]["plain"] == (
        f"“Pantai Kuta” — Baiq Nurul / Lombok Phonegraphy. Sumber: KOIN Media NTB, {PUBLIC}/assets/{asset.id}. "
        "Lisensi CC BY 4.0: https://creativecommons.org/licenses/by/4.0/"
    )
    assert "Tim Lain" not in str(then) and "NTB-PROMO" not in str(then)

    client = site.test_client()
    Auth(client).login(ikm)
    page = client.get("/my/downloads").get_data(as_text=True)
    assert then["id"]["plain"] in page and f'data-copy="attribution-{download.id}-en-html"' in page
    assert "Untuk: Unggahan media sosial" in page  # what it was for
    [item] = client.get("/api/v1/me/downloads", headers=bearer(ikm)).get_json()["items"]
    assert item["attribution"] == then and item["purpose"] == "social"


def test_a_recorded_line_that_cannot_be_split_is_credited_whole(site, factory, creator):
    asset = approved_asset(creator, "Pagi — Siang — Malam", credit="Baiq — Nurul", community=None)
    download = taken(asset, factory.user("ikm"))
    asset.title = "Judul Baru"  # the recorded line no longer starts with the title
    db.session.commit()
    plain = attribution.download_texts(download)["en"]["plain"]
    assert plain.startswith("Pagi — Siang — Malam — Baiq — Nurul. Source: KOIN Media NTB")
    assert "CC-BY-4.0 (KOIN Media NTB)" not in plain  # the licence code is said once, as a licence


def test_a_title_with_a_dash_is_still_told_apart_from_its_creator(site, factory, creator):
    asset = approved_asset(creator, "Pagi — Senja di Kuta", credit="Baiq", community=None)
    download = taken(asset, factory.user("ikm"))
    assert attribution.download_texts(download)["id"]["plain"].startswith("“Pagi — Senja di Kuta” — Baiq. Sumber")


def test_an_old_download_without_terms_has_no_attribution(site, factory, creator):
    asset = approved_asset(creator, "Lama")
    download = taken(asset, factory.user("ikm"))
    download.license = download.credit_line = None
    db.session.commit()
    assert attribution.download_texts(download) is None


# -- the licence pages ----------------------------------------------------------------------------

HEADINGS = {"CC-BY-4.0": "CC BY 4.0", "CC-BY-SA-4.0": "CC BY-SA 4.0", "CC-BY-NC-4.0": "CC BY-NC 4.0",
            "NTB-PROMO": "Promosi NTB"}  # fmt: skip


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("CC-BY-4.0", ["https://creativecommons.org/licenses/by/4.0/", "Juga untuk penggunaan komersial"]),
        ("CC-BY-SA-4.0", ["https://creativecommons.org/licenses/by-sa/4.0/", "Berbagi serupa"]),
        ("CC-BY-NC-4.0", ["https://creativecommons.org/licenses/by-nc/4.0/", "Tidak untuk penggunaan komersial"]),
        (
            "NTB-PROMO",
            [
                'lang="id"',
                'lang="en"',
                "produk lokal NTB (IKM) dan pariwisata NTB",
                "Wajib mencantumkan kredit",
                "Berkasnya tidak boleh dijual",
                "Tidak menyesatkan atau merendahkan",
                "promote NTB's local products (IKM) and tourism",
                "Credit is required",
                "No resale of the file",
                "No misleading or demeaning use",
            ],
        ),
    ],
)
def test_every_licence_has_a_page(site, code, words):
    response = site.test_client().get(f"/licenses/{code}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and f"<h1>Lisensi {HEADINGS[code]}</h1>" in page
    for word in words:
        assert word in page, word
    assert ("creativecommons.org" in page) == code.startswith("CC-")


@pytest.mark.parametrize("code", ["CC0", "cc-by-4.0", "NTB-PROMO%20", "%3Cscript%3E"])
def test_an_unknown_licence_is_a_404_page(site, code):
    response = site.test_client().get(f"/licenses/{code}")
    page = response.get_data(as_text=True)
    assert response.status_code == 404 and "text/html" in response.content_type
    assert "Tidak ada lisensi dengan kode ini." in page and "<script>" not in page
