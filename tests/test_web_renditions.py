"""Originals only under the licence: video and audio play from a web rendition (H.264/AAC MP4 of
at most 720p with faststart, or an AAC M4A preview), which is also their "web size" download;
the original is reachable only through the logged, licensed download. On both storage backends."""

from __future__ import annotations

import re
import struct
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from pymediainfo import MediaInfo

from koin_media.accounts.services import create_token
from koin_media.assets import jobs, pipeline, renditions, services
from koin_media.assets.models import Asset, AssetDownload
from koin_media.extensions import db
from koin_media.i18n import format_size
from koin_media.jobs import current_queue
from koin_media.media import processing
from koin_media.media.processing import ProcessingFailed, process, web_rendition
from koin_media.storage import get_storage

from . import samples
from .asset_helpers import DETAILS
from .conftest import Auth, csrf_token

LOCATION = "+08.5833+116.1167/"  # Mataram, as a phone writes it into a recording
COMMENT = "Rumah Bu Sari, Jl. Pejanggik 12"  # a home address in a tag


# --- samples ---------------------------------------------------------------------------------


def phone_video(where: Path, size: str = "1920x1080", rate: int = 50, rotation: int = 0, pix_fmt="yuv420p") -> Path:
    """A QuickTime clip as phones record it: full HD at 50 fps, stereo AAC, the recording place
    and an address in the metadata, optionally a rotation in the display matrix."""
    path = where / f"phone-{size}-{rotation}.mov"
    encoded = where / f"encoded-{size}.mov"
    sources = ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration=2"]
    sources += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=2"]
    codecs = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", pix_fmt, "-c:a", "aac", "-ac", "2"]
    tags = ["-metadata", f"location={LOCATION}", "-metadata", f"comment={COMMENT}"]
    ffmpeg = [samples.FFMPEG, "-nostdin", "-loglevel", "error", "-y"]
    subprocess.run([*ffmpeg, *sources, *codecs, *tags, "-f", "mov", str(encoded)], check=True, timeout=120)
    turn = ["-display_rotation", str(rotation), "-i", str(encoded), "-c", "copy", "-map_metadata", "0"]
    subprocess.run([*ffmpeg, *turn, "-f", "mov", str(path)], check=True, timeout=60)
    return path


def tracks(path: Path) -> dict[str, dict]:
    return {t.track_type: t.to_data() for t in MediaInfo.parse(path).tracks}


def top_level_boxes(data: bytes) -> list[str]:
    """The ISO BMFF top-level atoms in file order (ftyp, moov, mdat …)."""
    boxes, offset = [], 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if size == 1:
            size = struct.unpack(">Q", data[offset + 8 : offset + 16])[0]
        elif size == 0:
            size = len(data) - offset
        boxes.append(kind.decode("latin-1"))
        offset += size
    return boxes


def assert_faststart(data: bytes) -> None:
    boxes = top_level_boxes(data)
    assert boxes[0] == "ftyp" and "moov" in boxes and "mdat" in boxes, boxes
    assert boxes.index("moov") < boxes.index("mdat"), boxes


def web_of(result) -> processing.Rendition:
    return next(r for r in result.renditions if r.name == "web")


# --- making the renditions ---------------------------------------------------------------------


def test_video_rendition_is_h264_aac_720p_faststart_without_the_recording_place(tmp_path):
    source = phone_video(tmp_path)
    assert LOCATION.encode() in source.read_bytes() and COMMENT.encode() in source.read_bytes()
    result = process(source, "video", "video/quicktime", tmp_path / "out")
    web = web_of(result)
    assert (web.path.name, web.content_type, web.width, web.height) == ("web.mp4", "video/mp4", 1280, 720)
    info = tracks(web.path)
    assert info["Video"]["format"] == "AVC" and info["Audio"]["format"] == "AAC"
    assert info["Video"]["height"] <= 720 and info["Video"]["width"] % 2 == 0
    assert float(info["Video"]["frame_rate"]) <= 30
    assert info["Video"]["color_space"] == "YUV" and info["Video"]["chroma_subsampling"] == "4:2:0"
    assert int(info["Audio"]["channel_s"]) == 2
    data = web.path.read_bytes()
    assert_faststart(data)
    assert LOCATION.encode() not in data and b"116.1167" not in data and COMMENT.encode() not in data
    assert len(data) < source.stat().st_size
    # The stream's own size matches the bitrate cap (2 Mbit/s video + 128 kbit/s audio), with room.
    assert int(info["General"]["overall_bit_rate"]) < 2_400_000


@pytest.mark.parametrize(
    ("size", "rotation", "pix_fmt", "expected"),
    [
        ("1920x1080", 90, "yuv420p", (720, 1280)),  # portrait phone video: 720p is its short side
        ("1081x1921", 0, "yuv444p", (720, 1280)),  # odd sizes and 4:4:4 become even 4:2:0
        ("321x241", 0, "yuv444p", (320, 240)),  # never enlarged
    ],
)
def test_video_rendition_keeps_the_aspect_with_even_sides(tmp_path, size, rotation, pix_fmt, expected):
    source = phone_video(tmp_path, size=size, rate=25, rotation=rotation, pix_fmt=pix_fmt)
    web = web_of(process(source, "video", "video/quicktime", tmp_path / "out"))
    assert (web.width, web.height) == expected
    info = tracks(web.path)["Video"]
    assert (info["width"], info["height"]) == expected
    assert float(info.get("rotation") or 0) == 0  # turned upright, not left to the player
    assert min(expected) <= 720 and all(side % 2 == 0 for side in expected)


def test_audio_preview_is_an_aac_m4a_smaller_than_the_wav(tmp_path):
    original = samples.wav(tmp_path, duration=3.0)
    result = process(original, "audio", "audio/wav", tmp_path / "out")
    web = web_of(result)
    assert (web.path.name, web.content_type) == ("web.m4a", "audio/mp4")
    info = tracks(web.path)
    assert info["Audio"]["format"] == "AAC" and "Video" not in info
    assert int(info["Audio"]["bit_rate"]) <= 130_000
    data = web.path.read_bytes()
    assert data[8:12] == b"M4A "  # the iTunes brand phones recognise as audio
    assert_faststart(data)
    assert web.path.stat().st_size < original.stat().st_size / 4


def test_audio_preview_leaves_the_cover_art_out(tmp_path):
    web = web_of(process(samples.mp3_with_cover(tmp_path), "audio", "audio/mpeg", tmp_path / "out"))
    assert set(tracks(web.path)) == {"General", "Audio"}


def test_rendition_alone_matches_the_one_processing_makes(tmp_path):
    clip = samples.mp4(tmp_path)
    full = web_of(process(clip, "video", "video/mp4", tmp_path / "full"))
    alone = web_rendition(clip, "video", "video/mp4", tmp_path / "alone")
    assert alone.path.read_bytes() == full.path.read_bytes()
    with pytest.raises(ProcessingFailed) as failed:
        web_rendition(clip, "image", "video/mp4", tmp_path / "x")
    assert failed.value.code == "unsupported"


def test_a_transcode_past_its_time_is_a_timeout_and_leaves_no_file(tmp_path):
    with pytest.raises(ProcessingFailed) as failed:
        process(samples.mp4(tmp_path), "video", "video/mp4", tmp_path / "out", transcode_timeout=0)
    assert failed.value.code == "timeout"
    assert not [p.name for p in (tmp_path / "out").iterdir() if "web" in p.name]


@pytest.mark.parametrize(
    ("rc", "err", "retryable"),
    [
        (-9, "", True),  # killed (the kernel's OOM killer)
        (1, "av_interleaved_write_frame(): No space left on device", True),
        (1, "Invalid data found when processing input", False),
    ],
)
def test_the_worker_s_trouble_is_retried_the_file_s_is_corrupt(rc, err, retryable):
    failure = processing._transcode_failure(rc, err)
    if retryable:  # an ordinary error: the job retries it and keeps the original
        assert not isinstance(failure, ProcessingFailed)
    else:
        assert isinstance(failure, ProcessingFailed) and failure.code == "corrupt"


# --- the app: both storage backends ---------------------------------------------------------------


@pytest.fixture
def creator(storage_app, factory):
    return factory.user("creator", name="Lalu Ahmad")


def upload(uploader, path: Path, staff) -> Asset:
    response = uploader.upload(path, DETAILS)
    assert response.status_code == 200, response.get_json()
    asset = db.session.get(Asset, response.get_json()["asset_id"])
    services.approve(asset, staff)
    return asset


def logged_in(app, user):
    client = app.test_client()
    Auth(client).login(user)
    return client


URL = re.compile(r"""https?://[^\s"'<>]+""")


def storage_keys_in(text: str) -> set[str]:
    """The object keys of every storage link in a page or JSON text: signed app links for the
    local backend (their token names the key), presigned bucket URLs for S3."""
    storage, keys = get_storage(), set()
    for url in URL.findall(text.replace("&amp;", "&")):
        parts = urlsplit(url)
        if parts.path.startswith("/media/file/"):
            grant = storage.read_file_token(parts.path.removeprefix("/media/file/"))
            assert grant is not None, url
            keys.add(grant.key)
        elif "X-Amz-Signature" in parts.query:
            keys.add(unquote(parts.path.split("/", 2)[2]))  # path style: /<bucket>/<key>
    return keys


def object_bytes(key: str) -> bytes:
    return b"".join(get_storage().iter_chunks(key))


def test_the_player_streams_the_rendition_and_the_original_never_appears(
    storage_app, uploader, factory, transport, tmp_path
):
    asset = upload(uploader, samples.mp4(tmp_path), factory.user("staff"))
    assert (asset.web_key, asset.status) == (f"assets/{asset.uuid}/web.mp4", "approved")
    stored = get_storage().head(asset.web_key)
    assert stored.content_type == "video/mp4" and asset.web_size_bytes == stored.size
    rendition = object_bytes(asset.web_key)
    assert_faststart(rendition) and rendition != object_bytes(asset.storage_key)

    anonymous = storage_app.test_client()
    page = anonymous.get(f"/assets/{asset.id}").get_data(as_text=True)
    api = anonymous.get(f"/api/v1/assets/{asset.id}").get_data(as_text=True)
    owner_page = logged_in(storage_app, asset.owner).get(f"/assets/{asset.id}/edit").get_data(as_text=True)
    for text in (page, api, owner_page):
        keys = storage_keys_in(text)
        assert asset.web_key in keys and asset.poster_key in keys
        assert asset.storage_key not in keys and asset.storage_key not in text
    assert re.search(r"<video [^>]*src=", page)
    body = anonymous.get(f"/api/v1/assets/{asset.id}").get_json()
    status, headers, played = transport.get(body["media"]["play"])
    assert status == 200 and played == rendition and headers["Content-Type"] == "video/mp4"
    assert body["downloads"] == [
        {"variant": "original", "content_type": "video/mp4", "size_bytes": asset.size_bytes},
        {"variant": "web", "content_type": "video/mp4", "size_bytes": asset.web_size_bytes},
    ]


def test_web_size_download_of_a_video_is_the_rendition_and_is_logged(
    storage_app, uploader, factory, transport, tmp_path
):
    asset = upload(uploader, samples.mp4(tmp_path), factory.user("staff"))
    ikm = factory.user("ikm", business_name="Kopi Sembalun")
    client = logged_in(storage_app, ikm)
    page = f"/assets/{asset.id}"
    html = client.get(page).get_data(as_text=True)
    with storage_app.test_request_context(headers={"Accept-Language": "id"}):
        size = format_size(asset.web_size_bytes)
    assert 'value="web"' in html and size in html  # offered, with its size
    response = client.post(
        f"{page}/download",
        data={"variant": "web", "accept_license": "y", "purpose": "video", "csrf_token": csrf_token(client, page)},
    )
    assert response.status_code == 303
    status, headers, body = transport.get(response.headers["Location"])
    assert status == 200 and body == object_bytes(asset.web_key)
    assert "attachment" in headers["Content-Disposition"] and "(web).mp4" in unquote(headers["Content-Disposition"])

    _t, token = create_token(ikm, "ikm")
    answer = storage_app.test_client().post(
        f"/api/v1/assets/{asset.id}/download",
        json={"accept_license": True, "variant": "web"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 200
    assert transport.get(answer.get_json()["url"])[2] == object_bytes(asset.web_key)
    logged = db.session.scalars(db.select(AssetDownload).where(AssetDownload.asset_id == asset.id)).all()
    assert [(d.user_id, d.variant) for d in logged] == [(ikm.id, "web"), (ikm.id, "web")]


def test_audio_gets_a_preview_that_plays_and_downloads(storage_app, uploader, factory, transport, tmp_path):
    original = samples.wav(tmp_path, duration=3.0)
    asset = upload(uploader, original, factory.user("staff"))
    assert asset.web_key == f"assets/{asset.uuid}/web.m4a"
    assert get_storage().head(asset.web_key).content_type == "audio/mp4"
    assert asset.web_size_bytes < original.stat().st_size / 4
    body = storage_app.test_client().get(f"/api/v1/assets/{asset.id}").get_json()
    assert storage_keys_in(body["media"]["play"]) == {asset.web_key}
    client = logged_in(storage_app, factory.user("ikm"))
    page = f"/assets/{asset.id}"
    response = client.post(
        f"{page}/download",
        data={"variant": "web", "accept_license": "y", "purpose": "video", "csrf_token": csrf_token(client, page)},
    )
    _status, headers, data = transport.get(response.headers["Location"])
    assert data == object_bytes(asset.web_key) and "(web).m4a" in unquote(headers["Content-Disposition"])


def test_deleting_the_asset_removes_its_rendition(storage_app, uploader, factory, tmp_path):
    asset = upload(uploader, samples.mp4(tmp_path), factory.user("staff"))
    web_key, prefix = asset.web_key, f"assets/{asset.uuid}/"
    client = logged_in(storage_app, asset.owner)
    page = f"/assets/{asset.id}"
    assert client.post(f"{page}/delete", data={"csrf_token": csrf_token(client, page)}).status_code == 302
    assert get_storage().head(web_key) is None
    assert list(get_storage().list_keys(prefix)) == []


def test_a_file_that_fails_processing_keeps_no_rendition(storage_app, uploader, factory, tmp_path):
    asset = upload(uploader, samples.mp4(tmp_path), factory.user("staff"))
    pipeline.mark_failed(asset, "corrupt", "found broken later")
    assert (asset.web_key, asset.web_size_bytes) == (None, None)
    assert get_storage().head(f"assets/{asset.uuid}/web.mp4") is None


def make_legacy(asset: Asset) -> Asset:
    """As processed before web renditions existed: pictures, no rendition."""
    get_storage().delete(asset.web_key)
    asset.web_key = asset.web_size_bytes = None
    db.session.commit()
    return asset


def test_processed_before_renditions_shows_the_poster_and_never_the_original(storage_app, uploader, factory, tmp_path):
    staff = factory.user("staff")
    video = make_legacy(upload(uploader, samples.mp4(tmp_path), staff))
    audio = make_legacy(upload(uploader, samples.wav(tmp_path), staff))
    anonymous = storage_app.test_client()
    for asset in (video, audio):
        page = anonymous.get(f"/assets/{asset.id}").get_data(as_text=True)
        body = anonymous.get(f"/api/v1/assets/{asset.id}").get_json()
        assert 'id="web-rendition-pending"' in page and "<video" not in page and "<audio" not in page
        assert asset.poster_key in storage_keys_in(page)
        assert "play" not in body["media"] and [d["variant"] for d in body["downloads"]] == ["original"]
        for text in (page, anonymous.get(f"/api/v1/assets/{asset.id}").get_data(as_text=True)):
            assert asset.storage_key not in storage_keys_in(text) and asset.storage_key not in text

    ikm = factory.user("ikm")
    _t, token = create_token(ikm, "ikm")
    refused = anonymous.post(
        f"/api/v1/assets/{video.id}/download",
        json={"accept_license": True, "variant": "web"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert refused.status_code == 409 and "Ukuran web" in refused.get_json()["message"]  # Indonesian first
    browser = storage_app.test_client()
    Auth(browser).login(ikm)
    page = f"/assets/{video.id}"
    form = {"variant": "web", "accept_license": "y", "purpose": "video", "csrf_token": csrf_token(browser, page)}
    on_the_page = browser.post(f"{page}/download", data=form)
    assert on_the_page.status_code == 409 and "Ukuran web" in on_the_page.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(AssetDownload)) == 0  # neither logged

    runner = storage_app.test_cli_runner()
    counted = runner.invoke(args=["media", "renditions"])
    assert counted.exit_code == 0 and "2 video/audio asset(s)" in counted.output
    one = runner.invoke(args=["media", "reprocess", str(video.id)])
    assert one.exit_code == 0 and "web rendition" in one.output, one.output
    rest = runner.invoke(args=["media", "renditions", "--missing"])
    assert rest.exit_code == 0 and "for 1 asset(s)" in rest.output, rest.output
    for asset, name in ((video, "web.mp4"), (audio, "web.m4a")):
        db.session.refresh(asset)
        assert asset.web_key == f"assets/{asset.uuid}/{name}" and asset.status == "approved"  # still published
        assert get_storage().head(asset.web_key).size == asset.web_size_bytes
    assert renditions.missing_web_renditions() == []
    page = anonymous.get(f"/assets/{video.id}").get_data(as_text=True)
    assert "<video" in page and video.web_key in storage_keys_in(page)


def test_a_legacy_file_that_cannot_be_reencoded_stays_published_with_its_original(
    storage_app, uploader, factory, tmp_path
):
    asset = make_legacy(upload(uploader, samples.mp4(tmp_path), factory.user("staff")))
    get_storage().put(asset.storage_key, samples.corrupt_mp4(tmp_path), "video/mp4")
    renditions.make_web_rendition.call_local(asset.id)
    db.session.refresh(asset)
    assert asset.status == "approved" and asset.web_key is None
    assert asset.media_info["web_rendition_problem"]["code"] == "corrupt"
    assert get_storage().head(asset.storage_key) is not None  # nothing deleted


def test_an_unexpected_error_is_retried_then_noted(storage_app, uploader, factory, tmp_path):
    asset = make_legacy(upload(uploader, samples.mp4(tmp_path), factory.user("staff")))
    get_storage().delete(asset.storage_key)  # a store hiccup, not the file's fault
    queue = current_queue()
    queue.flush()
    renditions.make_web_rendition.call_local(asset.id)
    retries = [task for task in queue.scheduled() if task.name.endswith("make_web_rendition")]
    assert [task.args for task in retries] == [(asset.id, 2)]
    queue.flush()
    renditions.make_web_rendition.call_local(asset.id, jobs.MAX_ATTEMPTS)
    assert queue.scheduled() == []
    db.session.refresh(asset)
    assert asset.status == "approved" and asset.media_info["web_rendition_problem"]["code"] == "internal"
