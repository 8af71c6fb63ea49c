"""Metadata and renditions of an uploaded original, run in a background job on a local copy.

Every picture rendition is a progressive JPEG of re-encoded pixels only: no EXIF, GPS, XMP, ICC
profile or comment from the original ever reaches the public. Video and audio also get a web
rendition (H.264/AAC MP4 of at most 720p, or an AAC M4A), re-encoded without the container's
metadata (phones put the recording place there): the player streams it, so the original only
leaves the store through the licensed download. Output is deterministic, so a retried job
writes byte-identical files. Failures are ``ProcessingFailed`` with a code the app translates
for the creator and an English detail for logs and staff.
"""

from __future__ import annotations

import io
import json
import math
import os
import struct
import subprocess
import sys
import time
import warnings
from array import array
from dataclasses import dataclass, field
from pathlib import Path

import imageio_ffmpeg
from PIL import Image, ImageCms, ImageDraw, ImageOps, ImageStat, UnidentifiedImageError
from pymediainfo import MediaInfo

from . import crops
from .fingerprint import perceptual_hash
from .sniff import FORMATS

THUMB_SIDE = 320
PREVIEW_SIDE = 1280
POSTER_SIDE = 1920  # posters keep more detail than the preview, but 4K/8K frames are shrunk
COVER_SIZE = (1280, 720)  # waveform drawing
JPEG_QUALITY = 82
BLACK_LUMA = 16.0  # mean luminance (0-255) below which a candidate poster counts as black
_WAVE_SAMPLES = 4_000_000  # decoded PCM is capped near this many samples (8 MB), whatever the duration
# Web renditions, sized for phones on mobile data: 720p (the short side; 1280 on the long one),
# never enlarged, at most 30 frames/s, quality-targeted but capped in bitrate.
WEB_LONG_SIDE, WEB_SHORT_SIDE = 1280, 720
WEB_MAX_FPS = 30
WEB_VIDEO_CRF = 23
WEB_VIDEO_MAXRATE_KBPS = 2000
WEB_AUDIO_KBPS = {1: 96, 2: 128}  # per channel count; more channels are mixed down to stereo
WEB_PRESET = "veryfast"  # bounded encoding time on a small worker, small quality cost

# ffmpeg demuxer per sniffed type: ffmpeg must not guess the format of an untrusted file
# (its probing also knows playlists and other formats that reference further files).
_DEMUXERS = {
    "video/mp4": "mov", "video/quicktime": "mov", "audio/mp4": "mov", "video/webm": "matroska",
    "audio/mpeg": "mp3", "audio/wav": "wav", "audio/aac": "aac",
}  # fmt: skip
_PIL_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
# What Pillow raises for files it cannot decode (truncated, bad CRC/zlib, malformed headers).
_DECODE_ERRORS = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError)
_CODECS = {
    "AVC": "h264", "HEVC": "hevc", "VP8": "vp8", "VP9": "vp9", "AV1": "av1", "MPEG-4 Visual": "mpeg4",
    "ProRes": "prores", "AAC": "aac", "Opus": "opus", "Vorbis": "vorbis", "PCM": "pcm", "FLAC": "flac",
    "AC-3": "ac3", "E-AC-3": "eac3", "ALAC": "alac",
}  # fmt: skip


class ProcessingFailed(Exception):
    """``code``: "corrupt", "too_many_pixels", "unsupported", "timeout" or "no_stream"."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


@dataclass
class Rendition:
    name: str  # "thumb", "preview", "poster" (video), "cover" (audio), "web" (video, audio), "share",
    # or a photo's social crop: "crop_1x1", "crop_4x5", "crop_9x16", "crop_191x1"
    path: Path
    content_type: str
    width: int | None  # None for the audio web rendition
    height: int | None


@dataclass
class ProcessResult:
    width: int | None
    height: int | None
    duration_seconds: float | None
    video_codec: str | None
    audio_codec: str | None
    info: dict = field(default_factory=dict)
    renditions: list[Rendition] = field(default_factory=list)
    phash: str | None = None  # the perceptual hash of a photo or a video's poster (duplicates)


@dataclass
class _Job:
    path: Path
    mime: str
    workdir: Path
    max_pixels: int
    deadline: float
    transcode_timeout: float = 1800  # the web rendition's own budget: it grows with the duration
    threads: int = 2
    focus: tuple[float, float] = crops.CENTRE  # photos: where the social crops are centred

    def remaining(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise ProcessingFailed("timeout", "processing took longer than allowed")
        return left


def process(path: Path, kind: str, mime: str, workdir: Path, *, max_pixels: int = 150_000_000,
            timeout: int = 300, transcode_timeout: int = 1800, threads: int = 2,
            focus: tuple[float, float] | None = None) -> ProcessResult:  # fmt: skip
    """Probe ``path`` (a local copy of the original, already sniffed as ``mime``) and write its
    renditions into ``workdir`` as ``<name>.jpg`` (and ``web.mp4`` / ``web.m4a``), replacing
    any from an earlier attempt. ``timeout`` bounds probing and pictures, ``transcode_timeout``
    the web rendition, ``threads`` the threads ffmpeg may use for it; ``focus`` centres a
    photo's social crops (default: the centre). Every kind gets a share picture."""
    job = _job(path, kind, mime, workdir, max_pixels=max_pixels, timeout=timeout,
               transcode_timeout=transcode_timeout, threads=threads)  # fmt: skip
    job.focus = crops.clamp_focus(focus)
    handler = {"image": _process_image, "video": _process_video, "audio": _process_audio, "document": _process_pdf}
    return handler[kind](job)


def web_rendition(path: Path, kind: str, mime: str, workdir: Path, *, max_pixels: int = 150_000_000,
                  timeout: int = 300, transcode_timeout: int = 1800, threads: int = 2) -> Rendition:  # fmt: skip
    """Only the web rendition of a video or audio original: for assets processed before web
    renditions existed, without touching their pictures or metadata."""
    if kind not in ("video", "audio"):
        raise ProcessingFailed("unsupported", f"no web rendition for {kind!r}")
    job = _job(path, kind, mime, workdir, max_pixels=max_pixels, timeout=timeout,
               transcode_timeout=transcode_timeout, threads=threads)  # fmt: skip
    general, videos, audios = _probe(job)
    if kind == "video":
        if not videos:
            raise _no_tracks(general, "video")
        _display_size(job, videos[0])  # the pixel limit, as for the first processing
        return _web_video(job, audios[0] if audios else None)
    if not audios:
        raise _no_tracks(general, "audio")
    return _web_audio(job, audios[0])


def picture_hash(path: Path, mime: str, *, max_pixels: int = 150_000_000) -> str:
    """The perceptual hash of a stored picture (a photo's original, a video's poster), decoded
    as processing decodes it: for assets processed before fingerprints were taken."""
    if mime not in _PIL_FORMATS:
        raise ProcessingFailed("unsupported", f"no perceptual hash for {mime!r}")
    img, _ = _decode_image(Path(path), [_PIL_FORMATS[mime]], max_pixels)
    return perceptual_hash(img)


def _job(path: Path, kind: str, mime: str, workdir: Path, *, max_pixels: int, timeout: float,
         transcode_timeout: float, threads: int) -> _Job:  # fmt: skip
    sniffed = FORMATS.get(mime)
    if sniffed is None or sniffed.kind != kind:
        raise ProcessingFailed("unsupported", f"no processing for {kind!r} / {mime!r}")
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    return _Job(Path(path).resolve(), mime, workdir, max_pixels, time.monotonic() + timeout,
                transcode_timeout, max(1, threads))  # fmt: skip


# --- pictures (shared by every kind) ----------------------------------------------------------


def _decode_image(source: Path | bytes, formats: list[str] | None, max_pixels: int,
                  max_side: int = PREVIEW_SIDE, short_side: int | None = None) -> tuple[Image.Image, dict]:  # fmt: skip
    """A fully decoded, upright RGB image and a summary of the original. Dimensions are read
    from the header and checked before any pixel is decoded. ``short_side``: shrink no side
    below it (social crops of a panorama need its full height)."""
    # Pillow warns from ~89 Mpx; our own limit decides, and the suite turns warnings into errors.
    # (catch_warnings is process-wide: racing threads can at worst leave this one ignore in place.)
    fp = io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")
    with warnings.catch_warnings(), fp:
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            img = Image.open(fp, formats=formats)
            width, height = img.size
            if min(width, height) < 1:
                raise ProcessingFailed("corrupt", f"image claims {width}x{height} pixels")
            if width * height > max_pixels:
                raise ProcessingFailed("too_many_pixels", f"{width}x{height} exceeds {max_pixels} pixels")
            summary = {"format": img.format, "mode": img.mode, "frames": getattr(img, "n_frames", 1)}
            # JPEG can decode at 1/2, 1/4 or 1/8 scale (still reading every byte, so truncation
            # is still caught): much less memory and time for big photos, never below max_side.
            img.draft("RGB", (max_side, max_side))
            img.load()  # a full decode; ImageFile.LOAD_TRUNCATED_IMAGES stays False
        except Image.DecompressionBombError as exc:  # Pillow's own limit (2 x ~89 Mpx), at open
            raise ProcessingFailed("too_many_pixels", str(exc)) from exc
        except _DECODE_ERRORS as exc:
            raise ProcessingFailed("corrupt", f"cannot decode image: {exc}") from exc
        try:
            upright = ImageOps.exif_transpose(img)
        except Exception:  # malformed EXIF is the uploader's metadata problem, not a reason to fail
            upright = img
        if upright.size == (img.height, img.width):  # orientation 5-8 turned it a quarter turn
            width, height = height, width
        summary["width"], summary["height"] = width, height
        return _to_srgb(_reduce(upright, max_side, short_side)), summary


def _reduce(img: Image.Image, side: int, short_side: int | None = None) -> Image.Image:
    """Cheap integer downscale (box filter) that keeps at least ``side`` on the long edge (and
    ``short_side`` on the short one), so the colour conversion and the final resampling never
    handle a 100 Mpx bitmap."""
    factor = max(img.size) // side // 2
    if short_side:
        factor = min(factor, min(img.size) // short_side)
    if factor < 2:
        return img
    try:
        return img.reduce(factor)
    except ValueError:  # modes reduce() does not handle (1, P): convert at full size instead
        return img


def _to_srgb(img: Image.Image) -> Image.Image:
    """RGB pixels: transparency flattened on white, 16-bit scaled down, colour-managed to sRGB
    when the file carries an ICC profile (phone photos are often Display P3)."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        img = img.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if img.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    icc = img.info.get("icc_profile")
    if icc and img.mode in ("RGB", "CMYK"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            return ImageCms.profileToProfile(img, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: plain conversion below is the best we can do
    return img.convert("RGB")


def _save_jpeg(img: Image.Image, name: str, side: int, workdir: Path) -> Rendition:
    """``img`` shrunk to fit ``side`` x ``side`` (never enlarged) as a progressive JPEG."""
    small = img.copy()
    small.thumbnail((side, side), Image.Resampling.LANCZOS)
    # A fresh image carries no .info, so nothing (comment, ICC, EXIF) can ride along.
    clean = Image.new("RGB", small.size)
    clean.paste(small)
    path = workdir / f"{name}.jpg"
    partial = workdir / f".{name}.jpg.part"
    clean.save(partial, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    os.replace(partial, path)  # a crash never leaves a half-written rendition under the real name
    return Rendition(name, path, "image/jpeg", clean.width, clean.height)


def _thumb_and_preview(img: Image.Image, workdir: Path) -> list[Rendition]:
    return [_save_jpeg(img, "thumb", THUMB_SIDE, workdir), _save_jpeg(img, "preview", PREVIEW_SIDE, workdir)]


def _process_image(job: _Job) -> ProcessResult:
    img, summary = _decode_photo(job)
    job.remaining()
    info = {"format": summary["format"], "mode": summary["mode"], "frames": summary["frames"]}
    renditions = [*_thumb_and_preview(img, job.workdir), *_social_pictures(img, job.focus, job.workdir)]
    return ProcessResult(summary["width"], summary["height"], None, None, None, info, renditions, perceptual_hash(img))


def _decode_photo(job: _Job) -> tuple[Image.Image, dict]:
    # Large enough for the tallest crop (9:16 of a landscape photo takes its full height).
    side = crops.SOURCE_SIDE
    return _decode_image(job.path, [_PIL_FORMATS[job.mime]], job.max_pixels, side, short_side=side)


# --- social crops and the share picture (media/crops.py) ---------------------------------------


def _focus_tag(focus: tuple[float, float]) -> str:
    """Part of the crops' file names: a new focus point stores them under new keys, so the old
    ones stay served until the new ones are recorded, and no cache shows a stale crop."""
    return "f{:05d}-{:05d}".format(*(round(v * 10000) for v in focus))


def _social_pictures(img: Image.Image, focus: tuple[float, float], workdir: Path) -> list[Rendition]:
    """A photo's crops (``crop_1x1``, …) around ``focus`` and its share picture (its 1.91:1 crop
    at exactly 1200x630), as JPEGs like every rendition."""
    tag = _focus_tag(focus)
    renditions = []
    for name, picture in crops.social_crops(img, focus).items():
        rendition = _save_jpeg(picture, f"crop_{name}-{tag}", max(picture.size), workdir)
        rendition.name = f"crop_{name}"
        renditions.append(rendition)
    return [*renditions, _share_rendition(crops.share_picture(img, focus, fill=True), f"share-{tag}", workdir)]


def _share_rendition(picture: Image.Image, stem: str, workdir: Path) -> Rendition:
    rendition = _save_jpeg(picture, stem, max(crops.SHARE_SIZE), workdir)
    rendition.name = "share"
    return rendition


def social_renditions(path: Path, mime: str, workdir: Path, focus: tuple[float, float] | None, *,
                      max_pixels: int = 150_000_000, timeout: int = 300) -> list[Rendition]:  # fmt: skip
    """Only a photo's crops and share picture, from its original, for a new focus point (or a
    photo processed before crops existed), leaving its other renditions alone."""
    job = _job(path, "image", mime, workdir, max_pixels=max_pixels, timeout=timeout, transcode_timeout=timeout,
               threads=1)  # fmt: skip
    job.focus = crops.clamp_focus(focus)
    img, _summary = _decode_photo(job)
    job.remaining()
    return _social_pictures(img, job.focus, job.workdir)


def share_from_picture(path: Path, workdir: Path, *, max_pixels: int = 150_000_000) -> Rendition:
    """The share picture of a video, audio or document from its stored poster, cover or preview
    (a JPEG made by processing), for assets processed before share pictures existed."""
    img, _summary = _decode_image(Path(path), ["JPEG"], max_pixels, POSTER_SIDE)
    Path(workdir).mkdir(parents=True, exist_ok=True)
    return _share_rendition(crops.share_picture(img), "share", Path(workdir))


# --- ffmpeg and mediainfo --------------------------------------------------------------------


def _ffmpeg(job: _Job, output_args: list[str], input_args: tuple[str, ...] = (), output: str = "-",
            timeout: float | None = None) -> tuple[int, bytes, str]:  # fmt: skip
    """Run ffmpeg on the job's file; stdout is the product unless ``output`` names a file. No
    shell, no stdin, only local files may be opened, the demuxer is forced, and the timeout is
    the remaining time budget unless given."""
    args = [imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error",
            "-protocol_whitelist", "file", *input_args, "-f", _DEMUXERS[job.mime],
            "-i", f"file:{job.path}", *output_args, output]  # fmt: skip
    try:
        # On timeout subprocess.run kills ffmpeg (SIGKILL) before raising.
        done = subprocess.run(  # noqa: S603
            args, capture_output=True, timeout=job.remaining() if timeout is None else timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise ProcessingFailed("timeout", f"ffmpeg did not finish: {' '.join(args[1:])}") from exc
    return done.returncode, done.stdout, done.stderr.decode("utf-8", "replace")[-2000:]


def _probe(job: _Job) -> tuple[dict, list[dict], list[dict]]:
    """General, video and audio tracks according to libmediainfo."""
    try:
        tracks = [t.to_data() for t in MediaInfo.parse(job.path).tracks]
    except Exception as exc:  # libmediainfo reports malformed input in various ways
        raise ProcessingFailed("corrupt", f"mediainfo cannot parse the file: {exc}") from exc
    general = next((t for t in tracks if t.get("track_type") == "General"), {})
    video = [t for t in tracks if t.get("track_type") == "Video"]
    audio = [t for t in tracks if t.get("track_type") == "Audio"]
    return general, video, audio


def _num(value) -> float | None:
    """mediainfo numbers come as int, float or text ("25.000"), depending on field and version."""
    try:
        number = float(str(value).split()[0])
    except (ValueError, IndexError):
        return None
    return number if math.isfinite(number) else None


def _duration(*tracks: dict) -> float | None:
    for track in tracks:
        ms = _num(track.get("duration"))
        if ms and ms > 0:
            return round(ms / 1000, 3)
    return None


def _codec(track: dict | None) -> str | None:
    if not track or not track.get("format"):
        return None
    fmt = str(track["format"])
    if fmt == "MPEG Audio":
        return {"Layer 3": "mp3", "Layer 2": "mp2"}.get(track.get("format_profile"), "mpeg-audio")
    return _CODECS.get(fmt, fmt.lower())


def _audio_info(track: dict) -> dict:
    rate, channels = _num(track.get("sampling_rate")), _num(track.get("channel_s"))
    return {"sample_rate": int(rate) if rate else None, "channels": int(channels) if channels else None}


def _no_tracks(general: dict, wanted: str) -> ProcessingFailed:
    # mediainfo still reports a General track for garbage behind a valid header; a file it
    # understood (it has a duration or other tracks) but without the stream we need is no_stream.
    if general.get("duration") or general.get("count_of_audio_streams") or general.get("count_of_video_streams"):
        return ProcessingFailed("no_stream", f"no {wanted} track")
    return ProcessingFailed("corrupt", f"no readable {wanted} track")


# --- video ---------------------------------------------------------------------------------


def _poster_offsets(duration: float | None) -> list[float]:
    """Where to look for a poster: inside the clip, at least 1 s in when it is long enough
    (first frames are often black or a fade), a few spread-out tries for black intros."""
    if not duration:
        return [0.0]
    floor = 1.0 if duration >= 2 else 0.0
    offsets = []
    for fraction in (0.1, 0.25, 0.4, 0.6, 0.8):
        offset = round(min(max(duration * fraction, floor), max(duration - 0.1, 0.0)), 3)
        if offset not in offsets:
            offsets.append(offset)
    return offsets


def _frame_at(job: _Job, offset: float) -> Image.Image | None:
    # Input seeking is frame-accurate in current ffmpeg; rotation metadata is applied by
    # ffmpeg's autorotate; non-square pixels are stretched to display shape.
    rc, out, err = _ffmpeg(job, ["-map", "0:v:0", "-an", "-sn", "-dn", "-frames:v", "1",
                                 "-vf", "scale=trunc(iw*sar/2)*2:ih,setsar=1",
                                 "-c:v", "png", "-f", "image2pipe"], ("-ss", f"{offset:.3f}"))  # fmt: skip
    if rc != 0:
        raise ProcessingFailed("corrupt", f"ffmpeg cannot decode a frame at {offset:.3f}s: {err.strip()}")
    if not out:
        return None  # seeked past the last frame
    img, _ = _decode_image(out, ["PNG"], job.max_pixels, POSTER_SIDE)
    return img


def _process_video(job: _Job) -> ProcessResult:
    general, videos, audios = _probe(job)
    if not videos:
        raise _no_tracks(general, "video")
    video, audio = videos[0], (audios[0] if audios else None)
    width, height, rotation = _display_size(job, video)
    duration = _duration(general, video)
    offset, poster = _pick_poster(job, duration)
    renditions = [_save_jpeg(poster, "poster", POSTER_SIDE, job.workdir), *_thumb_and_preview(poster, job.workdir)]
    renditions.append(_share_rendition(crops.share_picture(poster), "share", job.workdir))
    renditions.append(_web_video(job, audio))
    info = {
        "format": general.get("format"),
        "bitrate": int(_num(general.get("overall_bit_rate")) or 0) or None,
        "frame_rate": _num(video.get("frame_rate")),
        "rotation": rotation,
        "poster_seconds": offset,
    }
    if audio:
        info.update(_audio_info(audio))
    return ProcessResult(width or poster.width, height or poster.height, duration, _codec(video), _codec(audio),
                         info, renditions, perceptual_hash(poster))  # fmt: skip


def _display_size(job: _Job, video: dict) -> tuple[int, int, int]:
    """Width and height as the viewer sees them (0 when unknown), and the rotation; frames
    over the pixel limit are refused before anything is decoded."""
    width, height = int(_num(video.get("width")) or 0), int(_num(video.get("height")) or 0)
    if width * height > job.max_pixels:
        raise ProcessingFailed("too_many_pixels", f"video frames of {width}x{height}")
    rotation = int(_num(video.get("rotation")) or 0) % 360
    if rotation in (90, 270):
        width, height = height, width  # what the viewer sees
    return width, height, rotation


def _pick_poster(job: _Job, duration: float | None) -> tuple[float, Image.Image]:
    """The first bright enough frame among the candidate offsets, else the brightest one."""
    best: tuple[float, float, Image.Image] | None = None
    for offset in _poster_offsets(duration) + [0.0]:
        try:
            frame = _frame_at(job, offset)
        except ProcessingFailed as exc:
            if best is None or exc.code != "corrupt":
                raise
            break  # damaged further in: the best frame so far will do
        if frame is None:
            continue
        luma = ImageStat.Stat(frame.convert("L")).mean[0]
        if best is None or luma > best[0]:
            best = (luma, offset, frame)
        if luma >= BLACK_LUMA:
            break
    if best is None:
        raise ProcessingFailed("corrupt", "ffmpeg decoded no video frame")
    _, offset, poster = best
    return offset, poster


# --- web renditions (video and audio) ----------------------------------------------------------

# Square pixels first (as for the poster), then fit inside 1280x720 (720x1280 when portrait)
# without enlarging, even dimensions (H.264 in 4:2:0), and 8-bit 4:2:0 that every phone plays.
# ffmpeg has already applied the rotation, so iw/ih are what the viewer sees.
_WEB_VIDEO_FILTER = (
    "scale=trunc(iw*sar/2)*2:ih,setsar=1,"
    f"scale=w='min(iw,if(gte(iw,ih),{WEB_LONG_SIDE},{WEB_SHORT_SIDE}))'"
    f":h='min(ih,if(gte(iw,ih),{WEB_SHORT_SIDE},{WEB_LONG_SIDE}))'"
    ":force_original_aspect_ratio=decrease:force_divisible_by=2,format=yuv420p"
)


def _web_audio_args(audio: dict) -> list[str]:
    channels = min(int(_num(audio.get("channel_s")) or 2), 2)
    return ["-c:a", "aac", "-b:a", f"{WEB_AUDIO_KBPS[channels]}k", "-ac", str(channels)]


def _web_video(job: _Job, audio: dict | None) -> Rendition:
    """H.264/AAC MP4 of at most 720p with the moov atom in front, so playback starts at once."""
    args = ["-map", "0:v:0", "-vf", _WEB_VIDEO_FILTER, "-fpsmax", str(WEB_MAX_FPS),
            "-c:v", "libx264", "-preset", WEB_PRESET, "-profile:v", "high", "-crf", str(WEB_VIDEO_CRF),
            "-maxrate", f"{WEB_VIDEO_MAXRATE_KBPS}k", "-bufsize", f"{2 * WEB_VIDEO_MAXRATE_KBPS}k",
            "-flags:v", "+bitexact"]  # fmt: skip
    args += ["-map", "0:a:0", *_web_audio_args(audio), "-flags:a", "+bitexact"] if audio else ["-an"]
    path = _transcode(job, "web.mp4", "mp4", args)
    track = next((t.to_data() for t in MediaInfo.parse(path).tracks if t.track_type == "Video"), {})
    return Rendition("web", path, "video/mp4", int(_num(track.get("width")) or 0), int(_num(track.get("height")) or 0))


def _web_audio(job: _Job, audio: dict) -> Rendition:
    """An AAC preview in M4A (moov in front): cover art, tags and other streams left out."""
    args = ["-map", "0:a:0", "-vn", *_web_audio_args(audio), "-flags:a", "+bitexact"]
    return Rendition("web", _transcode(job, "web.m4a", "ipod", args), "audio/mp4", None, None)


def _transcode(job: _Job, filename: str, muxer: str, args: list[str]) -> Path:
    """Encode into ``workdir/filename`` with bounded threads and time. Faststart rewrites the
    file after encoding, so ffmpeg writes a real file (a pipe cannot seek), under a temporary
    name: a crash never leaves a half-written rendition under the real one."""
    target, partial = job.workdir / filename, job.workdir / f".{filename}.part"
    threads = str(job.threads)
    try:
        rc, _, err = _ffmpeg(
            job,
            [
                *args,
                "-sn",
                "-dn",
                "-map_metadata",
                "-1",
                "-map_chapters",
                "-1",
                "-threads",
                threads,
                "-fflags",
                "+bitexact",
                "-movflags",
                "+faststart",
                "-f",
                muxer,
                "-y",
            ],  # fmt: skip
            ("-filter_threads", threads, "-threads", threads),
            output=f"file:{partial}",
            timeout=job.transcode_timeout,
        )
        if rc != 0:
            raise _transcode_failure(rc, err)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def _transcode_failure(rc: int, err: str) -> Exception:
    # A killed ffmpeg (out of memory), a full disk or no memory is the worker's trouble, not the
    # file's: an ordinary error, so the job is retried and the original kept. Anything else
    # means the file cannot be re-encoded, as corrupt as one that cannot be decoded.
    if rc < 0 or any(sign in err for sign in ("No space left", "Cannot allocate memory", "Out of memory")):
        return OSError(f"ffmpeg could not make the web rendition (exit {rc}): {err.strip()}")
    return ProcessingFailed("corrupt", f"ffmpeg cannot re-encode the file: {err.strip()}")


# --- audio ---------------------------------------------------------------------------------


def _embedded_cover(job: _Job) -> Image.Image | None:
    """The attached picture (ID3 APIC, MP4 covr), decoded through the same checks as an
    uploaded image; None when there is none or it is unusable (the waveform stands in)."""
    rc, out, _ = _ffmpeg(job, ["-map", "0:v:disp:attached_pic", "-c:v", "copy", "-frames:v", "1",
                               "-f", "image2pipe"])  # fmt: skip
    if rc != 0 or not out:
        return None
    try:
        img, _ = _decode_image(out, ["JPEG", "PNG", "WEBP"], job.max_pixels)
    except ProcessingFailed as exc:
        if exc.code == "timeout":
            raise
        return None
    return img


def _waveform(job: _Job, duration: float | None) -> tuple[Image.Image, float]:
    """A waveform drawing of the first audio track, and the decoded duration in seconds."""
    rate = max(200, min(8000, int(_WAVE_SAMPLES / max(duration or 1.0, 1.0))))
    rc, out, err = _ffmpeg(job, ["-map", "0:a:0", "-vn", "-ac", "1", "-ar", str(rate), "-c:a", "pcm_s16le",
                                 "-f", "s16le"])  # fmt: skip
    if rc != 0:
        raise ProcessingFailed("corrupt", f"ffmpeg cannot decode the audio: {err.strip()}")
    samples = array("h", out[: len(out) // 2 * 2])
    if sys.byteorder == "big":
        samples.byteswap()
    if not samples:
        raise ProcessingFailed("corrupt", "ffmpeg decoded no audio")

    width, height = COVER_SIZE
    margin, mid = 48, height // 2
    columns = (width - 2 * margin) // 3  # 2 px bars with 1 px gaps
    peaks = []
    for col in range(columns):
        chunk = samples[col * len(samples) // columns : (col + 1) * len(samples) // columns] or samples[-1:]
        peaks.append(max(max(chunk), -min(chunk)))
    # Normalised to the loudest moment so quiet recordings stay visible; near-silence stays flat.
    loudest = max(max(peaks), 328)
    img = Image.new("RGB", COVER_SIZE, (22, 33, 52))
    draw = ImageDraw.Draw(img)
    draw.line((margin, mid, width - margin, mid), fill=(70, 88, 118), width=2)
    for col, peak in enumerate(peaks):
        half = max(1, round(peak / loudest * (mid - margin)))
        x = margin + col * 3
        draw.rectangle((x, mid - half, x + 1, mid + half), fill=(242, 178, 51))
    return img, round(len(samples) / rate, 3)


def _process_audio(job: _Job) -> ProcessResult:
    general, _, audios = _probe(job)
    if not audios:
        raise _no_tracks(general, "audio")
    audio = audios[0]
    duration = _duration(general, audio)
    cover = _embedded_cover(job)
    source = "embedded" if cover is not None else "waveform"
    if cover is None:
        cover, decoded_seconds = _waveform(job, duration)
        duration = duration or decoded_seconds  # raw ADTS has no duration in any header
    renditions = [_save_jpeg(cover, "cover", PREVIEW_SIDE, job.workdir), _save_jpeg(cover, "thumb", THUMB_SIDE,
                                                                                   job.workdir)]  # fmt: skip
    renditions.append(_share_rendition(crops.share_picture(cover), "share", job.workdir))
    renditions.append(_web_audio(job, audio))
    info = {"format": general.get("format"), "bitrate": int(_num(general.get("overall_bit_rate")) or 0) or None,
            **_audio_info(audio), "cover": source}  # fmt: skip
    return ProcessResult(None, None, duration, None, _codec(audio), info, renditions)


# --- PDF -----------------------------------------------------------------------------------


# Rendered by pdf_render.py in a child Python (isolated mode, run by its path so that only that
# file and pypdfium2 are loaded, never the app): the job's timeout holds and a crash on a
# hostile file cannot take the worker down.
PDF_RENDERER = Path(__file__).with_name("pdf_render.py")


def _process_pdf(job: _Job) -> ProcessResult:
    page_png = job.workdir / ".page1.png"
    args = [sys.executable, "-I", str(PDF_RENDERER), str(job.path), str(page_png), str(PREVIEW_SIDE)]
    try:
        try:
            done = subprocess.run(args, capture_output=True, timeout=job.remaining(), check=False)  # noqa: S603
        except subprocess.TimeoutExpired as exc:
            raise ProcessingFailed("timeout", "pdfium did not finish rendering the first page") from exc
        try:
            result = json.loads(done.stdout.decode("utf-8", "replace").strip().splitlines()[-1])
        except (ValueError, IndexError) as exc:  # killed by a signal before it could answer
            detail = done.stderr.decode("utf-8", "replace")[-2000:].strip()
            raise ProcessingFailed("corrupt", f"pdfium exited with {done.returncode}: {detail}") from exc
        if "error" in result:
            raise ProcessingFailed(result["error"], result.get("detail", ""))
        image, _ = _decode_image(page_png, ["PNG"], job.max_pixels)
    finally:
        page_png.unlink(missing_ok=True)
    version = result.get("version")
    info = {"format": "PDF", "page_count": result["pages"], "page_width_pt": round(result["width"], 2),
            "page_height_pt": round(result["height"], 2), "pdf_version": version / 10 if version else None}  # fmt: skip
    share = _share_rendition(crops.share_picture(image), "share", job.workdir)
    return ProcessResult(None, None, None, None, None, info, [*_thumb_and_preview(image, job.workdir), share])
