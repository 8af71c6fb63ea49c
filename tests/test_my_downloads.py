"""A business's downloads ("Unduhan saya", and ``GET /api/v1/me/downloads``): only its own, newest
first, with the licence, the credit line and a way to download again through the licensed
download; what the catalogue cards say (licence, a clip's length); and the web size's
dimensions noted where the rendition is made."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select

from koin_media.accounts.services import create_token
from koin_media.assets import routes, services
from koin_media.assets.models import AssetDownload
from koin_media.database import utcnow
from koin_media.extensions import db
from koin_media.i18n import wita_datetime
from koin_media.reference.models import Community
from koin_media.storage import get_storage

from . import samples
from .asset_helpers import approved_asset
from .conftest import PASSWORD, Auth, csrf_token
from .query_count import statements_of


def downloaded(asset, user, variant="original", minutes_ago=0) -> AssetDownload:
    """A download in the log, as record_download writes it."""
    download = AssetDownload(
        asset_id=asset.id,
        user_id=user.id,
        business_name=user.business_name,
        variant=variant,
        license=asset.license,
        credit_line=asset.credit_line,
        created_at=utcnow() - timedelta(minutes=minutes_ago),
    )
    db.session.add(download)
    db.session.commit()
    return download


def signed_in(app, user):
    client = app.test_client()
    assert Auth(client).login(user).status_code == 302
    return client


@pytest.fixture
def creator(factory):
    return factory.user("creator", name="Baiq Nurul")


@pytest.fixture
def ikm(factory):
    return factory.user("ikm", business_name="Kopi Sembalun Lestari")


# -- the page ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["creator", "school", "venue_manager", "staff"])
def test_only_businesses_have_a_download_history(app, factory, role):
    assert signed_in(app, factory.user(role)).get("/my/downloads").status_code == 403


def test_visitors_are_sent_to_log_in(client):
    response = client.get("/my/downloads")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_page_shows_each_download_with_its_licence_and_credit_line(app, factory, creator, ikm):
    photo = approved_asset(creator, "Pantai Kuta", license="CC-BY-SA-4.0", credit="Foto: Baiq Nurul")
    promo = approved_asset(creator, "Kebun Kopi", license="NTB-PROMO")
    older = downloaded(photo, ikm, "web", minutes_ago=90)
    newer = downloaded(promo, ikm, "original", minutes_ago=5)
    page = signed_in(app, ikm).get("/my/downloads").get_data(as_text=True)

    assert page.index("Kebun Kopi") < page.index("Pantai Kuta")  # newest first
    assert '<a href="https://creativecommons.org/licenses/by-sa/4.0/"' in page and "CC BY-SA 4.0" in page
    assert "Bebas untuk promosi lokal NTB, dengan mencantumkan kredit" in page  # no text to link: its terms
    assert photo.credit_line in page and promo.credit_line in page
    assert page.count('data-copy="credit-') == 2  # a copy button beside each credit line
    assert "Ukuran web" in page and "Asli" in page  # the variant each time, in Indonesian
    with app.test_request_context():
        for download in (older, newer):
            assert wita_datetime(download.created_at) in page  # the date in WITA, as everywhere
    # "Unduh lagi" posts to the ordinary licensed download, with the variant taken last time.
    form = re.search(rf'<form method="post" action="/assets/{photo.id}/download".*?</form>', page, re.S).group(0)
    assert 'name="variant" value="web"' in form and 'name="accept_license"' in form and "Unduh lagi" in form


def test_another_business_never_sees_them(app, factory, creator, ikm):
    secret = approved_asset(creator, "Tenun Rahasia")
    downloaded(secret, factory.user("ikm", business_name="Usaha Lain"))
    downloaded(approved_asset(creator, "Milik Sendiri"), ikm)
    page = signed_in(app, ikm).get("/my/downloads").get_data(as_text=True)
    assert "Milik Sendiri" in page and "Tenun Rahasia" not in page
    _t, token = create_token(ikm, "tests")
    items = app.test_client().get("/api/v1/me/downloads", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert [item["title"] for item in items["items"]] == ["Milik Sendiri"] and items["total"] == 1


def test_download_again_goes_through_the_licensed_download(app, creator, ikm, tmp_path):
    asset = approved_asset(creator, "Pantai Kuta")
    get_storage().put(asset.storage_key, samples.jpeg(tmp_path), "image/jpeg")
    downloaded(asset, ikm)
    client = signed_in(app, ikm)
    token = csrf_token(client, "/my/downloads")

    refused = client.post(f"/assets/{asset.id}/download", data={"variant": "original", "csrf_token": token})
    assert refused.status_code == 303 and refused.headers["Location"].endswith(f"/assets/{asset.id}")
    again = client.post(
        f"/assets/{asset.id}/download",
        data={"variant": "original", "accept_license": "y", "purpose": "social", "csrf_token": token},
    )
    assert again.status_code == 303 and "/media/file/" in again.headers["Location"]  # the signed link
    assert db.session.scalar(select(func.count()).select_from(AssetDownload)) == 2  # logged and counted again
    db.session.refresh(asset)
    assert asset.download_count == 1


def test_an_asset_taken_out_of_the_catalogue_shows_as_unavailable(app, creator, ikm):
    asset = approved_asset(creator, "Pantai Kuta")
    downloaded(asset, ikm)
    asset.status = "archived"
    db.session.commit()
    page = signed_in(app, ikm).get("/my/downloads").get_data(as_text=True)
    assert "Pantai Kuta" in page and "Tidak tersedia lagi" in page
    assert f'href="/assets/{asset.id}"' not in page and f"/assets/{asset.id}/download" not in page
    assert asset.credit_line in page  # the copy already downloaded is still credited


def test_a_download_keeps_the_terms_it_was_made_under(app, factory, creator, ikm, tmp_path):
    """A licence and credit edit approved after the download changes the asset, not the terms
    shown for the copy the business already took: page and API show what was recorded."""
    asset = approved_asset(creator, "Pantai Kuta", license="CC-BY-4.0", credit="Foto: Baiq Nurul")
    get_storage().put(asset.storage_key, samples.jpeg(tmp_path), "image/jpeg")
    client = signed_in(app, ikm)
    data = {"variant": "original", "accept_license": "y", "purpose": "social"}
    data["csrf_token"] = csrf_token(client, "/my/downloads")
    assert client.post(f"/assets/{asset.id}/download", data=data).status_code == 303
    then = asset.credit_line
    services.update_details(asset, {"license": "CC-BY-NC-4.0", "credit": "Foto: B. Nurul"}, creator)
    services.approve(asset, factory.user("staff"), edit_version=asset.pending_edit_version)
    assert (asset.license, asset.credit) == ("CC-BY-NC-4.0", "Foto: B. Nurul")

    page = client.get("/my/downloads").get_data(as_text=True)
    assert "CC BY 4.0" in page and "CC BY-NC" not in page and "by-nc" not in page
    assert then in page and asset.credit_line not in page
    _t, token = create_token(ikm, "tests")
    body = app.test_client().get("/api/v1/me/downloads", headers={"Authorization": f"Bearer {token}"}).get_json()
    (item,) = body["items"]
    assert (item["license"], item["credit_line"]) == ("CC-BY-4.0", then)
    assert item["license_url"] == "https://creativecommons.org/licenses/by/4.0/"
    # A download made now is under today's terms.
    assert client.post(f"/assets/{asset.id}/download", data=data).status_code == 303
    newest = db.session.scalars(select(AssetDownload).order_by(AssetDownload.id.desc())).first()
    assert (newest.license, newest.credit_line) == ("CC-BY-NC-4.0", asset.credit_line)


def test_the_migration_records_earlier_downloads_under_the_assets_terms(app, factory, creator, ikm):
    """Downloads made before the terms were recorded get the asset's licence and credit line as
    they are when the migration runs (its frozen copy of Asset.credit_line must agree)."""
    lombok = db.session.scalars(select(Community).order_by(Community.id)).first()
    assets = [
        approved_asset(creator, "Pantai Kuta", license="CC-BY-SA-4.0", credit="Foto: Baiq", community=lombok),
        approved_asset(creator, "Kebun Kopi", license="NTB-PROMO", credit=f"Baiq /  {lombok.name.upper()}"),
        approved_asset(factory.user("creator", name="Lalu Ahmad"), "Tenun", credit="", community=lombok),
    ]
    for asset in assets:
        downloaded(asset, ikm)
    expected = [(asset.license, asset.credit_line) for asset in assets]
    db.session.remove()
    downgrade(revision="0014_school_levels")
    upgrade()
    rows = db.session.execute(select(AssetDownload.license, AssetDownload.credit_line).order_by(AssetDownload.id)).all()
    assert [tuple(row) for row in rows] == expected


def assets_of_many_creators(factory, count: int) -> list:
    """Assets each of its own creator and community: a credit line loaded per row would show."""
    communities = db.session.scalars(select(Community).order_by(Community.id)).all()
    return [
        approved_asset(factory.user("creator"), f"Foto {n}", community=communities[n % len(communities)])
        for n in range(count)
    ]


def test_pages_are_one_query_each_however_long(app, factory, ikm):
    client = signed_in(app, ikm)
    assets = assets_of_many_creators(factory, 12)

    def statements(count):
        db.session.execute(AssetDownload.__table__.delete())
        db.session.commit()
        for asset in assets[:count]:
            downloaded(asset, ikm)
        client.get("/my/downloads")  # the first request of a session may write its last use
        return statements_of(lambda: client.get("/my/downloads"))

    assert len(statements(2)) == len(statements(12))


def test_older_downloads_follow_on_further_pages(app, creator, ikm, monkeypatch):
    monkeypatch.setattr(routes, "MY_DOWNLOADS_PER_PAGE", 3)
    for n in range(5):
        downloaded(approved_asset(creator, f"Foto nomor {n}"), ikm, minutes_ago=10 - n)
    client = signed_in(app, ikm)
    first = client.get("/my/downloads").get_data(as_text=True)
    titles = re.compile(r"<h2><a [^>]+>Foto nomor (\d)")
    assert titles.findall(first) == ["4", "3", "2"]
    older = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = client.get(older).get_data(as_text=True)
    assert titles.findall(second) == ["1", "0"] and 'rel="next"' not in second
    assert client.get("/my/downloads?before=abc").status_code == 200  # a mangled link shows the first page


# -- the API -------------------------------------------------------------------------------------


def test_api_lists_the_callers_downloads(app, factory, creator, ikm):
    shown = approved_asset(creator, "Pantai Kuta", license="CC-BY-4.0")
    gone = approved_asset(creator, "Ditarik")
    downloaded(gone, ikm, minutes_ago=30)
    downloaded(shown, ikm, "web")
    gone.status = "archived"
    db.session.commit()
    _t, token = create_token(ikm, "tests")
    client, headers = app.test_client(), {"Authorization": f"Bearer {token}"}
    body = client.get("/api/v1/me/downloads", headers=headers).get_json()
    assert (body["total"], body["page"], body["per_page"]) == (2, 1, 20)
    first, second = body["items"]
    assert first["title"] == "Pantai Kuta" and first["variant"] == "web" and first["available"] is True
    assert first["license_url"] == "https://creativecommons.org/licenses/by/4.0/"
    assert first["credit_line"] == shown.credit_line and first["downloaded_at"].endswith("Z")
    assert first["download"] == f"http://localhost/api/v1/assets/{shown.id}/download"
    assert second["title"] == "Ditarik" and second["available"] is False
    assert second["url"] is None and second["download"] is None and second["thumbnail"] is None

    _t, other = create_token(factory.user("creator"), "tests")
    assert client.get("/api/v1/me/downloads", headers={"Authorization": f"Bearer {other}"}).status_code == 403
    assert client.get("/api/v1/me/downloads").status_code == 401


def test_api_pages_do_not_grow_with_their_length(app, factory, ikm):
    _t, token = create_token(ikm, "tests")
    client, headers = app.test_client(), {"Authorization": f"Bearer {token}"}
    assets = assets_of_many_creators(factory, 10)

    def statements(count):
        for asset in assets[:count]:
            downloaded(asset, ikm)
        client.get("/api/v1/me/downloads", headers=headers)
        return statements_of(lambda: client.get("/api/v1/me/downloads", headers=headers))

    few = len(statements(2))
    assert few == len(statements(10))


# -- catalogue cards ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(None, ""), (0.4, "0:00"), (7, "0:07"), (59.6, "1:00"), (754, "12:34"), (3723, "1:02:03")],
)
def test_durations_read_as_a_player_shows_them(seconds, shown):
    assert routes.duration(seconds) == shown


def test_cards_show_the_licence_and_a_clips_length(client, creator):
    approved_asset(creator, "Fajar Mandalika", kind="video", duration_seconds=75.4, license="CC-BY-SA-4.0")
    approved_asset(creator, "Gendang Beleq", kind="audio", duration_seconds=3725, license="NTB-PROMO")
    approved_asset(creator, "Pantai Kuta", kind="image", license="CC-BY-4.0")
    page = client.get("/assets").get_data(as_text=True)
    cards = dict(re.findall(r"<h3>([^<]+)</h3>(.*?)</article>", page, re.S))
    video = page[page.index("Fajar Mandalika") - 800 : page.index("Fajar Mandalika")]
    assert '<span class="duration"' in video and ">1:15<" in video
    assert "CC BY-SA 4.0" in cards["Fajar Mandalika"]
    assert "Promosi NTB" in cards["Gendang Beleq"] and ">1:02:05<" in page
    assert "CC BY 4.0" in cards["Pantai Kuta"] and page.count('class="duration"') == 2


def test_cards_read_nothing_more_per_card(client, creator):
    def statements(count):
        for n in range(count):
            approved_asset(creator, f"Klip {count}-{n}", kind="video", duration_seconds=12)
        return statements_of(lambda: client.get("/assets"))

    assert len(statements(2)) == len(statements(8))


# -- the web size's dimensions -------------------------------------------------------------------


def upload(creator, path, filename, mime):
    details = {"title": filename, "license": "CC-BY-4.0", "consent": True}
    with path.open("rb") as stream:
        return services.store_simple_upload(creator, filename, mime, stream, details)


def test_the_web_size_names_its_dimensions(app, factory, creator, ikm, tmp_path):
    photo = upload(creator, samples.jpeg(tmp_path), "foto.jpg", "image/jpeg")  # 640x480, shot sideways
    clip = upload(creator, samples.mp4(tmp_path, duration=1.0), "klip.mp4", "video/mp4")
    sound = upload(creator, samples.m4a(tmp_path, duration=1.0), "suara.m4a", "audio/mp4")
    staff = factory.user("staff")
    for asset in (photo, clip, sound):
        services.approve(asset, staff)
    assert photo.media_info["web_dimensions"] == [480, 640]  # the preview, upright
    assert clip.media_info["web_dimensions"] == [640, 360]
    assert "web_dimensions" not in sound.media_info
    client = signed_in(app, ikm)
    assert "Ukuran web, 480 × 640" in client.get(f"/assets/{photo.id}").get_data(as_text=True)
    assert "Ukuran web, 640 × 360" in client.get(f"/assets/{clip.id}").get_data(as_text=True)
    page = client.get(f"/assets/{sound.id}").get_data(as_text=True)
    assert "Ukuran web" in page and " × " not in page


def test_a_web_rendition_made_later_notes_its_dimensions_too(app, factory, creator, ikm, tmp_path):
    clip = upload(creator, samples.mp4(tmp_path, duration=1.0), "klip.mp4", "video/mp4")
    services.approve(clip, factory.user("staff"))
    get_storage().delete(clip.web_key)  # processed before renditions existed, as far as it knows
    clip.web_key, clip.web_size_bytes, clip.media_info = None, None, {"format": "MPEG-4"}
    db.session.commit()
    page = signed_in(app, ikm).get(f"/assets/{clip.id}").get_data(as_text=True)
    assert "Ukuran web" not in page  # nothing to offer yet

    services.reprocess(clip)  # the rendition job alone
    db.session.refresh(clip)
    assert clip.media_info == {"format": "MPEG-4", "web_dimensions": [640, 360]}
    assert "Ukuran web, 640 × 360" in signed_in(app, ikm).get(f"/assets/{clip.id}").get_data(as_text=True)


# -- in a browser, on a phone and a desktop -------------------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize("viewport", [(390, 844), (1280, 800)], ids=["phone", "desktop"])
def test_download_again_and_copy_the_credit_in_chromium(make_app, live_server, browser, factory, tmp_path, viewport):
    app = make_app()
    with app.app_context():
        creator = factory.user("creator", name="Baiq Nurul")
        asset = approved_asset(creator, "Pantai Kuta Mandalika", credit="Foto: Baiq Nurul")
        get_storage().put(asset.storage_key, samples.jpeg(tmp_path), "image/jpeg")
        ikm = factory.user("ikm", business_name="Kopi Sembalun Lestari")
        downloaded(asset, ikm)
        email, credit_line, asset_id = ikm.email, asset.credit_line, asset.id
    server = live_server(app)
    width, height = viewport
    context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{server.url}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.press("#password", "Enter")
    page.goto(f"{server.url}/my/downloads")

    assert page.locator("h1").inner_text() == "Unduhan saya"
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling
    for target in (page.get_by_role("button", name="Unduh lagi"), page.get_by_role("button", name="Salin")):
        box = target.bounding_box()
        assert box["height"] >= 44 and box["x"] >= 0 and box["x"] + box["width"] <= width
    page.get_by_role("button", name="Salin").click()
    page.get_by_role("status").filter(has_text="Tersalin").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == credit_line

    page.get_by_label("Saya akan memakai media ini sesuai lisensinya").check()
    page.get_by_label("Untuk apa berkas ini Anda pakai?").select_option("social")  # asked again each time
    with page.expect_download() as download:
        page.get_by_role("button", name="Unduh lagi").click()
    assert download.value.suggested_filename == "Pantai Kuta Mandalika.jpg"
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(AssetDownload.asset_id == asset_id)) == 2
    assert errors == []
    context.close()
