"""What a download is for (issue 11, point 3): the download dialog asks (required, in Indonesian),
the API accepts it (optional there, an unknown value is a 422 naming the field), it is recorded
on the download, and the creator sees it on "Who downloaded" with a count per purpose and in the
weekly digest; downloads from before it was asked show "tidak disebutkan"."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from koin_media.accounts.services import create_token
from koin_media.assets.downloads import DownloadRefused, record_download
from koin_media.assets.models import DOWNLOAD_PURPOSES, AssetDownload
from koin_media.extensions import db
from koin_media.notifications import digest
from koin_media.notifications.models import ASSET_DIGEST, OutboxMessage
from koin_media.storage import get_storage

from . import samples
from .asset_helpers import approved_asset
from .conftest import Auth, csrf_token
from .test_creator_notices import week_day


@pytest.fixture
def creator(factory):
    return factory.user("creator", name="Baiq Nurul")


@pytest.fixture
def ikm(factory):
    return factory.user("ikm", business_name="Kopi Sembalun Lestari")


@pytest.fixture
def stored(creator, tmp_path):
    """A published photo whose file is in the store, so that a download goes through."""
    asset = approved_asset(creator, "Kebun Kopi Sembalun")
    get_storage().put(asset.storage_key, samples.jpeg(tmp_path), "image/jpeg")
    return asset


def signed_in(app, user):
    client = app.test_client()
    assert Auth(client).login(user).status_code == 302
    return client


def bearer(user) -> dict:
    _token, secret = create_token(user, "tests")
    return {"Authorization": f"Bearer {secret}"}


def logged() -> list[tuple[str, str | None]]:
    return [(d.business_name, d.purpose) for d in db.session.scalars(select(AssetDownload).order_by(AssetDownload.id))]


def download_on_the_page(client, asset, **fields):
    page = f"/assets/{asset.id}"
    data = {"variant": "original", "accept_license": "y", "csrf_token": csrf_token(client, page), **fields}
    return client.post(f"{page}/download", data=data)


# -- the page -------------------------------------------------------------------------------------


def test_the_dialog_asks_what_the_file_is_for(app, stored, ikm):
    page = signed_in(app, ikm).get(f"/assets/{stored.id}").get_data(as_text=True)
    form = page.split('class="form download-form"')[1].split("</form>")[0]
    assert "<legend>Untuk apa berkas ini Anda pakai?</legend>" in form
    for code in DOWNLOAD_PURPOSES:
        assert f'name="purpose" required type="radio" value="{code}"' in form
    for label in ("Kemasan atau label", "Unggahan media sosial", "Cetak (poster, brosur, spanduk)", "Lainnya"):
        assert label in form


def test_a_purpose_is_required_on_the_page(app, stored, ikm):
    client = signed_in(app, ikm)
    refused = download_on_the_page(client, stored)
    assert refused.status_code == 303 and refused.headers["Location"].endswith(f"/assets/{stored.id}")
    assert "Pilih untuk apa berkas ini Anda pakai." in client.get(f"/assets/{stored.id}").get_data(as_text=True)
    assert logged() == []  # nothing handed out, nothing counted
    assert stored.download_count == 0


@pytest.mark.parametrize(
    ("purpose", "message"),
    [
        ("jualan", "Pilih salah satu kegunaan dalam daftar."),
        ("Social", "Pilih salah satu kegunaan dalam daftar."),
        ("social ", "Pilih salah satu kegunaan dalam daftar."),
        ("", "Pilih untuk apa berkas ini Anda pakai."),
    ],
)
def test_an_unknown_purpose_is_refused_on_the_page(app, stored, ikm, purpose, message):
    client = signed_in(app, ikm)
    assert download_on_the_page(client, stored, purpose=purpose).status_code == 303
    assert message in client.get(f"/assets/{stored.id}").get_data(as_text=True)
    assert logged() == []


def test_the_purpose_is_recorded(app, stored, ikm):
    response = download_on_the_page(signed_in(app, ikm), stored, purpose="packaging")
    assert response.status_code == 303 and "/media/file/" in response.headers["Location"]
    assert logged() == [("Kopi Sembalun Lestari", "packaging")]


def test_download_again_asks_again_with_the_last_purpose_chosen(app, stored, ikm):
    client = signed_in(app, ikm)
    download_on_the_page(client, stored, purpose="print")
    form = client.get("/my/downloads").get_data(as_text=True).split('class="redownload"')[1].split("</form>")[0]
    assert re.search(r'<select id="purpose-\d+" name="purpose" required>', form)
    assert '<option value="print" selected>' in form and '<option value="social">' in form


def test_the_service_refuses_an_unknown_purpose_whoever_calls_it(app, stored, ikm):
    with pytest.raises(DownloadRefused):
        record_download(stored, ikm, "original", stored.storage_key, purpose="resale")
    assert logged() == [] and db.session.scalar(select(func.count()).select_from(AssetDownload)) == 0


# -- the API --------------------------------------------------------------------------------------


def test_the_api_records_a_purpose_and_lets_it_out(app, stored, ikm):
    client, headers = app.test_client(), bearer(ikm)
    url = f"/api/v1/assets/{stored.id}/download"
    assert client.post(url, json={"accept_license": True, "purpose": "video"}, headers=headers).status_code == 200
    assert client.post(url, json={"accept_license": True}, headers=headers).status_code == 200
    assert logged() == [("Kopi Sembalun Lestari", "video"), ("Kopi Sembalun Lestari", None)]
    items = client.get("/api/v1/me/downloads", headers=headers).get_json()["items"]
    assert [item["purpose"] for item in items] == [None, "video"]


@pytest.mark.parametrize("purpose", ["jualan", "SOCIAL", 3, ["social"], {"a": 1}, True])
def test_the_api_refuses_an_unknown_purpose_naming_the_field(app, stored, ikm, purpose):
    response = app.test_client().post(
        f"/api/v1/assets/{stored.id}/download", json={"accept_license": True, "purpose": purpose}, headers=bearer(ikm)
    )
    body = response.get_json()
    assert response.status_code == 422 and body["error"] == "validation_failed"
    assert list(body["errors"]) == ["purpose"] and body["errors"]["purpose"][0]
    assert logged() == []


def test_the_api_message_follows_the_caller_language(app, stored, ikm):
    url, headers = f"/api/v1/assets/{stored.id}/download", bearer(ikm)
    body = {"accept_license": True, "purpose": "jualan"}
    indonesian = app.test_client().post(url, json=body, headers=headers).get_json()
    english = app.test_client().post(url, json=body, headers={**headers, "Accept-Language": "en"}).get_json()
    assert indonesian["errors"]["purpose"] == ["Pilih salah satu kegunaan dalam daftar."]
    assert english["errors"]["purpose"] == ["Choose one of the uses in the list."]


# -- what the creator sees ------------------------------------------------------------------------


def add_download(asset, user, purpose, when=None) -> None:
    download = AssetDownload(
        asset_id=asset.id, user_id=user.id, business_name=user.business_name, variant="original", purpose=purpose
    )
    if when is not None:
        download.created_at = when
    db.session.add(download)
    db.session.commit()


def test_who_downloaded_shows_each_purpose_and_a_count_per_purpose(app, factory, creator, ikm):
    asset = approved_asset(creator, "Tenun Sukarara")
    other = factory.user("ikm", business_name="Tenun Pringgasela")
    for user, purpose in ((ikm, "social"), (ikm, "social"), (other, "social"), (other, "packaging"), (ikm, None)):
        add_download(asset, user, purpose)
    page = signed_in(app, creator).get(f"/assets/{asset.id}/downloads").get_data(as_text=True)
    counts = page.split('<ul class="purpose-counts">')[1].split("</ul>")[0]
    assert "<span>Unggahan media sosial</span> <strong>3</strong>" in counts
    assert "<span>Kemasan atau label</span> <strong>1</strong>" in counts
    assert "<span>tidak disebutkan</span> <strong>1</strong>" in counts  # from before the dialog asked
    assert counts.index("Unggahan media sosial") < counts.index("Kemasan atau label")  # most first
    table = page.split("<tbody>")[1].split("</tbody>")[0]
    rows = [row for row in table.split("<tr>")[1:]]
    assert len(rows) == 4  # Kopi/social, Kopi/unsaid, Pringgasela/social, Pringgasela/packaging
    assert any("Kopi Sembalun Lestari" in row and "Unggahan media sosial" in row and ">2<" in row for row in rows)
    assert any("Kopi Sembalun Lestari" in row and "tidak disebutkan" in row for row in rows)


@pytest.mark.parametrize(
    ("locale", "line"),
    [
        ("id", "  Untuk: Unggahan media sosial (2), Cetak (poster, brosur, spanduk) (1), tidak disebutkan (1)"),
        ("en", "  For: Social media post (2), Print (poster, brochure, banner) (1), not stated (1)"),
    ],
)
def test_the_digest_says_what_each_asset_was_downloaded_for(app, factory, creator, ikm, locale, line):
    creator.locale = locale
    week = digest.last_week()
    kopi, tenun = approved_asset(creator, "Kopi Sembalun"), approved_asset(creator, "Tenun Sukarara")
    for purpose in ("social", "print", None, "social"):
        add_download(kopi, ikm, purpose, week_day(week, 2))
    add_download(tenun, ikm, "packaging", week_day(week, 3))
    digest.send_digests(week)
    body = db.session.scalar(select(OutboxMessage.body_text).where(OutboxMessage.kind == ASSET_DIGEST))
    kopi_part = body.split("“Kopi Sembalun”")[1].split("“Tenun Sukarara”")[0]
    assert line + "\n" in kopi_part
    tenun_part = body.split("“Tenun Sukarara”")[1]
    assert ("Kemasan atau label (1)" if locale == "id" else "Packaging or label (1)") in tenun_part
