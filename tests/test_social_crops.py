"""Social media formats (issue 11, point 2): a photo's 1:1, 4:5, 9:16 and 1.91:1 crops around the
focus point its creator sets, and a 1200x630 share picture for every kind of asset.

The crops are measured on real JPEGs: a red square painted where the subject is must be inside
every crop, where the crop's box puts it (at its centre, unless the box met the picture's edge).
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from urllib.parse import unquote

import pytest
from PIL import Image, ImageChops, ImageDraw
from sqlalchemy import select

from koin_media.accounts.services import create_token
from koin_media.assets import crops as asset_crops
from koin_media.assets.models import APPROVED, Asset, AssetDownload
from koin_media.assets.services import approve
from koin_media.extensions import db
from koin_media.media import crops
from koin_media.media.processing import process
from koin_media.storage import get_storage

from . import samples
from .asset_helpers import DETAILS, Uploader, approved_asset
from .conftest import Auth, csrf_token

SIZES = {"1x1": (1080, 1080), "4x5": (1080, 1350), "9x16": (1080, 1920), "191x1": (1200, 630)}
RED = (230, 20, 20)
SQUARE = 60  # the subject's side in pixels of the source


# -- pictures ------------------------------------------------------------------------------------


def photo(path: Path, size: tuple[int, int], subject: tuple[float, float], *, orientation: int | None = None) -> Path:
    """A JPEG of ``size`` as seen upright, grey with a gradient, and a red square centred at
    ``subject`` (fractions). With ``orientation`` (EXIF 6: turn 90° clockwise to view) the
    pixels are stored sideways, as phones do."""
    width, height = size
    img = Image.new("RGB", size, (90, 110, 100))
    draw = ImageDraw.Draw(img)
    for x in range(0, width, 50):
        draw.line((x, 0, x, height), fill=(90 + x * 60 // width, 110, 100))
    cx, cy = subject[0] * width, subject[1] * height
    draw.rectangle((cx - SQUARE / 2, cy - SQUARE / 2, cx + SQUARE / 2 - 1, cy + SQUARE / 2 - 1), fill=RED)
    exif = Image.Exif()
    if orientation == 6:
        img = img.transpose(Image.Transpose.ROTATE_90)  # what exif_transpose turns back
        exif[0x0112] = 6
    img.save(path, "JPEG", quality=92, exif=exif.tobytes())
    return path


def red_centre(img: Image.Image) -> tuple[float, float] | None:
    """The centre of the red pixels, as fractions of ``img``; None when there are none."""
    red, green, blue = img.convert("RGB").split()
    mask = ImageChops.multiply(
        ImageChops.multiply(red.point(lambda v: 255 if v > 150 else 0), green.point(lambda v: 255 if v < 90 else 0)),
        blue.point(lambda v: 255 if v < 90 else 0),
    )
    box = mask.getbbox()
    if box is None:
        return None
    return (box[0] + box[2]) / 2 / img.width, (box[1] + box[3]) / 2 / img.height


def expected_box(width, height, target, focus):
    """The crop's box, worked out here on its own: the largest box of the target's ratio, its
    centre on the focus point, moved back inside the picture."""
    ratio = target[0] / target[1]
    if width / height >= ratio:
        box_w, box_h = round(height * ratio), height
    else:
        box_w, box_h = width, round(width / ratio)
    left = min(max(focus[0] * width - box_w / 2, 0), width - box_w)
    top = min(max(focus[1] * height - box_h / 2, 0), height - box_h)
    return left, top, box_w, box_h


def processed(tmp_path, source: Path, focus=None, mime="image/jpeg", kind="image"):
    result = process(source, kind, mime, tmp_path / "out", focus=focus)
    return result, {r.name: r for r in result.renditions}


# -- the pure geometry and the pipeline's pictures -------------------------------------------


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((3000, 2000), SIZES),  # landscape
        ((2000, 3000), SIZES),  # portrait
        ((4000, 1000), {"1x1": (1000, 1000), "4x5": (800, 1000), "9x16": (562, 1000), "191x1": (1200, 630)}),
        ((1500, 1000), {"1x1": (1000, 1000), "4x5": (800, 1000), "9x16": (562, 1000), "191x1": (1200, 630)}),
        # smaller than every format: each crop keeps its ratio at the source's own size
        ((800, 600), {"1x1": (600, 600), "4x5": (480, 600), "9x16": (338, 600), "191x1": (800, 420)}),
        ((300, 500), {"1x1": (300, 300), "4x5": (300, 375), "9x16": (281, 500), "191x1": (300, 158)}),
    ],
)
def test_every_crop_has_its_exact_size_and_is_never_enlarged(tmp_path, size, expected):
    result, made = processed(tmp_path, photo(tmp_path / "in.jpg", size, (0.5, 0.5)))
    assert (result.width, result.height) == size
    for name, dimensions in expected.items():
        rendition = made[f"crop_{name}"]
        with Image.open(rendition.path) as img:
            assert img.size == dimensions == (rendition.width, rendition.height), name
            assert img.format == "JPEG"
    with Image.open(made["share"].path) as share:
        assert share.size == (1200, 630)  # a link preview has one size, even from a small photo


@pytest.mark.parametrize(
    ("size", "subject"),
    [((3000, 2000), (0.85, 0.2)), ((3000, 2000), (0.6, 0.45)), ((2000, 3000), (0.3, 0.7)), ((3000, 2000), None)],
)
def test_the_subject_at_the_focus_point_is_in_every_crop_where_its_box_puts_it(tmp_path, size, subject):
    focus = subject or (0.5, 0.5)  # None: no focus set, the centre
    _result, made = processed(tmp_path, photo(tmp_path / "in.jpg", size, focus), focus=subject)
    for name, target in SIZES.items():
        left, top, box_w, box_h = expected_box(*size, target, focus)
        want = ((focus[0] * size[0] - left) / box_w, (focus[1] * size[1] - top) / box_h)
        with Image.open(made[f"crop_{name}"].path) as img:
            found = red_centre(img)
        assert found is not None, f"{name}: the subject is cut off"
        assert found == pytest.approx(want, abs=0.015), name
        for axis, fraction, start, length, whole in (
            (0, focus[0], left, box_w, size[0]),
            (1, focus[1], top, box_h, size[1]),
        ):
            if 0 < start < whole - length:  # the box did not meet an edge on this axis: centred
                assert found[axis] == pytest.approx(0.5, abs=0.015), (name, axis, fraction)


def test_a_subject_near_an_edge_is_as_near_the_centre_as_the_picture_allows(tmp_path):
    # 0.85 across: every box is pushed against the right edge, none cuts the subject off
    _result, made = processed(tmp_path, photo(tmp_path / "in.jpg", (3000, 2000), (0.85, 0.2)), focus=(0.85, 0.2))
    with Image.open(made["crop_1x1"].path) as img:
        assert red_centre(img)[0] == pytest.approx((2550 - 1000) / 2000, abs=0.015)
    with Image.open(made["crop_191x1"].path) as img:
        assert red_centre(img)[1] == pytest.approx(400 / 1575, abs=0.015)  # pushed to the top edge


def test_exif_orientation_is_applied_before_cropping(tmp_path):
    # Stored sideways (3000x2000 pixels, orientation 6): upright it is a 2000x3000 portrait.
    source = photo(tmp_path / "in.jpg", (2000, 3000), (0.3, 0.7), orientation=6)
    with Image.open(source) as stored:
        assert stored.size == (3000, 2000)
    result, made = processed(tmp_path, source, focus=(0.3, 0.7))
    assert (result.width, result.height) == (2000, 3000)
    left, top, box_w, box_h = expected_box(2000, 3000, SIZES["9x16"], (0.3, 0.7))
    with Image.open(made["crop_9x16"].path) as img:
        assert img.size == (1080, 1920)
        assert red_centre(img) == pytest.approx(((600 - left) / box_w, (2100 - top) / box_h), abs=0.015)


def test_crops_carry_no_metadata_of_the_original(tmp_path):
    source = tmp_path / "gps.jpg"
    img = Image.new("RGB", (2400, 1600), (20, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(0x8825)[2] = (8.0, 35.0, 0.0)  # GPSLatitude
    img.save(source, "JPEG", exif=exif.tobytes(), comment=b"secret place")
    _result, made = processed(tmp_path, source)
    for name in [*(f"crop_{n}" for n in SIZES), "share"]:
        with Image.open(made[name].path) as out:
            assert not out.getexif() and "exif" not in out.info and "comment" not in out.info, name


def test_crop_box_stays_inside_for_any_focus():
    for focus in [(0, 0), (1, 1), (0, 1), (1, 0), (0.5, 0.5), (-3, 7)]:
        for width, height in [(3000, 2000), (2000, 3000), (1, 1), (7, 3000)]:
            for target in SIZES.values():
                left, top, right, bottom = crops.crop_box(width, height, target, focus)
                assert 0 <= left < right <= width and 0 <= top < bottom <= height


@pytest.mark.parametrize(
    ("make", "kind", "mime"),
    [
        (samples.mp4, "video", "video/mp4"),  # from its poster
        (samples.mp3_with_cover, "audio", "audio/mpeg"),  # from its cover
        (samples.pdf, "document", "application/pdf"),  # from its first page
    ],
)
def test_every_other_kind_gets_a_1200x630_share_picture(tmp_path, make, kind, mime):
    _result, made = processed(tmp_path, make(tmp_path), mime=mime, kind=kind)
    assert not any(name.startswith("crop_") for name in made)  # crops are for photos
    with Image.open(made["share"].path) as share:
        assert share.size == (1200, 630) and not share.getexif()


def test_a_wide_picture_fills_the_share_picture_and_a_tall_one_is_shown_whole():
    wide = Image.new("RGB", (1600, 900), (0, 0, 255))
    wide.paste((0, 200, 0), (800, 0, 1600, 900))
    filled = crops.share_picture(wide)
    assert filled.size == (1200, 630)
    assert filled.getpixel((5, 315))[2] > 200 and filled.getpixel((1194, 315))[1] > 150  # edge to edge
    tall = Image.new("RGB", (600, 1200), (220, 30, 30))  # a PDF page, an upright phone video
    shown = crops.share_picture(tall)
    assert shown.size == (1200, 630)
    assert shown.getpixel((600, 5))[0] > 200 and shown.getpixel((600, 624))[0] > 200  # the whole height
    assert shown.getpixel((20, 315))[0] < 160  # beside it, its darkened blur, not the picture


# -- through the app: upload, focus change, downloads, backfill, API ---------------------------


@pytest.fixture
def photo_asset(storage_app, transport, factory, tmp_path):
    """A 3000x2000 photo with its subject at (0.85, 0.2), uploaded and processed by its creator."""
    creator = factory.user("creator", name="Baiq Nurul")
    _token, plain = create_token(creator, "tests")
    source = photo(tmp_path / "Sunrise.jpg", (3000, 2000), (0.85, 0.2))
    body = Uploader(storage_app.test_client(), transport, plain).upload(source, DETAILS).get_json()
    return db.session.get(Asset, body["asset_id"])


def published(asset: Asset, factory) -> Asset:
    approve(asset, factory.user("staff"))
    return asset


def stored_picture(key: str) -> Image.Image:
    return Image.open(BytesIO(b"".join(get_storage().iter_chunks(key))))


def signed_in(app, user):
    client = app.test_client()
    Auth(client).login(user)
    return client


def bearer(user) -> dict:
    return {"Authorization": f"Bearer {create_token(user, 'tests')[1]}"}


def test_processing_stores_the_crops_and_share_picture_with_their_sizes(photo_asset):
    asset = photo_asset
    assert asset.status == "pending_review"
    assert set(asset.crop_keys) == set(SIZES) and asset.share_key
    assert asset.media_info["crops"] == {name: list(size) for name, size in SIZES.items()}
    storage = get_storage()
    for ratio, key in asset.crop_keys.items():
        assert key.startswith(f"assets/{asset.uuid}/crop_{ratio}-") and storage.head(key) is not None
        assert asset.media_info["crop_bytes"][ratio] == storage.head(key).size
    assert stored_picture(asset.share_key).size == (1200, 630)


def test_a_new_focus_recrops_keeps_the_status_and_removes_the_old_crops(storage_app, photo_asset, factory):
    asset = published(photo_asset, factory)
    old_keys = {*asset.crop_keys.values(), asset.share_key}
    client = signed_in(storage_app, asset.owner)
    page = f"/assets/{asset.id}/edit"
    form = client.get(page).get_data(as_text=True)
    assert 'id="focus"' in form and 'name="focus_x"' in form and 'value="50.0"' in form
    response = client.post(
        f"/assets/{asset.id}/focus", data={"focus_x": "20", "focus_y": "80", "csrf_token": csrf_token(client, page)}
    )
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/assets/{asset.id}/edit#focus")
    db.session.expire_all()
    asset = db.session.get(Asset, asset.id)
    assert asset.status == APPROVED and (asset.focus_x, asset.focus_y) == (0.2, 0.8)
    new_keys = {*asset.crop_keys.values(), asset.share_key}
    assert not new_keys & old_keys
    storage = get_storage()
    assert all(storage.head(key) is not None for key in new_keys)
    assert all(storage.head(key) is None for key in old_keys)  # deleted once the new ones were recorded
    # the red subject at (0.85, 0.2) is now outside the square around (0.2, 0.8)
    assert red_centre(stored_picture(asset.crop_keys["1x1"])) is None
    assert "focus-pending" not in client.get(page).get_data(as_text=True)  # nothing left to make


def test_only_those_who_manage_a_photo_move_its_focus(storage_app, photo_asset, factory):
    asset = published(photo_asset, factory)
    for intruder in (factory.user("creator"), factory.user("ikm")):
        client = signed_in(storage_app, intruder)
        response = client.post(
            f"/assets/{asset.id}/focus", data={"focus_x": "10", "focus_y": "10", "csrf_token": csrf_token(client)}
        )
        assert response.status_code in (403, 404)
    staff = signed_in(storage_app, factory.user("staff"))
    response = staff.post(
        f"/assets/{asset.id}/focus", data={"focus_x": "10", "focus_y": "10", "csrf_token": csrf_token(staff)}
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert (db.session.get(Asset, asset.id).focus_x, db.session.get(Asset, asset.id).focus_y) == (0.1, 0.1)


@pytest.mark.parametrize("value", ["101", "-1", "abc", "nan", "inf", ""])
def test_a_focus_outside_the_picture_is_refused_in_words(storage_app, photo_asset, value):
    client = signed_in(storage_app, photo_asset.owner)
    response = client.post(
        f"/assets/{photo_asset.id}/focus",
        data={"focus_x": value, "focus_y": "50", "csrf_token": csrf_token(client)},
        headers={"Accept-Language": "id"},
    )
    assert response.status_code == 422
    assert "Mendatar" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Asset, photo_asset.id).focus_x == 0.5


def test_each_crop_downloads_under_its_own_name_and_is_logged(storage_app, photo_asset, factory, transport):
    asset = published(photo_asset, factory)
    business = factory.user("ikm", business_name="Kopi Sembalun")
    page = signed_in(storage_app, business).get(f"/assets/{asset.id}", headers={"Accept-Language": "id"})
    html = page.get_data(as_text=True)
    labels = ("Instagram 1:1 (1080 × 1080)", "Instagram 4:5 (1080 × 1350)", "Story/Reels/WhatsApp 9:16 (1080 × 1920)")
    for label in (*labels, "Pratinjau tautan 1.91:1 (1200 × 630)"):
        assert label in html
    client = storage_app.test_client()
    for ratio, size in SIZES.items():
        answer = client.post(
            f"/api/v1/assets/{asset.id}/download",
            json={"variant": f"crop_{ratio}", "accept_license": True, "purpose": "social"},
            headers=bearer(business),
        )
        assert answer.status_code == 200, answer.get_json()
        status, headers, body = transport.get(answer.get_json()["url"])
        assert status == 200 and Image.open(BytesIO(body)).size == size
        assert f"Tenun Sukarara ({ratio}).jpg" in unquote(headers["Content-Disposition"])
    logged = db.session.scalars(select(AssetDownload.variant).where(AssetDownload.asset_id == asset.id)).all()
    assert sorted(logged) == sorted(f"crop_{ratio}" for ratio in SIZES)
    db.session.expire_all()
    assert db.session.get(Asset, asset.id).download_count == 4


def test_the_asset_json_shows_focus_and_crops(storage_app, photo_asset, factory):
    asset = published(photo_asset, factory)
    body = storage_app.test_client().get(f"/api/v1/assets/{asset.id}").get_json()
    assert body["focus"] == {"x": 0.5, "y": 0.5}
    assert body["crops"]["9x16"] == {"variant": "crop_9x16", "width": 1080, "height": 1920}
    offered = {option["variant"]: option for option in body["downloads"]}
    assert offered["crop_191x1"]["width"] == 1200 and offered["crop_191x1"]["size_bytes"] > 0


@pytest.mark.parametrize("sent", [{"focus_x": 1.5}, {"focus_y": -0.1}, {"focus_x": "0.5"}, {"focus_x": True},
                                  {"focus_x": None}, {"focus_x": [0.5]}, {"focus_y": {"v": 1}}])  # fmt: skip
def test_the_api_takes_a_focus_from_0_to_1_only(storage_app, photo_asset, sent):
    answer = storage_app.test_client().post(
        f"/api/v1/assets/{photo_asset.id}", json={"title": "Judul baru", **sent}, headers=bearer(photo_asset.owner)
    )
    assert answer.status_code == 422
    body = answer.get_json()
    assert body["error"] == "validation_failed" and set(body["errors"]) == set(sent)
    db.session.expire_all()
    unchanged = db.session.get(Asset, photo_asset.id)
    assert (unchanged.focus_x, unchanged.focus_y, unchanged.title) == (0.5, 0.5, "Tenun Sukarara")


def test_the_api_moves_the_focus_and_the_crops_follow(storage_app, photo_asset, factory):
    asset = published(photo_asset, factory)
    before = dict(asset.crop_keys)
    answer = storage_app.test_client().post(
        f"/api/v1/assets/{asset.id}", json={"focus_x": 0.85, "focus_y": 0.2}, headers=bearer(asset.owner)
    )
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["focus"] == {"x": 0.85, "y": 0.2} and answer.get_json()["status"] == APPROVED
    db.session.expire_all()
    asset = db.session.get(Asset, asset.id)
    assert asset.crop_keys != before
    # 1080 px square from 2000 px: the subject (60 px there) sits where the edge put it
    assert red_centre(stored_picture(asset.crop_keys["1x1"]))[0] == pytest.approx(0.775, abs=0.015)


def test_a_video_has_no_focus_and_no_crops_to_download(app, factory):
    video = approved_asset(factory.user("creator"), "Bau Nyale", kind="video")
    owner = bearer(video.owner)
    answer = app.test_client().post(f"/api/v1/assets/{video.id}", json={"focus_x": 0.3}, headers=owner)
    assert answer.status_code == 422 and "focus_x" in answer.get_json()["errors"]
    business = factory.user("ikm", business_name="Tenun Pringgasela")
    for variant in ("crop_1x1", "thumbnail"):  # never to be had: a wrong request (422), not "not yet" (409)
        answer = app.test_client().post(
            f"/api/v1/assets/{video.id}/download",
            json={"variant": variant, "accept_license": True},
            headers={**bearer(business), "Accept-Language": "en"},
        )
        assert answer.status_code == 422, variant
        message = "This asset has no such version to download."
        assert answer.get_json() == {"error": "unknown_variant", "message": message}


def test_a_crop_not_made_yet_is_a_409_to_try_again(storage_app, photo_asset, factory):
    asset = published(photo_asset, factory)
    asset.crop_keys = None  # processed before crops existed: the backfill will make them
    db.session.commit()
    business = factory.user("ikm", business_name="Tenun Pringgasela")
    body = {"variant": "crop_1x1", "accept_license": True}
    answer = storage_app.test_client().post(f"/api/v1/assets/{asset.id}/download", json=body, headers=bearer(business))
    assert answer.status_code == 409 and answer.get_json()["error"] == "conflict"
    assert "belum siap" in answer.get_json()["message"]


def test_backfill_makes_what_assets_processed_before_lack(storage_app, photo_asset, factory, transport, tmp_path):
    photo_row = published(photo_asset, factory)
    creator = photo_row.owner
    _token, plain = create_token(creator, "tests")
    video_id = (
        Uploader(storage_app.test_client(), transport, plain)
        .upload(samples.mp4(tmp_path), DETAILS)
        .get_json()["asset_id"]
    )
    storage = get_storage()
    # As before this change: no crops and no share picture on either.
    for asset in (photo_row, db.session.get(Asset, video_id)):
        for key in [asset.share_key, *(asset.crop_keys or {}).values()]:
            storage.delete(key)
        asset.crop_keys, asset.share_key = None, None
        asset.media_info = {k: v for k, v in asset.media_info.items() if k not in ("crops", "crop_bytes")}
    db.session.commit()
    assert asset_crops.missing_social_pictures() == sorted([photo_row.id, video_id])

    result = storage_app.test_cli_runner().invoke(args=["media", "crops"])
    assert result.exit_code == 0, result.output
    assert "Queued social media formats for 2 asset(s)." in result.output
    db.session.expire_all()
    photo_row, video = db.session.get(Asset, photo_row.id), db.session.get(Asset, video_id)
    assert photo_row.status == APPROVED and set(photo_row.crop_keys) == set(SIZES)
    assert stored_picture(photo_row.crop_keys["4x5"]).size == (1080, 1350)
    assert video.crop_keys is None and stored_picture(video.share_key).size == (1200, 630)
    assert asset_crops.missing_social_pictures() == []
    again = storage_app.test_cli_runner().invoke(args=["media", "crops"])
    assert "for 0 asset(s)" in again.output


def test_crops_made_for_a_focus_changed_meanwhile_are_dropped(storage_app, photo_asset):
    """The job that finishes after the point moved again must not record its stale crops."""
    asset = photo_asset
    current = {*asset.crop_keys.values(), asset.share_key}
    stale = db.session.get(Asset, asset.id)
    db.session.expunge(stale)
    storage = get_storage()
    stale_keys = {ratio: f"assets/{asset.uuid}/crop_{ratio}-stale.jpg" for ratio in SIZES}
    for key in stale_keys.values():
        storage.put(key, BytesIO(b"old"), "image/jpeg")
    stale.crop_keys, stale.share_key = stale_keys, None
    asset = db.session.get(Asset, asset.id)
    asset.focus_x = 0.1  # moved after the stale job read 0.5
    db.session.commit()
    asset_crops._record(stale, (0.5, 0.5))
    db.session.expire_all()
    asset = db.session.get(Asset, asset.id)
    assert {*asset.crop_keys.values(), asset.share_key} == current
    assert all(storage.head(key) is None for key in stale_keys.values())
    assert all(storage.head(key) is not None for key in current)
