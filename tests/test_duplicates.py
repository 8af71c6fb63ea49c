"""The duplicate warning (issue 11 point 6): processing fingerprints each original (SHA-256 of the
bytes, read in pieces; imagehash's phash of a photo) and files what a new upload copies, exact
or near, with the distance. The creator is told (a title and link only for an asset they may
see), staff see a badge in the queue and the other asset on the review page, the API gives the
findings to managers; nothing blocks the upload. A backfill fingerprints older assets."""

from __future__ import annotations

import hashlib
import random
import re
import tracemalloc
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageEnhance
from sqlalchemy import delete, select, update

from koin_media.accounts.services import create_token
from koin_media.assets import duplicates, services
from koin_media.assets.models import FAILED, PENDING_REVIEW, REJECTED_FILE, Asset, AssetDuplicate
from koin_media.extensions import db
from koin_media.media import fingerprint
from koin_media.media.processing import process

from . import samples
from .asset_helpers import DETAILS, Uploader, approved_asset
from .conftest import Auth
from .storage_fixtures import Transport


def hamming(a: str, b: str) -> int:
    """How many of the 64 bits of two perceptual hashes differ: the tests' own count, to check
    the distances the app's vectorised ``fingerprint.near`` files."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


# -- sample photos -------------------------------------------------------------------------------


def photo(path: Path, seed: int, size: tuple[int, int] = (1600, 1200)) -> Path:
    """A busy picture (shapes in many colours) that differs from seed to seed, as two photos do."""
    rng = random.Random(seed)
    img = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(img)
    width, height = size
    for _ in range(40):
        x0, y0 = rng.randrange(width), rng.randrange(height)
        box = (x0, y0, x0 + rng.randrange(50, width // 2), y0 + rng.randrange(50, height // 2))
        fill = tuple(rng.randrange(256) for _ in range(3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=fill)
    img.save(path, "JPEG", quality=90)
    return path


def resized_copy(original: Path, path: Path, *, crop: float = 0.0, brightness: float = 1.0) -> Path:
    """60 % of the size, re-encoded at JPEG quality 70; optionally trimmed and brightened first."""
    img = Image.open(original)
    width, height = img.size
    img = img.crop((int(width * crop), int(height * crop), width - int(width * crop), height - int(height * crop)))
    img = ImageEnhance.Brightness(img).enhance(brightness)
    img.resize((int(width * 0.6), int(height * 0.6)), Image.Resampling.LANCZOS).save(path, "JPEG", quality=70)
    return path


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("duplicates")
    original = photo(folder / "tenun.jpg", 1)
    return {
        "original": original,
        "resized": resized_copy(original, folder / "tenun-kecil.jpg"),
        # Trimmed 2 % and 10 % brighter as well: a few bits of the hash move.
        "edited": resized_copy(original, folder / "tenun-diedit.jpg", crop=0.02, brightness=1.1),
        "unrelated": photo(folder / "pantai.jpg", 2),
    }


@pytest.fixture
def upload(app):
    """``upload(creator, path, title)``: the way Uppy uploads (local store), processed inline."""
    transport = Transport(app, "local")

    def send(user, path: Path, title: str) -> Asset:
        _token, plain = create_token(user, "tests")
        answer = Uploader(app.test_client(), transport, plain).upload(path, {**DETAILS, "title": title})
        assert answer.status_code == 200, answer.get_json()
        return db.session.get(Asset, answer.get_json()["asset_id"])

    return send


def findings(asset: Asset) -> list[tuple[int, str, int]]:
    rows = db.session.scalars(select(AssetDuplicate).where(AssetDuplicate.asset_id == asset.id))
    return sorted((f.other_id, f.kind, f.distance) for f in rows)


def signed_in(app, user):
    client = app.test_client()
    Auth(client).login(user)
    return client


# -- what processing finds -------------------------------------------------------------------------


def test_an_exact_copy_by_another_creator_is_flagged_exact(app, factory, upload, photos):
    first = upload(factory.user("creator"), photos["original"], "Tenun Sukarara")
    copy = upload(factory.user("creator"), photos["original"], "Kain tenun")
    digest = hashlib.sha256(photos["original"].read_bytes()).hexdigest()
    assert first.sha256 == copy.sha256 == digest  # the job's streamed hash is hashlib's over the file
    assert findings(copy) == [(first.id, "exact", 0)]
    assert findings(first) == []  # filed under the later upload
    assert copy.status == PENDING_REVIEW  # a warning, never a refusal


def test_a_resized_reencoded_copy_is_near_with_its_distance(app, factory, upload, photos):
    first = upload(factory.user("creator"), photos["original"], "Tenun Sukarara")
    resized = upload(factory.user("creator"), photos["resized"], "Tenun kecil")
    edited = upload(factory.user("creator"), photos["edited"], "Tenun diedit")
    assert resized.sha256 != first.sha256
    assert findings(resized) == [(first.id, "near", hamming(first.phash, resized.phash))]
    distance = hamming(first.phash, edited.phash)
    assert 0 < distance <= app.config["NEAR_DUPLICATE_DISTANCE"] == 8
    assert (first.id, "near", distance) in findings(edited)
    assert edited.status == PENDING_REVIEW


def test_reprocessing_an_older_asset_keeps_the_findings_of_later_ones(app, factory, upload, photos):
    first = upload(factory.user("creator"), photos["original"], "Tenun Sukarara")
    copy = upload(factory.user("creator"), photos["original"], "Kain tenun")
    resized = upload(factory.user("creator"), photos["resized"], "Tenun kecil")
    near_copy = (first.id, "near", hamming(first.phash, resized.phash))
    duplicates.record(first)  # finds both again: their rows are kept, not filed twice
    db.session.commit()
    assert findings(copy) == [(first.id, "exact", 0)] and near_copy in findings(resized)
    first.phash = None  # re-processed without a perceptual hash: it finds the near copy no more
    duplicates.record(first)
    db.session.commit()
    assert near_copy in findings(resized)  # still the later asset's own warning
    assert findings(first) == []


def test_an_unrelated_photo_is_not_flagged(app, factory, upload, photos):
    first = upload(factory.user("creator"), photos["original"], "Tenun Sukarara")
    other = upload(factory.user("creator"), photos["unrelated"], "Pantai Pink")
    assert hamming(first.phash, other.phash) > 8
    assert findings(other) == []


def test_the_near_limit_is_the_configured_distance(make_app, factory, photos):
    app = make_app(NEAR_DUPLICATE_DISTANCE=1)
    with app.app_context():
        transport = Transport(app, "local")

        def send(path, title):
            _token, plain = create_token(factory.user("creator"), "tests")
            answer = Uploader(app.test_client(), transport, plain).upload(path, {**DETAILS, "title": title})
            return db.session.get(Asset, answer.get_json()["asset_id"])

        first = send(photos["original"], "Tenun Sukarara")
        edited = send(photos["edited"], "Tenun diedit")
        assert hamming(first.phash, edited.phash) > 1
        assert findings(edited) == []


@pytest.mark.parametrize("status", [REJECTED_FILE, FAILED])
def test_refused_and_failed_assets_are_no_match(app, factory, status):
    creator = factory.user("creator")
    gone = approved_asset(creator, "Gagal", sha256="a" * 64, phash="0f" * 8)
    gone.status = status
    kept = approved_asset(creator, "Terbit", sha256="b" * 64, phash="0f" * 8)
    new = approved_asset(creator, "Baru", sha256="a" * 64, phash="0f" * 8)
    new.status = PENDING_REVIEW
    assert duplicates.find(new) == [(kept.id, "near", 0)]


def test_a_finding_goes_with_either_asset(app, factory, upload, photos):
    staff = factory.user("staff")
    first = upload(factory.user("creator"), photos["original"], "Tenun Sukarara")
    copy = upload(factory.user("creator"), photos["original"], "Kain tenun")
    services.delete_asset(first, staff)
    assert db.session.scalar(select(AssetDuplicate.id)) is None  # ON DELETE CASCADE
    assert db.session.get(Asset, copy.id) is not None


def test_a_video_is_hashed_by_its_poster(tmp_path):
    result = process(samples.mp4(tmp_path), "video", "video/mp4", tmp_path / "out")
    assert re.fullmatch(r"[0-9a-f]{16}", result.phash)


# -- what people are told ----------------------------------------------------------------------


def test_the_other_asset_is_named_and_linked_only_when_the_viewer_may_see_it(app, factory, upload, photos):
    staff = factory.user("staff")
    first = upload(factory.user("creator"), photos["original"], "Rahasia Tenun")
    copier = factory.user("creator")
    copy = upload(copier, photos["original"], "Kain tenun")
    client = signed_in(app, copier)
    link = f'href="/assets/{first.id}"'

    # Not published: the other creator's asset is neither named nor linked, anywhere.
    for path in (f"/assets/{copy.id}", f"/assets/{copy.id}/edit", "/my/assets"):
        page = client.get(path).get_data(as_text=True)
        assert "Kemungkinan duplikat: sama persis dengan aset lain yang tidak bisa Anda lihat." in page, path
        assert "Rahasia Tenun" not in page and link not in page, path
    status = client.get(f"/my/assets/status?ids={copy.id}").get_json()["assets"][0]
    assert status["duplicates"] == [
        {"kind": "exact", "distance": 0, "asset_id": None, "url": None, "title": "",
         "before": "Kemungkinan duplikat: sama persis dengan aset lain yang tidak bisa Anda lihat.", "after": ""}
    ]  # fmt: skip
    _token, plain = create_token(copier, "tests")
    api = client.get(f"/api/v1/assets/{copy.id}", headers={"Authorization": f"Bearer {plain}"}).get_json()
    assert api["duplicates"] == [{"asset_id": None, "kind": "exact", "distance": 0}]

    # Published: anyone may see it, so its title and link are given.
    services.approve(first, staff)
    page = client.get(f"/assets/{copy.id}/edit").get_data(as_text=True)
    assert f'Kemungkinan duplikat: sama persis dengan «<a href="/assets/{first.id}">Rahasia Tenun</a>».' in page
    status = client.get(f"/my/assets/status?ids={copy.id}").get_json()["assets"][0]["duplicates"][0]
    assert (status["asset_id"], status["url"], status["title"]) == (first.id, f"/assets/{first.id}", "Rahasia Tenun")
    api = client.get(f"/api/v1/assets/{copy.id}", headers={"Authorization": f"Bearer {plain}"}).get_json()
    assert api["duplicates"] == [{"asset_id": first.id, "kind": "exact", "distance": 0}]


def test_a_creators_own_earlier_upload_is_named(app, factory, upload, photos):
    creator = factory.user("creator")
    first = upload(creator, photos["original"], "Tenun Sukarara")
    again = upload(creator, photos["resized"], "Tenun lagi")
    page = signed_in(app, creator).get(f"/assets/{again.id}/edit").get_data(as_text=True)
    assert f'Anda sudah mengunggah yang mirip: «<a href="/assets/{first.id}">Tenun Sukarara</a>».' in page


def test_only_managers_are_told(app, factory, upload, photos):
    staff = factory.user("staff")
    upload(factory.user("creator"), photos["original"], "Tenun Sukarara")
    copy = upload(factory.user("creator"), photos["original"], "Kain tenun")
    services.approve(copy, staff)
    visitor = app.test_client()
    assert "Kemungkinan duplikat" not in visitor.get(f"/assets/{copy.id}").get_data(as_text=True)
    assert "duplicates" not in visitor.get(f"/api/v1/assets/{copy.id}").get_json()
    business = signed_in(app, factory.user("ikm"))
    assert "Kemungkinan duplikat" not in business.get(f"/assets/{copy.id}").get_data(as_text=True)


def test_staff_see_a_badge_in_the_queue_and_the_other_asset_on_the_review_page(app, factory, upload, photos):
    owner = factory.user("creator", name="Baiq Nurul")
    first = upload(owner, photos["original"], "Tenun Sukarara")
    resized = upload(factory.user("creator"), photos["resized"], "Tenun kecil")
    unrelated = upload(factory.user("creator"), photos["unrelated"], "Pantai Pink")
    client = signed_in(app, factory.user("staff"))

    queue = client.get("/moderation").get_data(as_text=True)
    rows = {int(m.group(1)): m.group(0) for m in re.finditer(r'href="/moderation/(\d+)"', queue)}
    assert set(rows) == {first.id, resized.id, unrelated.id}
    row_html = {asset_id: queue[: queue.index(f'href="/moderation/{asset_id}"')].rsplit("<tr", 1)[1]
                for asset_id in rows}  # fmt: skip
    assert "Kemungkinan duplikat: mirip" in row_html[resized.id]
    assert "duplicate-badge" not in row_html[first.id] and "duplicate-badge" not in row_html[unrelated.id]

    review = client.get(f"/moderation/{resized.id}").get_data(as_text=True)
    assert f'Kemungkinan duplikat: mirip dengan «<a href="/assets/{first.id}">Tenun Sukarara</a>».' in review
    section = review[review.index('id="duplicates"') : review.index("</section>", review.index('id="duplicates"'))]
    assert '<img class="mini"' in section  # the other asset's thumbnail
    assert "Diunggah oleh Baiq Nurul" in section and "Status: Menunggu peninjauan" in section
    assert f"{hamming(first.phash, resized.phash)} dari 64 bit berbeda" in section
    assert "Kemungkinan duplikat" not in client.get(f"/moderation/{unrelated.id}").get_data(as_text=True)


# -- fingerprints: streamed, and filled in for older assets ----------------------------------------


def test_sha256_is_read_in_pieces(tmp_path):
    big = tmp_path / "video.bin"
    with big.open("wb") as out:
        for index in range(24):
            out.write(random.Random(index).randbytes(1024 * 1024))
    tracemalloc.start()
    try:
        digest = fingerprint.sha256_file(big)
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert digest == hashlib.sha256(big.read_bytes()).hexdigest()
    assert peak < 3 * fingerprint.CHUNK_BYTES  # 24 MB hashed with about one piece in memory


def test_near_skips_malformed_hashes_and_puts_the_closest_first():
    target = "00000000000000ff"
    rows = [(1, "00000000000000f0"), (2, "not-a-hash-at-al"), (3, None), (4, "00000000000000fe"), (5, "ff" * 8)]
    assert fingerprint.near(target, rows, 8) == [(4, 1), (1, 4)]
    assert fingerprint.near("zz", rows, 8) == []


def test_backfill_fingerprints_processed_assets_and_files_their_duplicates(app, runner, factory, upload, photos):
    first = upload(factory.user("creator"), photos["original"], "Tenun Sukarara")
    copy = upload(factory.user("creator"), photos["resized"], "Tenun kecil")
    # As after the upgrade: processed before fingerprints existed.
    db.session.execute(update(Asset).values(sha256=None, phash=None))
    db.session.execute(delete(AssetDuplicate))
    db.session.commit()

    result = runner.invoke(args=["media", "fingerprints"])
    assert result.exit_code == 0, result.output
    assert "Queued fingerprints for 2 asset(s)." in result.output
    db.session.expire_all()
    assert first.sha256 == hashlib.sha256(photos["original"].read_bytes()).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{16}", first.phash) and re.fullmatch(r"[0-9a-f]{16}", copy.phash)
    assert findings(copy) == [(first.id, "near", hamming(first.phash, copy.phash))]
    assert copy.status == first.status == PENDING_REVIEW  # nothing else changed
    assert "Queued fingerprints for 0 asset(s)." in runner.invoke(args=["media", "fingerprints"]).output
