"""Generators of real sample files for the media tests (and the upload tests).

Every function takes ``where``: an existing directory (the file gets a default name inside
it) or a file path (its parent is created). It writes the file and returns its Path. Images
are drawn with Pillow; audio and video are encoded by the static ffmpeg of imageio-ffmpeg
from lavfi sources, kept small and short so each sample takes well under a second or two on
two cores.
"""

from __future__ import annotations

import io
import struct
import subprocess
import zlib
from pathlib import Path

import imageio_ffmpeg
from PIL import Image, ImageCms, ImageDraw

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()

# Colours placed in known corners so tests can prove where pixels ended up after rotation.
RED = (220, 30, 30)
BLUE = (30, 60, 220)


def _target(where: Path | str, default_name: str) -> Path:
    where = Path(where)
    if where.is_dir():
        return where / default_name
    where.parent.mkdir(parents=True, exist_ok=True)
    return where


def _ffmpeg(*args: str) -> None:
    subprocess.run(
        [FFMPEG, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args],
        check=True,
        capture_output=True,
        timeout=60,
    )


class SampleCache:
    """Makes each sample once per directory: ``cache("jpeg")`` or ``cache("mp4", duration=6)``.
    Handy as a session-scoped fixture around ``tmp_path_factory.mktemp(...)``."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._made: dict[tuple, Path] = {}

    def __call__(self, name: str, **kwargs) -> Path:
        key = (name, tuple(sorted(kwargs.items())))
        if key not in self._made:
            folder = self.directory / f"{name}-{len(self._made)}"
            folder.mkdir(parents=True)
            self._made[key] = globals()[name](folder, **kwargs)
        return self._made[key]


# --- images -------------------------------------------------------------------------------


def jpeg(where: Path | str, size: tuple[int, int] = (640, 480)) -> Path:
    """A landscape JPEG stored sideways: EXIF orientation 6 (display rotated 90° clockwise),
    GPS coordinates (Mataram), a camera model, an XMP packet, an ICC profile and a comment, none
    of which may reach a rendition. A red block sits in the stored top-left corner and a blue
    one in the stored bottom-right."""
    path = _target(where, "photo.jpg")
    w, h = size
    img = Image.new("RGB", size, (200, 200, 200))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, w // 4, h // 4), fill=RED)
    draw.rectangle((w - w // 4, h - h // 4, w, h), fill=BLUE)
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation
    exif[0x0110] = "KOIN Test Camera"  # Model
    gps = exif.get_ifd(0x8825)
    gps.update({1: "S", 2: (8.0, 35.0, 0.0), 3: "E", 4: (116.0, 7.0, 0.0)})
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    img.save(path, "JPEG", quality=90, exif=exif, xmp=xmp, comment=b"secret comment", icc_profile=icc)
    return path


def png(where: Path | str, size: tuple[int, int] = (400, 300)) -> Path:
    """An RGBA PNG: the left half opaque red, the right half fully transparent."""
    path = _target(where, "logo.png")
    img = Image.new("RGBA", size, (0, 0, 0, 0))
    ImageDraw.Draw(img).rectangle((0, 0, size[0] // 2 - 1, size[1]), fill=(*RED, 255))
    img.save(path, "PNG")
    return path


def webp(where: Path | str, size: tuple[int, int] = (2000, 1000)) -> Path:
    """A WebP big enough that both the preview and the thumbnail are downscaled."""
    path = _target(where, "banner.webp")
    img = Image.linear_gradient("L").resize(size).convert("RGB")
    ImageDraw.Draw(img).ellipse((100, 100, 600, 600), fill=BLUE)
    img.save(path, "WEBP", quality=70, method=0)
    return path


def pixel_bomb(where: Path | str, side: int = 30000) -> Path:
    """A tiny PNG whose header claims side x side pixels (900 M by default) of grayscale.
    The IDAT holds a few compressed rows only, so the file is a few hundred bytes; nothing
    must ever try to decode it."""
    path = _target(where, "bomb.png")

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * (side + 1) * 4, 9)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
    return path


def truncated_jpeg(where: Path | str) -> Path:
    """A real JPEG cut in the middle of its entropy-coded data."""
    path = _target(where, "truncated.jpg")
    buf = io.BytesIO()
    Image.effect_noise((400, 300), 60).convert("RGB").save(buf, "JPEG", quality=90)
    data = buf.getvalue()
    path.write_bytes(data[: len(data) // 2])
    return path


# --- video and audio ----------------------------------------------------------------------


def mp4(where: Path | str, duration: float = 3.0, black_seconds: float = 0.0, size: str = "640x360") -> Path:
    """H.264 + AAC MP4 (moov at the front) of the lavfi test pattern with a sine tone. With
    ``black_seconds`` the picture is pure black until then (a fade-in that starts late), so
    a poster test can prove black frames are skipped."""
    path = _target(where, "clip.mp4")
    vf = f"fade=t=in:st={black_seconds}:d=0.04" if black_seconds else "null"
    _ffmpeg(
        "-f", "lavfi", "-i", f"testsrc=size={size}:rate=25:duration={duration}",
        "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=44100:duration={duration}",
        "-vf", vf, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "25",
        "-c:a", "aac", "-b:a", "64k", "-movflags", "+faststart", "-shortest", str(path),
    )  # fmt: skip
    return path


def mov(where: Path | str, duration: float = 2.0) -> Path:
    """A QuickTime .mov (H.264 + AAC)."""
    path = _target(where, "clip.mov")
    _ffmpeg(
        "-f", "lavfi", "-i", f"testsrc2=size=320x240:rate=25:duration={duration}",
        "-f", "lavfi", "-i", f"sine=frequency=330:duration={duration}",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "64k", "-f", "mov", str(path),
    )  # fmt: skip
    return path


def webm(where: Path | str, duration: float = 2.0) -> Path:
    """A WebM with VP8 video and Opus audio."""
    path = _target(where, "clip.webm")
    _ffmpeg(
        "-f", "lavfi", "-i", f"testsrc=size=320x240:rate=25:duration={duration}",
        "-f", "lavfi", "-i", f"sine=frequency=550:sample_rate=48000:duration={duration}",
        "-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k",
        "-c:a", "libopus", "-b:a", "48k", "-f", "webm", str(path),
    )  # fmt: skip
    return path


def big_mp4(where: Path | str, megabytes: float = 20.0) -> Path:
    """An MP4 of about ``megabytes`` MB, made fast: 10 s of 640x360 noise at a constant
    bitrate, ultrafast preset, no audio."""
    path = _target(where, "big.mp4")
    seconds = 10
    kbps = int(megabytes * 8 * 1000 / seconds)
    _ffmpeg(
        "-f", "lavfi", "-i", f"nullsrc=size=640x360:rate=25:duration={seconds},geq=random(1)*255:128:128",
        "-c:v", "libx264", "-preset", "ultrafast", "-b:v", f"{kbps}k", "-minrate", f"{kbps}k",
        "-maxrate", f"{kbps}k", "-bufsize", f"{kbps // 2}k", "-x264-params", "nal-hrd=cbr:filler=1",
        "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(path),
    )  # fmt: skip
    return path


def corrupt_mp4(where: Path | str) -> Path:
    """A valid ftyp box, then 64 KiB of deterministic garbage: sniffs as MP4, cannot be decoded."""
    path = _target(where, "corrupt.mp4")
    ftyp = struct.pack(">I", 24) + b"ftypisom" + struct.pack(">I", 512) + b"isomavc1"
    garbage = bytes((i * 7919 + 13) % 251 for i in range(64 * 1024))
    path.write_bytes(ftyp + garbage)
    return path


def _audio(path: Path, codec_args: list[str], duration: float, fmt: str) -> Path:
    # A chirp-like tone with a fade, so the waveform has visible shape.
    _ffmpeg(
        "-f", "lavfi", "-i", f"sine=frequency=300:beep_factor=4:sample_rate=44100:duration={duration}",
        "-af", f"afade=t=out:st={duration / 2}:d={duration / 2}", *codec_args, "-f", fmt, str(path),
    )  # fmt: skip
    return path


def mp3(where: Path | str, duration: float = 2.0) -> Path:
    """An MP3 (LAME, with an ID3v2 tag as ffmpeg writes by default)."""
    return _audio(_target(where, "song.mp3"), ["-c:a", "libmp3lame", "-b:a", "96k"], duration, "mp3")


def wav(where: Path | str, duration: float = 1.0) -> Path:
    """A 16-bit PCM WAV."""
    return _audio(_target(where, "voice.wav"), ["-c:a", "pcm_s16le", "-ac", "1"], duration, "wav")


def m4a(where: Path | str, duration: float = 2.0) -> Path:
    """AAC in an MP4 container with the M4A brand (ffmpeg's ipod muxer, as iTunes writes)."""
    return _audio(_target(where, "song.m4a"), ["-c:a", "aac", "-b:a", "64k"], duration, "ipod")


def aac_adts(where: Path | str, duration: float = 1.0) -> Path:
    """Raw AAC in ADTS frames (no container), as some recorders and radios produce."""
    return _audio(_target(where, "radio.aac"), ["-c:a", "aac", "-b:a", "64k"], duration, "adts")


def mp4_audio_only(where: Path | str, duration: float = 1.0, faststart: bool = True) -> Path:
    """AAC in an MP4 with generic brands (isom/mp41), as Android recorders write '.m4a'. With
    ``faststart`` the moov (and its 'soun' handler) sits in the first KiB; without it the
    moov is at the end and only the filename can tell audio from video."""
    path = _target(where, "recording.m4a")
    flags = ["-movflags", "+faststart"] if faststart else []
    return _audio(path, ["-c:a", "aac", "-b:a", "48k", *flags], duration, "mp4")


def mp3_with_cover(where: Path | str, duration: float = 2.0) -> Path:
    """An MP3 with front-cover art (a 600x600 JPEG carrying its own EXIF) in its ID3 tag."""
    path = _target(where, "song_cover.mp3")
    art = path.with_name(path.stem + "_art.jpg")
    img = Image.new("RGB", (600, 600), BLUE)
    ImageDraw.Draw(img).rectangle((0, 0, 299, 299), fill=RED)
    exif = Image.Exif()
    exif[0x0110] = "Cover Camera"
    img.save(art, "JPEG", quality=85, exif=exif)
    _ffmpeg(
        "-f", "lavfi", "-i", f"sine=frequency=500:duration={duration}", "-i", str(art),
        "-map", "0:a", "-map", "1:v", "-c:a", "libmp3lame", "-b:a", "96k", "-c:v", "copy",
        "-id3v2_version", "3", "-metadata:s:v", "title=Album cover", "-metadata:s:v", "comment=Cover (front)",
        "-disposition:v", "attached_pic", "-f", "mp3", str(path),
    )  # fmt: skip
    art.unlink()
    return path


# --- documents ----------------------------------------------------------------------------


def pdf(where: Path | str, pages: int = 2) -> Path:
    """A small valid PDF written by hand: A4 pages, each with a filled rectangle and a line of
    text in Helvetica, with a correct cross-reference table."""
    path = _target(where, "brochure.pdf")
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    kids = []
    font_num = 3
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for n in range(pages):
        content = f"0.85 0.12 0.12 rg 60 500 475 280 re f BT /F1 36 Tf 72 440 Td (KOIN halaman {n + 1}) Tj ET".encode()
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
        content_num = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
            b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (content_num, font_num)
        )
        kids.append(len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), pages)
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for num, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (num, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))
    return path


# --- things that must be refused ----------------------------------------------------------


def html_named_jpg(where: Path | str) -> Path:
    """HTML with a script, named .jpg, with a BOM and leading whitespace."""
    path = _target(where, "innocent.jpg")
    path.write_bytes(
        b"\xef\xbb\xbf  \r\n<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
    )
    return path


def svg(where: Path | str) -> Path:
    """An SVG with an XML declaration and an inline script."""
    path = _target(where, "logo.svg")
    path.write_bytes(
        b'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        b"<script>alert(1)</script><rect width='10' height='10'/></svg>\n"
    )
    return path


def empty_file(where: Path | str) -> Path:
    path = _target(where, "empty.jpg")
    path.write_bytes(b"")
    return path


def zip_file(where: Path | str) -> Path:
    """A real zip archive (what a .docx or .apk also is)."""
    import zipfile

    path = _target(where, "archive.zip")
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "halo")
    return path


def exe_like(where: Path | str) -> Path:
    """An 'MZ' DOS/PE header stub named like a video."""
    path = _target(where, "movie.mp4")
    stub = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 48
    path.write_bytes(stub + b"This program cannot be run in DOS mode.")
    return path
