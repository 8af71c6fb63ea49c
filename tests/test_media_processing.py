"""Renditions and metadata from real sample files; refusals of bombs and broken files.

The suite runs with warnings as errors, so any warning leaking out of Pillow, pdfium or our
code fails these tests too; a few tests also say so explicitly."""

from __future__ import annotations

import re
import struct
import warnings
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageStat

from koin_media.media import pdf_render, processing
from koin_media.media.processing import BLACK_LUMA, ProcessingFailed, ProcessResult, process
from tests import samples
from tests.samples import SampleCache


@pytest.fixture(scope="module")
def make(tmp_path_factory):
    return SampleCache(tmp_path_factory.mktemp("processing-samples"))


def renditions(result: ProcessResult) -> dict[str, tuple[int, int]]:
    """The picture renditions by name (the web rendition of video and audio has its own tests)."""
    return {r.name: (r.width, r.height) for r in pictures(result)}


def pictures(result: ProcessResult):
    """Without the share picture and a photo's social crops (tests/test_social_crops.py)."""
    return [r for r in result.renditions if r.content_type == "image/jpeg" and not SOCIAL.match(r.name)]


SOCIAL = re.compile(r"share$|crop_")


def assert_clean_jpeg(path, size):
    """A progressive JPEG of pixels only: no EXIF (so no GPS), XMP, ICC profile or comment."""
    with Image.open(path) as img:
        assert img.format == "JPEG"
        assert img.size == size
        assert img.info.get("progressive") or img.info.get("progression")
        exif = img.getexif()
        assert len(exif) == 0
        assert not exif.get_ifd(0x8825)  # GPS
        for key in ("exif", "xmp", "XML:com.adobe.xmp", "icc_profile", "comment", "photoshop"):
            assert key not in img.info, key
        assert [marker for marker, _ in img.applist] in ([], ["APP0"])  # the JFIF header at most


def pixel(path, xy):
    with Image.open(path) as img:
        return img.convert("RGB").getpixel(xy)


def close_to(rgb, expected, tolerance=40):
    return all(abs(a - b) <= tolerance for a, b in zip(rgb, expected, strict=True))


def luma(path) -> float:
    with Image.open(path) as img:
        return ImageStat.Stat(img.convert("L")).mean[0]


# --- images ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sample", "size", "thumb", "preview"),
    [
        ("jpeg", (480, 640), (240, 320), (480, 640)),  # stored 640x480 with orientation 6
        ("png", (400, 300), (320, 240), (400, 300)),  # never upscaled
        ("webp", (2000, 1000), (320, 160), (1280, 640)),
    ],
)
def test_images_give_clean_renditions_of_the_right_size(make, tmp_path, sample, size, thumb, preview):
    result = process(make(sample), "image", f"image/{sample}", tmp_path)
    assert (result.width, result.height) == size
    assert result.duration_seconds is None and result.video_codec is None and result.audio_codec is None
    assert renditions(result) == {"thumb": thumb, "preview": preview}
    for r in result.renditions:  # the crops and share picture too: "crop_1x1-<focus>.jpg"
        assert r.content_type == "image/jpeg"
        assert r.path.parent == tmp_path and r.path.suffix == ".jpg" and r.path.stem.split("-")[0] == r.name
        assert_clean_jpeg(r.path, (r.width, r.height))
    assert result.info["format"] == {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}[sample]


def test_the_source_jpeg_really_carries_the_metadata_we_strip(make):
    with Image.open(make("jpeg")) as img:
        exif = img.getexif()
        assert exif[0x0112] == 6
        assert exif.get_ifd(0x8825)[1] == "S"
        assert "xmp" in img.info and "comment" in img.info and "icc_profile" in img.info


def test_exif_orientation_is_applied(make, tmp_path):
    # Stored: red block top-left, blue bottom-right. Orientation 6 turns it a quarter clockwise.
    result = process(make("jpeg"), "image", "image/jpeg", tmp_path)
    preview = next(r for r in result.renditions if r.name == "preview")
    assert close_to(pixel(preview.path, (470, 10)), samples.RED)
    assert close_to(pixel(preview.path, (10, 630)), samples.BLUE)
    assert close_to(pixel(preview.path, (10, 10)), (200, 200, 200))


def test_png_alpha_is_flattened_on_white(make, tmp_path):
    result = process(make("png"), "image", "image/png", tmp_path)
    preview = next(r for r in result.renditions if r.name == "preview")
    assert close_to(pixel(preview.path, (50, 150)), samples.RED)
    assert close_to(pixel(preview.path, (350, 150)), (255, 255, 255), tolerance=3)


def test_pixel_bomb_is_refused_before_decoding(make, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ProcessingFailed) as failed:
            process(make("pixel_bomb"), "image", "image/png", tmp_path)
    assert failed.value.code == "too_many_pixels"
    assert list(tmp_path.iterdir()) == []


def test_our_own_pixel_limit_applies_below_pillows(make, tmp_path):
    with pytest.raises(ProcessingFailed) as failed:
        process(make("jpeg"), "image", "image/jpeg", tmp_path, max_pixels=640 * 480 - 1)
    assert failed.value.code == "too_many_pixels"
    assert "640x480" in failed.value.detail


def test_pillows_bomb_warning_never_escapes(make, tmp_path, monkeypatch):
    # Pillow warns above MAX_IMAGE_PIXELS (~89 Mpx) and refuses above twice that. Lowered here so
    # the 640x480 sample lands in the warning band, within our own limit: it must process fine.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 200_000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = process(make("jpeg"), "image", "image/jpeg", tmp_path)
    assert renditions(result)["thumb"] == (240, 320)


def test_pillows_bomb_error_becomes_too_many_pixels(make, tmp_path, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100_000)
    with pytest.raises(ProcessingFailed) as failed:
        process(make("jpeg"), "image", "image/jpeg", tmp_path)
    assert failed.value.code == "too_many_pixels"


def test_truncated_jpeg_is_corrupt(make, tmp_path):
    with pytest.raises(ProcessingFailed) as failed:
        process(make("truncated_jpeg"), "image", "image/jpeg", tmp_path)
    assert failed.value.code == "corrupt"
    assert "truncated" in failed.value.detail


def test_png_with_bad_data_is_corrupt(tmp_path):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    bad = tmp_path / "bad.png"
    ihdr = struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0)
    idat = chunk(b"IDAT", b"not zlib at all")
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + idat + chunk(b"IEND", b""))
    with pytest.raises(ProcessingFailed) as failed:
        process(bad, "image", "image/png", tmp_path / "out")
    assert failed.value.code == "corrupt"


# --- video -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sample", "mime", "size", "duration", "codecs", "thumb"),
    [
        ("mp4", "video/mp4", (640, 360), 3.0, ("h264", "aac"), (320, 180)),
        ("mov", "video/quicktime", (320, 240), 2.0, ("h264", "aac"), (320, 240)),
        ("webm", "video/webm", (320, 240), 2.0, ("vp8", "opus"), (320, 240)),
    ],
)
def test_video_probe_and_poster(make, tmp_path, sample, mime, size, duration, codecs, thumb):
    result = process(make(sample), "video", mime, tmp_path)
    assert (result.width, result.height) == size
    assert result.duration_seconds == pytest.approx(duration, abs=0.1)
    assert (result.video_codec, result.audio_codec) == codecs
    assert result.info["frame_rate"] == pytest.approx(25.0)
    assert result.info["sample_rate"] in (44100, 48000) and result.info["channels"] == 1
    assert renditions(result) == {"poster": size, "thumb": thumb, "preview": size}
    for r in pictures(result):
        assert_clean_jpeg(r.path, (r.width, r.height))
        assert luma(r.path) > BLACK_LUMA
    assert 0 < result.info["poster_seconds"] < duration


def test_black_opening_is_skipped_for_the_poster(make, tmp_path):
    clip = make("mp4", duration=6.0, black_seconds=2.0)
    result = process(clip, "video", "video/mp4", tmp_path)
    assert result.info["poster_seconds"] > 2.0
    poster = next(r for r in result.renditions if r.name == "poster")
    assert luma(poster.path) > 60  # the colourful test pattern, not a black frame


def test_corrupt_mp4_fails(make, tmp_path):
    with pytest.raises(ProcessingFailed) as failed:
        process(make("corrupt_mp4"), "video", "video/mp4", tmp_path)
    assert failed.value.code == "corrupt"
    assert not list(tmp_path.glob("*.jpg"))


def test_video_without_a_picture_has_no_stream(make, tmp_path):
    with pytest.raises(ProcessingFailed) as failed:
        process(make("mp4_audio_only", faststart=False), "video", "video/mp4", tmp_path)
    assert failed.value.code == "no_stream"


def test_video_frames_over_the_pixel_limit_are_refused(make, tmp_path):
    with pytest.raises(ProcessingFailed) as failed:
        process(make("mov"), "video", "video/quicktime", tmp_path, max_pixels=320 * 240 - 1)
    assert failed.value.code == "too_many_pixels"


@pytest.mark.parametrize(("sample", "kind", "mime"), [("mp4", "video", "video/mp4"), ("mp3", "audio", "audio/mpeg"),
                                                     ("pdf", "document", "application/pdf")])  # fmt: skip
def test_exhausted_time_budget_is_a_timeout(make, tmp_path, sample, kind, mime):
    with pytest.raises(ProcessingFailed) as failed:
        process(make(sample), kind, mime, tmp_path, timeout=0)
    assert failed.value.code == "timeout"


def test_big_mp4_has_about_the_requested_size(tmp_path):
    clip = samples.big_mp4(tmp_path, megabytes=3)
    assert 2_000_000 < clip.stat().st_size < 4_500_000
    result = process(clip, "video", "video/mp4", tmp_path / "out")
    assert result.video_codec == "h264" and result.audio_codec is None


# --- audio -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sample", "mime", "codec", "duration"),
    [
        ("mp3", "audio/mpeg", "mp3", 2.0),
        ("wav", "audio/wav", "pcm", 1.0),
        ("m4a", "audio/mp4", "aac", 2.0),
        ("aac_adts", "audio/aac", "aac", 1.0),
    ],
)
def test_audio_without_art_gets_a_waveform(make, tmp_path, sample, mime, codec, duration):
    result = process(make(sample), "audio", mime, tmp_path)
    assert (result.width, result.height, result.video_codec) == (None, None, None)
    assert result.audio_codec == codec
    assert result.duration_seconds == pytest.approx(duration, abs=0.15)
    assert result.info["sample_rate"] == 44100 and result.info["channels"] == 1
    assert result.info["cover"] == "waveform"
    assert renditions(result) == {"cover": (1280, 720), "thumb": (320, 180)}
    for r in pictures(result):
        assert_clean_jpeg(r.path, (r.width, r.height))
    cover = next(r for r in result.renditions if r.name == "cover")
    # Bars around the centre line where the tone plays; background far above it.
    background = (22, 33, 52)
    assert not close_to(pixel(cover.path, (201, 330)), background, tolerance=60)
    assert close_to(pixel(cover.path, (201, 20)), background, tolerance=10)


def test_embedded_cover_art_is_used_and_cleaned(make, tmp_path):
    result = process(make("mp3_with_cover"), "audio", "audio/mpeg", tmp_path)
    assert result.info["cover"] == "embedded"
    assert renditions(result) == {"cover": (600, 600), "thumb": (320, 320)}
    for r in pictures(result):
        assert_clean_jpeg(r.path, (r.width, r.height))  # the art's own EXIF is gone
    cover = next(r for r in result.renditions if r.name == "cover")
    assert close_to(pixel(cover.path, (100, 100)), samples.RED)
    assert close_to(pixel(cover.path, (500, 500)), samples.BLUE)


def test_audio_kind_needs_an_audio_track(make, tmp_path):
    with pytest.raises(ProcessingFailed) as failed:
        process(make("corrupt_mp4"), "audio", "audio/mp4", tmp_path)
    assert failed.value.code == "corrupt"


# --- PDF -------------------------------------------------------------------------------------


def test_pdf_page_count_and_first_page(make, tmp_path):
    result = process(make("pdf", pages=3), "document", "application/pdf", tmp_path)
    assert result.info["page_count"] == 3
    assert (result.info["page_width_pt"], result.info["page_height_pt"]) == (595, 842)
    assert renditions(result) == {"thumb": (226, 320), "preview": (905, 1280)}
    preview = next(r for r in result.renditions if r.name == "preview")
    assert_clean_jpeg(preview.path, (905, 1280))
    assert close_to(pixel(preview.path, (450, 300)), samples.RED, tolerance=50)  # the drawn rectangle
    assert close_to(pixel(preview.path, (450, 1250)), (255, 255, 255), tolerance=3)


def test_the_pdf_renderer_is_a_module_the_child_runs_by_its_path(make, tmp_path):
    """What the child prints, rendered in this process: page count, size and the PNG."""
    target = tmp_path / "page.png"
    answer = pdf_render.render(str(make("pdf", pages=2)), str(target), 640)
    assert (answer["pages"], round(answer["width"]), round(answer["height"])) == (2, 595, 842)
    with Image.open(target) as page:
        assert page.format == "PNG" and max(page.size) == 640
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n" + b"garbage " * 200)
    assert pdf_render.render(str(broken), str(tmp_path / "none.png"), 640)["error"] == "corrupt"
    assert processing.PDF_RENDERER == Path(pdf_render.__file__)


@pytest.mark.parametrize("data", [b"%PDF-1.7\n" + b"garbage " * 200, b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog"])
def test_broken_pdf_is_corrupt(tmp_path, data):
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(data)
    with pytest.raises(ProcessingFailed) as failed:
        process(broken, "document", "application/pdf", tmp_path / "out")
    assert failed.value.code == "corrupt"


# --- the contract ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sample", "kind", "mime"),
    [
        ("jpeg", "image", "image/jpeg"),
        ("webp", "image", "image/webp"),
        ("mp4", "video", "video/mp4"),
        ("mp3", "audio", "audio/mpeg"),
        ("mp3_with_cover", "audio", "audio/mpeg"),
        ("pdf", "document", "application/pdf"),
    ],
)
def test_processing_is_deterministic_and_idempotent(make, tmp_path, sample, kind, mime):
    first = process(make(sample), kind, mime, tmp_path / "a")
    second = process(make(sample), kind, mime, tmp_path / "b")
    again = process(make(sample), kind, mime, tmp_path / "a")  # a retry into the same workdir
    assert first.info == second.info == again.info
    for one, two, three in zip(first.renditions, second.renditions, again.renditions, strict=True):
        assert one.path.read_bytes() == two.path.read_bytes() == three.path.read_bytes()
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == sorted(r.path.name for r in first.renditions)


@pytest.mark.parametrize(("kind", "mime"), [("image", "image/gif"), ("video", "image/jpeg"), ("archive", "x")])
def test_unknown_kind_or_mime_is_unsupported(make, tmp_path, kind, mime):
    with pytest.raises(ProcessingFailed) as failed:
        process(make("jpeg"), kind, mime, tmp_path)
    assert failed.value.code == "unsupported"


def stand_in_renderer(tmp_path_factory, code: str):
    script = tmp_path_factory.mktemp("renderer") / "renderer.py"
    script.write_text(code)
    return script


def test_pdf_renderer_that_hangs_times_out(make, tmp_path, tmp_path_factory, monkeypatch):
    monkeypatch.setattr(processing, "PDF_RENDERER", stand_in_renderer(tmp_path_factory, "import time; time.sleep(30)"))
    with pytest.raises(ProcessingFailed) as failed:
        process(make("pdf"), "document", "application/pdf", tmp_path, timeout=1)
    assert failed.value.code == "timeout"


def test_pdf_renderer_that_crashes_is_corrupt(make, tmp_path, tmp_path_factory, monkeypatch):
    crash = "import os, sys; sys.stderr.write('boom'); sys.stderr.flush(); os.abort()"
    monkeypatch.setattr(processing, "PDF_RENDERER", stand_in_renderer(tmp_path_factory, crash))
    with pytest.raises(ProcessingFailed) as failed:
        process(make("pdf"), "document", "application/pdf", tmp_path)
    assert failed.value.code == "corrupt"
    assert "boom" in failed.value.detail
    assert list(tmp_path.iterdir()) == []
